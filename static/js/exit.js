/* Quick exit (docs/design.md §5). Standalone on purpose: no htmx, no other script, no inline code, so it
   works when the CDN is unreachable and on the offline and unlock screens.

   The button "Forlad siden", the hidden skip link (anything with [data-exit]) and Shift pressed
   alone three times (each press within 5 s of the last; Shift with another key — a capital
   letter, Shift+Tab — is not a press and says nothing; any other key resets; progress and
   time-out announced in the bar's live region [data-exit-status]) all leave the same way:
     1. In the input's own task, before anything else: a plain overlay covers the page and the
        title is blanked. Nothing is awaited, so the next painted frame shows only the overlay.
     2. If the user chose "sign me out when I leave" (data-exit-signout on the bar), a beacon ends
        this session on the server: fire and forget, the browser sends it even as the page goes.
     3. location.replace(exit URL): Tryg's history entry is replaced, so Back leads to whatever
        came before Tryg (history.js keeps Tryg at one entry while it is used).
     4. On the next task the page's content is removed: a document that lives on (an installed
        app whose exit opens in another view, a slow exit site) has nothing left to show.
   A page restored from the back/forward cache covers itself and reloads.
   Without JavaScript the button and the skip link are plain links (rel=noreferrer).

   Hooks: html[data-exit-url] and [data-exit-shift="off"] (the shortcut turned off); [data-exit]; [data-exit-overlay]; [data-exit-status] with
   data-msg-1, data-msg-2, data-msg-3 and data-msg-timeout; [data-exit-component] with
   data-exit-signout (URL) and data-exit-token (CSRF token for the beacon). */
(function () {
  "use strict";
  var WINDOW_MS = 5000;
  var root = document.documentElement;
  var exitUrl = root.getAttribute("data-exit-url") || "https://www.dmi.dk/";
  var presses = 0;
  var last = 0;
  var timer = 0;
  var leaving = false;
  var alone = false;  // Shift is down and no other key has been pressed with it

  function announce(key) {
    var el = document.querySelector("[data-exit-status]");
    if (el) { el.textContent = key ? (el.getAttribute("data-msg-" + key) || "") : ""; }
  }

  function cover() {
    var overlay = document.querySelector("[data-exit-overlay]");
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.setAttribute("data-exit-overlay", "");
      (document.body || root).appendChild(overlay);
    }
    // The stylesheet covers the page too; these make the cover independent of it (CSSOM
    // properties are not inline style markup, so the CSP allows them).
    var s = overlay.style;
    s.position = "fixed"; s.top = "0"; s.left = "0"; s.width = "100vw"; s.height = "100vh";
    s.zIndex = "2147483647"; s.background = "#ffffff";
    overlay.hidden = false;
    document.title = "";
    if (document.body) { document.body.setAttribute("aria-hidden", "true"); }
    return overlay;
  }

  function signOut() {
    var bar = document.querySelector("[data-exit-component][data-exit-signout]");
    if (!bar || !navigator.sendBeacon) { return; }
    var body = new URLSearchParams();
    body.set("csrftoken", bar.getAttribute("data-exit-token") || "");
    try { navigator.sendBeacon(bar.getAttribute("data-exit-signout"), body); } catch (e) { /* leave anyway */ }
  }

  function scrub(overlay) {
    var body = document.body;
    if (!body) { return; }
    body.appendChild(overlay);
    while (body.firstChild !== overlay) { body.removeChild(body.firstChild); }
    while (overlay.nextSibling) { body.removeChild(overlay.nextSibling); }
  }

  function leave(event) {
    if (event) { event.preventDefault(); }
    var overlay = cover();
    if (leaving) { return; }
    leaving = true;
    signOut();
    window.location.replace(exitUrl);
    setTimeout(function () { scrub(overlay); }, 0);
  }

  function resetShift(message) {
    presses = 0;
    clearTimeout(timer);
    announce(message);
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.closest && target.closest("[data-exit]")) { leave(event); }
  }, true);

  // A press counts only when Shift went down and up alone: a capital letter or Shift+Tab is
  // typing, not a request to leave, and says nothing. The third press leaves on its keydown.
  // The person may have turned the shortcut off (html[data-exit-shift="off"]).
  var shortcut = root.getAttribute("data-exit-shift") !== "off";

  document.addEventListener("keydown", function (event) {
    if (!shortcut) { return; }
    if (event.key !== "Shift") {
      alone = false;
      if (presses) { resetShift(""); }
      return;
    }
    if (event.repeat) { return; }
    if (presses === 2 && Date.now() - last <= WINDOW_MS) {
      presses = 0; clearTimeout(timer); announce("3"); leave(); return;
    }
    alone = true;
  }, true);

  document.addEventListener("keyup", function (event) {
    if (!shortcut || event.key !== "Shift" || !alone) { return; }
    alone = false;
    var now = Date.now();
    presses = (presses && now - last <= WINDOW_MS) ? presses + 1 : 1;
    last = now;
    clearTimeout(timer);
    announce(String(presses));
    timer = setTimeout(function () { resetShift("timeout"); }, WINDOW_MS);
  }, true);

  // A page restored from the back/forward cache must not show what was on screen.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { cover(); window.location.reload(); }
  });
})();
