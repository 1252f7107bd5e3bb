/* After an htmx swap the user acted on: focus where she was, and say once what happened.

   - Focus: a field the server marked invalid (its message is announced); else what the new
     content asks for (autofocus, done by htmx); else the control acted on, or the one its
     data-focus-after names when it is gone, disabled or folded away (save → "Edit", moving
     to the last place → "Move up", undo → the restored item's "Edit").
   - Announcement: one polite live region (#announce in base.html) says the notice the new
     content carries, or the acted form's data-done text.
   - The conflict page (it replaces the main content) opens at its top, its heading focused.
   - A body too large for the server (413) is not swapped in (HX-Reswap: none); its trigger
     becomes a message at the form's longest field, which keeps every typed character.
   Live refreshes (events from #live) are not acts: they move no focus and say nothing. */
(function () {
  "use strict";

  var acted = null;

  function announce(text) {
    var region = document.getElementById("announce");
    if (!region || !text) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 100);
  }

  function focusOn(el) {
    if (!el) { return false; }
    var folded = el.closest("details:not([open])");
    if (folded) { el = folded.querySelector("summary"); }
    if (!el || el.disabled || el.getClientRects().length === 0) { return false; }
    el.focus();
    return true;
  }

  function errorText(field) {
    var ids = (field.getAttribute("aria-describedby") || "").split(/\s+/);
    for (var i = 0; i < ids.length; i++) {
      var el = /-error$/.test(ids[i]) && document.getElementById(ids[i]);
      if (el) { return el.textContent.trim(); }
    }
    return "";
  }

  /* The element the response went into, as it is in the document now. */
  function swapped(ctx) {
    var target = ctx && ctx.target;
    if (typeof target === "string") { return document.querySelector(target); }
    if (target && target.id) { return document.getElementById(target.id); }
    return target && target.isConnected ? target : null;
  }

  /* After the response of an act has been swapped in. */
  function settled(ctx, act) {
    if (acted !== act) { return; }
    acted = null;
    var root = swapped(ctx) || document.body;
    if (ctx.hx && ctx.hx.retarget === "#main") {  // the conflict page: its top, heading first
      var heading = root.querySelector("h1");
      window.scrollTo(0, 0);
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: true });
        announce(heading.textContent.trim());
      }
      return;
    }
    if (!ctx.response || ctx.hx.reswap === "none") { return; }
    var invalid = root.querySelector("[aria-invalid=true]");
    if (invalid) {
      invalid.focus();
      announce(errorText(invalid));
      return;
    }
    var active = document.activeElement;
    if (active && active !== document.body && active.hasAttribute("autofocus")) {
      return;  // the new content took the focus ("Undo"), its description says what happened
    }
    var notice = root.querySelector("[data-notice]");
    if (notice && !notice.matches("p")) { notice = notice.querySelector("p") || notice; }
    announce(notice ? notice.textContent.trim() : (ctx.response.status < 300 ? act.done : ""));
    for (var i = 0; i < act.ids.length; i++) {
      if (focusOn(document.getElementById(act.ids[i]))) { return; }
    }
  }

  document.addEventListener("htmx:before:request", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var how = ctx && ctx.sourceEvent && ctx.sourceEvent.type;
    if (how !== "submit" && how !== "click") { return; }  // a live refresh: not an act
    var source = ctx.sourceElement;
    var control = ctx.sourceEvent.submitter || document.activeElement || source;
    var ids = [];
    [control, source].forEach(function (el) {
      if (!el || !el.getAttribute) { return; }
      if (el.id) { ids.push(el.id); }
      if (el.getAttribute("data-focus-after")) { ids.push(el.getAttribute("data-focus-after")); }
    });
    var form = source.closest && source.closest("form");
    acted = { ctx: ctx, ids: ids, done: form ? form.getAttribute("data-done") : null };
  });

  /* Fired on the element that sent the request, or on the document once the swap has taken
     that element out of the page. */
  document.addEventListener("htmx:finally:request", function (event) {
    var act = acted;
    var ctx = event.detail && event.detail.ctx;
    if (!act || !ctx || act.ctx !== ctx) { return; }
    window.setTimeout(function () { settled(ctx, act); }, 0);
  });

  document.addEventListener("too-large", function (event) {
    var form = event.target.closest ? event.target.closest("form") || event.target : null;
    if (!form || !form.querySelectorAll) { return; }
    var longest = null;
    form.querySelectorAll("textarea, input[type=text]").forEach(function (f) {
      if (!longest || f.value.length > longest.value.length) { longest = f; }
    });
    var region = document.getElementById("announce");
    var text = region ? region.getAttribute("data-msg-too-large") : "";
    if (!longest || !text) { return; }
    var id = longest.id + "-too-large-error";
    var message = document.getElementById(id);
    if (!message) {
      message = document.createElement("p");
      message.className = "error-message";
      message.id = id;
      var count = document.getElementById(longest.id + "-count");
      (count || longest).insertAdjacentElement("afterend", message);
    }
    message.textContent = text;
    var described = (longest.getAttribute("aria-describedby") || "").split(/\s+/);
    if (described.indexOf(id) < 0) { described.push(id); }
    longest.setAttribute("aria-describedby", described.join(" ").trim());
    longest.setAttribute("aria-invalid", "true");
    acted = null;
    longest.focus();
    announce(text);
  });
})();
