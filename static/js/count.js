/* The character count under a limited field ("123 / 500 tegn", templates/_count.html) follows
   what is typed. The page states the limit without this file; nothing cuts a paste short. */
(function () {
  "use strict";
  document.addEventListener("input", function (event) {
    var field = event.target;
    var count = field.id && document.getElementById(field.id + "-count");
    if (!count || !count.hasAttribute("data-count")) { return; }
    var length = Array.from(field.value).length;
    count.textContent = count.textContent.replace(/^\d+/, String(length));
    count.classList.toggle("is-over", length > Number(count.getAttribute("data-max")));
  });
})();
