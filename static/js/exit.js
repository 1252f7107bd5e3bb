/* Quick exit (DESIGN §5). One behaviour: leave now, leave no trace on screen.
   Works from the button, the hidden skip link, or Shift pressed three times. */
(function () {
  "use strict";
  var root = document.documentElement;
  var exitUrl = root.getAttribute("data-exit-url") || "https://www.dmi.dk/";
  var presses = 0;
  var last = 0;
  var WINDOW_MS = 5000;

  function status() { return document.querySelector("[data-exit-status]"); }

  function announce(n) {
    var el = status();
    if (el) { el.textContent = el.getAttribute("data-msg-" + n) || ""; }
  }

  function cover() {
    var overlay = document.querySelector("[data-exit-overlay]");
    if (overlay) { overlay.hidden = false; }
    document.title = "";
    if (document.body) { document.body.setAttribute("aria-hidden", "true"); }
  }

  function leave(event) {
    if (event) { event.preventDefault(); }
    cover();
    window.location.replace(exitUrl);
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.closest && target.closest("[data-exit]")) { leave(event); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift") { presses = 0; announce(0); return; }
    if (event.repeat) { return; }
    var now = Date.now();
    presses = (now - last <= WINDOW_MS) ? presses + 1 : 1;
    last = now;
    announce(Math.min(presses, 3));
    if (presses >= 3) { presses = 0; leave(); }
  });

  // A page restored from the back/forward cache must not show what was on screen.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { cover(); window.location.reload(); }
  });
})();
