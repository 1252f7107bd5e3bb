/* A plan page the caseworker had open left for this list because the person took back her
   access (live.js leaves a one-time mark in sessionStorage): say so here, once. */
(function () {
  "use strict";
  var mark = null;
  try {
    mark = window.sessionStorage.getItem("tryg-closed");
    window.sessionStorage.removeItem("tryg-closed");
  } catch (e) { return; }
  if (mark !== "access") { return; }
  function show() {
    var notice = document.querySelector("[data-closed-notice]");
    if (notice) { notice.hidden = false; }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", show);
  } else {
    show();
  }
})();
