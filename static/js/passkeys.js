/* Passkeys: one behaviour — run the WebAuthn ceremony for forms marked data-passkey.
   data-passkey="login"    → navigator.credentials.get   (sign in, or confirm it is you)
   data-passkey="enrol"    → navigator.credentials.create (redeem an enrolment code)
   data-passkey="register" → navigator.credentials.create (add a passkey while signed in)
   The form's data-options URL gives the options; its action URL verifies. Both answer JSON:
   {redirect} on success, {error} (a translated sentence) on refusal. An enrolment that waits
   for the meeting handshake answers {confirmation}: the number shown to the code's issuer. */
(function () {
  "use strict";

  var MESSAGES = {
    unsupported: "data-msg-unsupported",
    cancelled: "data-msg-cancelled",
    failed: "data-msg-failed",
    working: "data-msg-working"
  };

  function say(form, key, text) {
    var status = form.querySelector("[data-passkey-status]");
    if (!status) { return; }
    status.textContent = text || status.getAttribute(MESSAGES[key]) || "";
  }

  function csrf(form) {
    var field = form.querySelector("input[name=csrftoken]");
    return field ? field.value : "";
  }

  function post(form, url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(form) },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return { error: null }; }).then(function (data) {
        if (!response.ok) { var err = new Error("refused"); err.data = data; throw err; }
        return data;
      });
    });
  }

  function fieldValue(form, name) {
    var field = form.querySelector("[name=" + name + "]");
    return field ? field.value : undefined;
  }

  function run(form) {
    var kind = form.getAttribute("data-passkey");
    var extra = { code: fieldValue(form, "code"), nickname: fieldValue(form, "nickname") };
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    say(form, "working");
    post(form, form.getAttribute("data-options"), extra)
      .then(function (options) {
        if (kind === "login") {
          var get = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey);
          return navigator.credentials.get({ publicKey: get }).then(function (cred) {
            return { handle: options.handle, credential: cred };
          });
        }
        var create = PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey);
        return navigator.credentials.create({ publicKey: create }).then(function (cred) {
          return { handle: options.handle, credential: cred };
        });
      })
      .then(function (result) {
        return post(form, form.getAttribute("action"), {
          handle: result.handle,
          credential: result.credential.toJSON(),
          nickname: extra.nickname
        });
      })
      .then(function (data) {
        if (data.confirmation) { showConfirmation(form, data.confirmation); return; }
        window.location.replace(data.redirect || "/");
      })
      .catch(function (error) {
        if (button) { button.disabled = false; }
        if (error && error.data && error.data.error) { say(form, "failed", error.data.error); }
        else if (error && error.name === "NotAllowedError") { say(form, "cancelled"); }
        else { say(form, "failed"); }
      });
  }

  // The new phone shows the number its code's issuer must type; then the person signs in.
  function showConfirmation(form, number) {
    var box = document.querySelector("[data-confirmation]");
    if (!box) { return; }
    box.querySelector("[data-confirmation-number]").textContent = number;
    form.hidden = true;
    box.hidden = false;
    var heading = box.querySelector("h2");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  }

  function supported() {
    return window.PublicKeyCredential &&
      typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function" &&
      typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-passkey")) { return; }
    event.preventDefault();
    if (!supported()) { say(form, "unsupported"); return; }
    run(form);
  });

  // A change refused for want of a fresh passkey check (app/auth/stepup.py) comes back with a
  // link to /account/verify. Here the check runs in place instead, and then the form she filled
  // in is sent again, so nothing she typed is lost (without a form around the link, the page is
  // loaded again). Without JavaScript the link leads to the check page, which comes back.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-fresh-check]") : null;
    if (!link || event.defaultPrevented || !supported()) { return; }
    event.preventDefault();
    var box = link.closest("[data-fresh-needed]") || link.parentNode;
    var form = link.closest("form");
    say(box, "working");
    post(document, "/account/verify/options", {})
      .then(function (options) {
        var get = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey);
        return navigator.credentials.get({ publicKey: get }).then(function (cred) {
          return post(document, "/account/verify/passkey",
            { handle: options.handle, credential: cred.toJSON() });
        });
      })
      .then(function () {
        if (!form) { window.location.replace(window.location.href); return; }
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      })
      .catch(function (error) {
        if (error && error.data && error.data.error) { say(box, "failed", error.data.error); }
        else if (error && error.name === "NotAllowedError") { say(box, "cancelled"); }
        else { say(box, "failed"); }
      });
  });

  // An enrolment QR code carries the code after "#": fill it in, then drop it from the address.
  document.addEventListener("DOMContentLoaded", function () {
    var field = document.querySelector("[data-code-from-hash]");
    if (field && window.location.hash.length > 1) {
      field.value = decodeURIComponent(window.location.hash.slice(1));
      history.replaceState(null, "", window.location.pathname);
    }
  });
})();
