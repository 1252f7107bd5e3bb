/* The service worker's life cycle on the page (docs/design.md §6): register /sw.js; when a new version
   has installed and waits, offer "Ny version — genindlæs"; the button lets it take over, and
   every open page reloads the moment it does, so a new worker never serves an old page. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) { return; }
  var sw = navigator.serviceWorker;
  var hadController = Boolean(sw.controller);
  var reloading = false;

  // Reload only when a new worker took over. Not when the controller went away (sign-out's
  // Clear-Site-Data removes the worker while the sign-out is loading: a reload would abort it),
  // and not while this page is already leaving (offline.js marks <html> before it submits).
  sw.addEventListener("controllerchange", function () {
    var leaving = document.documentElement.hasAttribute("data-leaving");
    if (hadController && sw.controller && !leaving && !reloading) {
      reloading = true;
      window.location.reload();
    }
    hadController = Boolean(sw.controller);
  });

  function offer(worker) {
    if (!worker || !sw.controller) { return; }  // first install: nothing old to replace
    var bar = document.querySelector("[data-update]");
    if (!bar) { return; }
    bar.hidden = false;
    var button = bar.querySelector("[data-update-reload]");
    button.addEventListener("click", function () {
      button.disabled = true;
      worker.postMessage({ type: "skip-waiting" });
    });
  }

  function watch(registration) {
    if (registration.waiting) { offer(registration.waiting); }
    registration.addEventListener("updatefound", function () {
      var installing = registration.installing;
      if (!installing) { return; }
      installing.addEventListener("statechange", function () {
        if (installing.state === "installed") { offer(installing); }
      });
    });
  }

  // Registered from signed-in pages and the open information pages (/info, public: the worker
  // keeps them for offline reading) only: the page a wipe or sign-out lands on must not put
  // the worker straight back. Other pages (the offline page) still offer a waiting update.
  var start = document.querySelector("[data-phone-user], [data-phone-keep]")
    ? sw.register("/sw.js", { scope: "/" }) : sw.getRegistration("/");
  start.then(function (registration) { if (registration) { watch(registration); } })
    .catch(function () {});
})();
