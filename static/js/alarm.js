/* Alarm: add the current position to the prefilled alarm SMS — only if the victim ticked
 * "Add my position", and only when the alarm is tapped. Nothing is sent from here: the phone's
 * own SMS app opens with the message, and the victim presses send.
 *
 * Without JavaScript the link is a plain sms: link (no position) and the checkbox stays hidden.
 * One behaviour, no inline script (CSP). Delegated from the document, so it keeps working after
 * htmx swaps the contact list.
 *
 * The final address is put on the link as data-alarm-url before navigating, so it can be seen
 * (and tested) even where no SMS app exists.
 */
(function () {
  "use strict";

  var TIMEOUT_MS = 8000;
  var MAP = "https://www.openstreetmap.org/";

  document.documentElement.classList.add("alarm-js");

  function mapLink(coords) {
    var lat = coords.latitude.toFixed(5);
    var lon = coords.longitude.toFixed(5);
    return MAP + "?mlat=" + lat + "&mlon=" + lon + "#map=17/" + lat + "/" + lon;
  }

  // The body is the last parameter of the link, so the position is appended to it.
  function withPosition(href, label, coords) {
    return href + encodeURIComponent("\n" + (label ? label + " " : "") + mapLink(coords));
  }

  function go(link, url) {
    link.setAttribute("data-alarm-url", url);
    window.location.href = url;
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var link = target && target.closest ? target.closest("a[data-alarm]") : null;
    if (!link || event.defaultPrevented || event.button !== 0) {
      return;
    }
    var href = link.getAttribute("href");
    var box = document.getElementById(link.getAttribute("data-alarm-position") || "");
    if (!box || !box.checked || !navigator.geolocation) {
      link.setAttribute("data-alarm-url", href);
      return; // the plain link does the rest
    }
    event.preventDefault();
    var done = false;
    function finish(url) {
      if (done) {
        return;
      }
      done = true;
      window.clearTimeout(timer);
      link.removeAttribute("aria-busy");
      go(link, url);
    }
    // Refused, unavailable or slow: the alarm goes without the position.
    var timer = window.setTimeout(function () {
      finish(href);
    }, TIMEOUT_MS);
    link.setAttribute("aria-busy", "true");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        finish(withPosition(href, link.getAttribute("data-alarm-label"), position.coords));
      },
      function () {
        finish(href);
      },
      { enableHighAccuracy: true, timeout: TIMEOUT_MS, maximumAge: 60000 }
    );
  });
})();
