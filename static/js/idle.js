/* The idle warning (issue 14 point 6). One behaviour: two minutes before the idle timeout ends
   this session, say so and offer "Bliv logget ind" — not modal, focus stays where it is.

   The page knows its own timeout: templates/auth/_idle.html carries the seconds left
   (data-idle-left, from the server's own clock for this session). Before warning, the page asks
   /session/left (asking is not use), so a tab that was used meanwhile keeps the warning away.
   "Bliv logget ind" is the form's own POST (with its CSRF field), sent with fetch: one request.
   When the time is up the page loads itself again and the server says why it signed out; a page
   with typed, unsaved text stays, so that saving it keeps the text for after the sign-in. */
(function () {
  "use strict";
  var WARN_MS = 120000;
  var MARGIN_MS = 1500;
  var form = null;
  var timer = null;
  var deadline = 0;

  function text(key) {
    var p = form.querySelector("[data-idle-text]");
    p.textContent = form.getAttribute("data-msg-" + key) || "";
  }

  function show(key) {
    var wasHidden = form.hidden;
    form.hidden = false;
    if (wasHidden || key === "ended") { text(key); }
  }

  function hide() { form.hidden = true; }

  function typed() {
    var fields = document.querySelectorAll("main textarea, main input[type=text]");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value !== fields[i].defaultValue) { return true; }
    }
    return false;
  }

  function ended() {
    if (typed()) {
      form.querySelector("[data-idle-renew]").hidden = true;
      show("ended");
      return;
    }
    window.location.replace(window.location.href);
  }

  function schedule(leftSeconds) {
    window.clearTimeout(timer);
    deadline = Date.now() + leftSeconds * 1000;
    var untilWarning = deadline - WARN_MS - Date.now();
    if (untilWarning > 0) {
      hide();
      timer = window.setTimeout(check, untilWarning);
      return;
    }
    show("soon");
    timer = window.setTimeout(expire, Math.max(0, deadline - Date.now()) + MARGIN_MS);
  }

  function left(response) {
    if (!response.ok) { throw new Error("session"); }
    return response.json().then(function (data) { return Number(data.left) || 0; });
  }

  function ask() {
    return window.fetch("/session/left", {
      credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(left);
  }

  function check() {
    ask().then(schedule, function () { schedule((deadline - Date.now()) / 1000); });
  }

  function expire() {
    ask().then(function (seconds) {
      if (seconds > 0) { schedule(seconds); } else { ended(); }
    }, ended);
  }

  function renew(event) {
    event.preventDefault();
    var button = form.querySelector("[data-idle-renew]");
    button.disabled = true;
    window.fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { Accept: "application/json" }, redirect: "error"
    }).then(left).then(function (seconds) {
      button.disabled = false;
      schedule(seconds);
    }, function () {
      button.disabled = false;
      ended();
    });
  }

  function start() {
    form = document.querySelector("form[data-idle]");
    if (!form || !window.fetch) { return; }
    form.addEventListener("submit", renew);
    // The session ended before the timer said so (another device, a live refresh answered
    // signed-out, the stream): the same choice as at the end of the time.
    document.addEventListener("signed-out", ended);
    // A request of this page may have renewed the session: look again while warning.
    document.addEventListener("htmx:after:request", function () {
      if (!form.hidden) { check(); }
    });
    schedule(Number(form.getAttribute("data-idle-left")) || 0);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
