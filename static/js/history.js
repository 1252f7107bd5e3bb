/* One history entry (docs/design.md §5). Standalone: no htmx, no other script.

   Quick exit replaces Tryg's history entry with the exit site; that only leaves no way back if
   Tryg never had more than one entry. So in-app navigation replaces the URL instead of pushing:
   - a same-origin link: location.replace(href);
   - a same-origin GET form: location.replace(action?query);
   - a same-origin POST form: sent with fetch and the header X-Tryg-Replace. The server answers a
     redirect as 204 + X-Tryg-Location (app/exit/middleware.py), followed with location.replace;
     any other answer (a form with errors, a conflict) is written into this document in place;
   - an htmx history push ("htmx:before:history:update") becomes a replace.
   Anything another script already handled (event.defaultPrevented), a modified click, a link
   with a target or download, and other origins behave as usual. Without JavaScript, links and
   forms are ordinary ones (the browser adds entries; quick exit still replaces the last). */
(function () {
  "use strict";
  var pending = false;
  var native = typeof WeakSet === "function" ? new WeakSet() : null;

  function sameOrigin(url) {
    return url.origin === window.location.origin && /^https?:$/.test(url.protocol);
  }

  window.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey) { return; }
    var link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || link.hasAttribute("download") || (link.target && link.target !== "_self") ||
        link.hasAttribute("data-exit")) { return; }
    var url = new URL(link.href, window.location.href);
    if (!sameOrigin(url)) { return; }
    event.preventDefault();
    window.location.replace(url.href);
  });

  function write(html) {
    document.open();
    document.write(html);
    document.close();
  }

  window.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form || (native && native.has(form))) { return; }
    var submitter = event.submitter || null;
    var pick = function (attr, prop, fallback) {
      return submitter && submitter.hasAttribute(attr) ? submitter[prop] : fallback;
    };
    var target = pick("formtarget", "formTarget", form.target);
    if (target && target !== "_self") { return; }
    var url = new URL(pick("formaction", "formAction", form.action), window.location.href);
    if (!sameOrigin(url)) { return; }
    var method = String(pick("formmethod", "formMethod", form.method)).toLowerCase();
    var enctype = pick("formenctype", "formEnctype", form.enctype);
    var data;
    try { data = new FormData(form, submitter); } catch (e) { data = new FormData(form); }
    event.preventDefault();
    if (method === "get") {
      url.search = new URLSearchParams(data).toString();
      window.location.replace(url.href);
      return;
    }
    if (method !== "post" || pending) { return; }
    pending = true;
    var body = enctype === "multipart/form-data" ? data : new URLSearchParams(data);
    fetch(url.href, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Tryg-Replace": "1" }
    }).then(function (response) {
      var next = response.headers.get("X-Tryg-Location");
      if (next) {
        var to = new URL(next, window.location.href);
        var page = new URL(to.href);
        var here = new URL(window.location.href);
        page.hash = here.hash = "";
        if (page.href !== here.href) {
          window.location.replace(to.href);
        } else {
          // Back to this very page: a new #fragment alone would only scroll, so load it again.
          if (to.href !== window.location.href) { window.location.replace(to.href); }
          window.location.reload();
        }
        return null;
      }
      return response.text().then(write);
    }).catch(function () {
      // The network failed: let the browser try the ordinary way (it shows its own error).
      pending = false;
      if (native) { native.add(form); }
      if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
    });
  });

  // htmx (when it loaded) asks before it pushes a URL: make it a replace.
  document.addEventListener("htmx:before:history:update", function (event) {
    var history = event.detail && event.detail.history;
    if (history && history.type === "push") { history.type = "replace"; }
  });
})();
