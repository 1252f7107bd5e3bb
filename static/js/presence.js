/* Who is here, said once (issue 14 point 5): when someone joins the plan on another screen, the
   one polite live region (#announce) says "Anna, Esbjerg Lokalpoliti er her" once. Nobody is
   announced twice for staying, and leaving is not announced (the list shows it).

   Hooks: #presence with one .presence-person per person (templates/live/_presence.html), swapped
   by htmx on the live stream's "presence" event; #announce in base.html. */
(function () {
  "use strict";

  var known = null;

  function people() {
    var list = document.getElementById("presence");
    if (!list) { return null; }
    return Array.prototype.map.call(list.querySelectorAll(".presence-person"), function (p) {
      return p.textContent.trim();
    });
  }

  function say(text) {
    var region = document.getElementById("announce");
    if (!region) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 100);
  }

  document.addEventListener("DOMContentLoaded", function () { known = people(); });

  document.addEventListener("htmx:after:swap", function () {
    var now = people();
    if (now === null) { return; }
    var before = known || [];
    var joined = now.filter(function (who) { return before.indexOf(who) === -1; });
    known = now;
    if (joined.length) { say(joined.join(". ")); }
  });
})();
