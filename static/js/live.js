/* Live co-editing (docs/design.md §4). One behaviour: keep this screen current without losing a word.

   htmx's SSE extension holds the stream (#live, hx-sse:connect); each event names what changed
   and the listening parts of the page re-fetch themselves (hx-trigger="… from:#live"). This file
   only guards the user's own work during those swaps and shows presence:
   - an open editor, and any field the user has typed in or is in, survives a refresh of its
     section (htmx's hx-preserve moves the very same element into the new content); the editor
     is told when the item changed or was deleted meanwhile, and its save then meets the
     conflict page — never a silent overwrite;
   - "Anna is editing this item" markers follow the presence list;
   - a "revoked" event hides the plan at once: the victim withdrew access (leave, with a word
     on arrival) or the session ended (reload, and the sign-in page says why).
   Without this file (or without JavaScript) the page still works; it is just not live. */
(function () {
  "use strict";

  function live() { return document.getElementById("live"); }

  function byId(root, id) {
    return root.querySelector("#" + CSS.escape(id));
  }

  function note(form, key) {
    var bar = live();
    var text = bar && bar.getAttribute("data-msg-" + key);
    if (!text) { return; }
    var p = form.querySelector("[data-live-note]");
    if (!p) {
      p = document.createElement("p");
      p.className = "notice";
      p.setAttribute("role", "status");
      p.setAttribute("data-live-note", "");
      form.insertBefore(p, form.firstChild);
    }
    if (p.textContent !== text) { p.textContent = text; }
  }

  function placeholder(id) {
    var el = document.createElement("form");
    el.id = id;
    el.setAttribute("hx-preserve", "");
    return el;
  }

  /* An open editor is not in the server's fragment (it renders the item closed): put a
     preserved placeholder where it belongs, so htmx keeps the live editor there. */
  function keepEditor(form, fragment) {
    var itemId = form.getAttribute("data-item");
    var li = form.closest("li");
    var incoming = li && byId(fragment, li.id);
    if (incoming) {
      var link = byId(incoming, "edit-" + itemId);
      if (link) { link.replaceWith(placeholder(form.id)); }
      else { incoming.appendChild(placeholder(form.id)); }
      if (incoming.getAttribute("data-version") !== li.getAttribute("data-version")) {
        note(form, "changed");
      }
      return;
    }
    var list = li && li.parentElement && li.parentElement.id
      ? byId(fragment, li.parentElement.id) : null;
    list = list || fragment.querySelector("ol.items");
    if (!list) { return; }
    var gone = document.createElement("li");
    gone.id = li.id;
    gone.className = "item is-gone";
    gone.setAttribute("data-version", li.getAttribute("data-version") || "");
    gone.appendChild(placeholder(form.id));
    list.appendChild(gone);
    note(form, "deleted");
  }

  function keepLocalWork(event) {
    var detail = event.detail || {};
    var source = detail.ctx && detail.ctx.sourceElement;
    var ownForm = source && source.closest ? source.closest("form") : null;
    (detail.tasks || []).forEach(function (task) {
      var target = typeof task.target === "string" ? document.querySelector(task.target) : task.target;
      if (!target || !task.fragment || !target.querySelectorAll) { return; }
      target.querySelectorAll("form.item-edit").forEach(function (form) {
        if (form !== ownForm && !form.contains(source)) { keepEditor(form, task.fragment); }
      });
      /* An editor opened in place (a <details> with an id: the handleplan's "Ret") stays open
         with what it holds and the version it saw; its save then meets the conflict choice
         when someone else changed the same row meanwhile. */
      target.querySelectorAll("details[open][id]").forEach(function (open) {
        if (ownForm && open.contains(ownForm)) { return; }
        var incoming = byId(task.fragment, open.id);
        if (incoming) { incoming.setAttribute("hx-preserve", ""); }
      });
      target.querySelectorAll("textarea[id], input[type=text][id]").forEach(function (field) {
        if (field.closest("form.item-edit") || (ownForm && ownForm.contains(field))) { return; }
        if (field.closest("details[open][id]")) { return; }  // kept with its editor, above
        if (field.value === field.defaultValue && field !== document.activeElement) { return; }
        var incoming = byId(task.fragment, field.id);
        if (incoming) { incoming.setAttribute("hx-preserve", ""); }
      });
    });
  }

  function markEditing() {
    document.querySelectorAll("[data-edit-marker]").forEach(function (m) { m.remove(); });
    document.querySelectorAll("#presence [data-editing-item]").forEach(function (entry) {
      var item = document.getElementById("item-" + entry.getAttribute("data-editing-item"));
      if (!item) { return; }
      var marker = document.createElement("p");
      marker.className = "edit-marker";
      marker.setAttribute("data-edit-marker", "");
      marker.textContent = entry.getAttribute("data-label");
      item.appendChild(marker);
    });
  }

  function status(on) {
    var bar = live();
    if (!bar) { return; }
    bar.setAttribute("data-live", on ? "on" : "off");
    var p = bar.querySelector("[data-live-status]");
    if (!p) { return; }
    p.hidden = on;
    p.textContent = on ? "" : p.getAttribute("data-msg-off");
  }

  /* The stream ended for good. The session ended: this page again, which the server answers with
     the sign-in page saying why. The access was taken back: away, with a word on arrival
     (closed.js shows it on the caseworker's list). */
  function revoked(data) {
    var why = "";
    try { why = JSON.parse(data || "{}").why || ""; } catch (e) { why = ""; }
    if (why === "session") {
      // idle.js decides: typed, unsaved text stays on screen to be saved (and kept for after the
      // sign-in); otherwise this page again, which the server answers with the sign-in page.
      if (document.querySelector("form[data-idle]")) {
        document.dispatchEvent(new CustomEvent("signed-out"));
      } else {
        window.location.replace(window.location.href);
      }
      return;
    }
    var main = document.getElementById("main");
    if (main) { main.hidden = true; }
    try { window.sessionStorage.setItem("tryg-closed", "access"); } catch (e) { /* private mode */ }
    var bar = live();
    window.location.replace((bar && bar.getAttribute("data-gone-url")) || "/");
  }

  /* htmx starts itself in a timer once loaded; the SSE extension may arrive after that. So the
     stream is attached here, after htmx has processed the page: exactly one connection. */
  function connect(tries) {
    var bar = live();
    if (!bar || !window.htmx || bar.hasAttribute("hx-sse:connect")) { return; }
    if (!document.querySelector("[data-htmx-powered]")) {  // htmx has not processed the page yet
      if (tries < 100) { window.setTimeout(function () { connect(tries + 1); }, 20); }
      return;
    }
    bar.setAttribute("hx-sse:connect", bar.getAttribute("data-live-url"));
    window.htmx.process(bar);
  }

  /* This page's own changes come back on the stream like anyone's. The answer to the change
     already shows it, and re-fetching the section would throw away what that answer added (the
     undo after a delete, with focus on it). So an event about an item this page already shows
     at that version is dropped. The event may overtake the answer: while one of this page's
     own requests into a live part is under way, the decision waits until it has been swapped. */
  var own = typeof Map === "function" ? new Map() : null;  // request ctx -> its promise's resolve

  function shown(data) {
    var el = document.getElementById("item-" + data.item) ||
      document.querySelector("[data-deleted='" + data.item + "']");
    return !!el && el.getAttribute("data-version") === String(data.version);
  }

  function skipEcho(event) {
    var detail = event.detail || {};
    var message = detail.message;
    if (!own || !message || !/^section-/.test(message.event || "")) { return; }
    var data;
    try { data = JSON.parse(message.data); } catch (e) { return; }
    if (!data || typeof data.item !== "number" || typeof data.version !== "number") { return; }
    var decide = function () { if (shown(data)) { detail.cancelled = true; } };
    if (own.size && typeof detail.waitUntil === "function") {
      var waiting = [];
      own.forEach(function (entry) { waiting.push(entry.promise); });
      detail.waitUntil(Promise.all(waiting).then(decide));
    } else {
      decide();
    }
  }

  function ownRequest(event) {
    var ctx = event.detail && event.detail.ctx;
    var source = ctx && ctx.sourceElement;
    if (!own || !source || !source.closest || source.hasAttribute("data-live-refresh") ||
        !source.closest("[data-live-refresh]")) { return; }
    var entry = {};
    entry.promise = new Promise(function (resolve) { entry.resolve = resolve; });
    own.set(ctx, entry);
  }

  function ownRequestDone(event) {
    var ctx = event.detail && event.detail.ctx;
    var entry = own && ctx && own.get(ctx);
    if (entry) { own.delete(ctx); entry.resolve(); }
  }

  document.addEventListener("htmx:sse:before:message", skipEcho);
  document.addEventListener("htmx:before:request", ownRequest);
  document.addEventListener("htmx:finally:request", ownRequestDone);
  document.addEventListener("DOMContentLoaded", function () { window.setTimeout(connect, 0, 0); });
  document.addEventListener("htmx:before:swap", keepLocalWork);
  document.addEventListener("htmx:after:swap", markEditing);
  document.addEventListener("htmx:sse:after:connection", function () {
    retryMs = 1000;
    status(true);
  });
  document.addEventListener("htmx:sse:error", function () { status(false); });
  /* The extension reconnects a stream that ended; a first connection that failed (offline, a
     restart) is retried here, with a growing pause. */
  var retryMs = 1000;
  document.addEventListener("htmx:error", function (event) {
    var bar = live();
    if (event.target !== bar) { return; }
    status(false);
    window.setTimeout(function () {
      if (bar.isConnected && !(bar._htmx && bar._htmx.sse)) {
        window.htmx.ajax("GET", bar.getAttribute("hx-sse:connect"), { source: bar });
      }
    }, retryMs);
    retryMs = Math.min(retryMs * 2, 30000);
  });
  document.addEventListener("revoked", function (event) {
    if (event.target === live()) { revoked(event.detail && event.detail.data); }
  });
  document.addEventListener("DOMContentLoaded", markEditing);
})();
