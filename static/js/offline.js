/* The offline copy on the phone (docs/design.md §2 point 3, §6), the page side of it.

   Key design: at setup the victim chooses a PIN or passphrase. The page makes an RSA-OAEP key
   pair; the private key (PKCS#8 bytes) is encrypted with AES-GCM under a key derived from the
   PIN (PBKDF2-SHA256, 600 000 iterations, random salt); the public key is kept as SPKI bytes.
   Each fresh copy (on every online visit to the plan or the contacts) is encrypted with a new
   random 256-bit AES-GCM data key, and that key's raw bytes are encrypted with the public key.
   So a copy can be refreshed without the PIN, and read only with it. IndexedDB holds bytes
   only — salt, IVs, ciphertexts, the wrapped keys — never a CryptoKey and never plaintext.

   Unlocking counts the attempt in IndexedDB *before* trying, so closing the tab mid-try does
   not reset the count; the 10th wrong attempt deletes the database.

   The log written offline (issue 16 point 5): offline, the quick entry is sealed to the
   server's public key (ECDH P-256 with a fresh key pair → HKDF-SHA256 → AES-GCM; the key is on
   the form, app/diary/offline.py) and queued in its own database (QUEUE_DB), so a new PIN or
   ten wrong ones never touch it. The queue holds the sealed bytes and a random key only; the
   phone cannot read them back, not even with the PIN. It is sent, once per key, as soon as a
   signed-in page of hers is online (the "online" event, or the next visit) and listed as
   "Venter på netværk" meanwhile.

   Also here: "Slet alt på denne telefon" and sign-out delete caches and IndexedDB (the queue
   too) and unregister the worker (no network needed) and, offline, leave a marker cookie that
   ends the session at the next request online, and while offline every other form is refused
   with "Du er offline — ændringer kan ikke gemmes" (editing offline is not queued). */
(function () {
  "use strict";
  var DB = "tryg-offline";
  var QUEUE_DB = "tryg-queue";
  var STORE = "kv";
  var ITERATIONS = 600000;
  var MAX_ATTEMPTS = 10;
  var MIN_PIN = 6;
  var RSA = { name: "RSA-OAEP", hash: "SHA-256" };
  var subtle = window.crypto && window.crypto.subtle;
  var encoder = new TextEncoder();
  var decoder = new TextDecoder();

  // ------------------------------------------------------------------ IndexedDB

  function request(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }

  function transactionDone(tx) {
    return new Promise(function (resolve, reject) {
      tx.oncomplete = function () { resolve(); };
      tx.onerror = tx.onabort = function () { reject(tx.error); };
    });
  }

  async function exists(name) {
    if (!window.indexedDB) { return false; }
    if (!indexedDB.databases) { return true; }
    var all = await indexedDB.databases();
    return all.some(function (d) { return d.name === (name || DB); });
  }

  function open(name) {
    var r = indexedDB.open(name || DB, 1);
    r.onupgradeneeded = function () { r.result.createObjectStore(STORE, { keyPath: "id" }); };
    return request(r);
  }

  // Reading must not create the database: no database reads as `empty`.
  async function read(name, job, empty) {
    if (!(await exists(name))) { return empty; }
    var db = await open(name);
    try {
      return await request(job(db.transaction(STORE).objectStore(STORE)));
    } finally { db.close(); }
  }

  function get(id) {
    return read(DB, function (store) { return store.get(id); }, undefined);
  }

  async function write(name, job) {
    var db = await open(name);
    try {
      var tx = db.transaction(STORE, "readwrite");
      job(tx.objectStore(STORE));
      await transactionDone(tx);
    } finally { db.close(); }
  }

  function put(value) { return write(DB, function (store) { store.put(value); }); }

  function deleteCopy() { return request(indexedDB.deleteDatabase(DB)); }

  // ------------------------------------------------------------------ crypto

  function random(n) { return window.crypto.getRandomValues(new Uint8Array(n)); }

  async function pinKey(pin, salt, iterations) {
    var base = await subtle.importKey("raw", encoder.encode(pin.normalize("NFC")), "PBKDF2",
      false, ["deriveKey"]);
    return subtle.deriveKey({ name: "PBKDF2", salt: salt, iterations: iterations, hash: "SHA-256" },
      base, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  }

  async function setUp(pin) {
    var pair = await subtle.generateKey(
      { name: "RSA-OAEP", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256" }, true, ["encrypt", "decrypt"]);
    var pkcs8 = new Uint8Array(await subtle.exportKey("pkcs8", pair.privateKey));
    var spki = new Uint8Array(await subtle.exportKey("spki", pair.publicKey));
    var salt = random(16);
    var iv = random(12);
    var kek = await pinKey(pin, salt, ITERATIONS);
    var wrapped = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: iv }, kek, pkcs8));
    pkcs8.fill(0);
    await deleteCopy();  // a new PIN starts a new copy
    await put({ id: "keys", salt: salt, iterations: ITERATIONS, iv: iv, privateKey: wrapped,
      publicKey: spki });
    await put({ id: "attempts", count: 0 });
    return refresh();
  }

  async function refresh() {
    var keys = await get("keys");
    if (!keys) { return false; }
    var response = await fetch("/phone/copy", { credentials: "same-origin", cache: "no-store",
      redirect: "error", headers: { Accept: "application/json" } });
    var type = response.headers.get("content-type") || "";
    if (!response.ok || type.indexOf("application/json") !== 0) { return false; }
    var data = await response.json();
    data.saved_at = new Date().toISOString();
    var plain = encoder.encode(JSON.stringify(data));
    var raw = random(32);
    var iv = random(12);
    var dataKey = await subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt"]);
    var publicKey = await subtle.importKey("spki", keys.publicKey, RSA, false, ["encrypt"]);
    var ciphertext = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: iv }, dataKey, plain));
    var wrappedKey = new Uint8Array(await subtle.encrypt({ name: "RSA-OAEP" }, publicKey, raw));
    raw.fill(0);
    plain.fill(0);
    await put({ id: "copy", iv: iv, data: ciphertext, key: wrappedKey });
    return true;
  }

  async function unlock(pin) {
    var keys = await get("keys");
    var copy = await get("copy");
    if (!keys || !copy) { return { state: "none" }; }
    var count = ((await get("attempts")) || { count: 0 }).count + 1;
    await put({ id: "attempts", count: count });
    var privateKey;
    try {
      var kek = await pinKey(pin, keys.salt, keys.iterations);
      var pkcs8 = new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: keys.iv }, kek,
        keys.privateKey));
      privateKey = await subtle.importKey("pkcs8", pkcs8, RSA, false, ["decrypt"]);
      pkcs8.fill(0);
    } catch (wrongPin) {
      if (count >= MAX_ATTEMPTS) {
        await deleteCopy();
        return { state: "wiped" };
      }
      return { state: "wrong", left: MAX_ATTEMPTS - count };
    }
    await put({ id: "attempts", count: 0 });
    var raw = new Uint8Array(await subtle.decrypt({ name: "RSA-OAEP" }, privateKey, copy.key));
    var dataKey = await subtle.importKey("raw", raw, "AES-GCM", false, ["decrypt"]);
    raw.fill(0);
    var plain = await subtle.decrypt({ name: "AES-GCM", iv: copy.iv }, dataKey, copy.data);
    return { state: "open", data: JSON.parse(decoder.decode(plain)) };
  }

  async function wipeAll() {
    var jobs = [];
    if (window.caches) {
      (await caches.keys()).forEach(function (key) { jobs.push(caches.delete(key)); });
    }
    if (window.indexedDB) {
      var names = indexedDB.databases
        ? (await indexedDB.databases()).map(function (d) { return d.name; }) : [DB, QUEUE_DB];
      names.forEach(function (name) { jobs.push(request(indexedDB.deleteDatabase(name))); });
    }
    if (navigator.serviceWorker) {
      (await navigator.serviceWorker.getRegistrations()).forEach(function (registration) {
        jobs.push(registration.unregister());
      });
    }
    try { window.sessionStorage.clear(); window.localStorage.clear(); } catch (ignored) { /* */ }
    await Promise.all(jobs);
  }

  // ------------------------------------------------------------------ the log written offline

  var SEAL = { name: "ECDH", namedCurve: "P-256" };
  var SEAL_INFO = encoder.encode("tryg offline diary v1");
  var SEAL_AAD = encoder.encode("diary.offline");
  var ENTRY_FIELDS = ["when", "what", "place", "effect", "witnesses", "journal", "officer"];
  var ENTRY_BOXES = ["key_example", "leave_out"];
  // As app/diary/forms.py LIMITS: the most characters, and the message's data attribute.
  var LIMITS = { what: [5000, "msgMaxWhat"], place: [1000, "msgMaxText"],
    effect: [1000, "msgMaxText"], witnesses: [1000, "msgMaxText"], journal: [100, "msgMaxLine"],
    officer: [100, "msgMaxLine"] };

  function b64(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i += 1) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function unb64(text) {
    var raw = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }

  // To the server's public key: a fresh ECDH key pair, HKDF-SHA256, AES-GCM (app/diary/offline.py).
  async function seal(serverKey, plain) {
    var server = await subtle.importKey("raw", unb64(serverKey), SEAL, false, []);
    var pair = await subtle.generateKey(SEAL, false, ["deriveBits"]);
    var epk = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
    var shared = await subtle.deriveBits({ name: "ECDH", public: server }, pair.privateKey, 256);
    var base = await subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
    var key = await subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: epk, info: SEAL_INFO }, base,
      { name: "AES-GCM", length: 256 }, false, ["encrypt"]);
    var iv = random(12);
    var data = new Uint8Array(await subtle.encrypt(
      { name: "AES-GCM", iv: iv, additionalData: SEAL_AAD }, key, plain));
    return { epk: epk, iv: iv, data: data };
  }

  function queued() {
    return read(QUEUE_DB, function (store) { return store.getAll(); }, []);
  }

  async function unqueue(id) {
    await write(QUEUE_DB, function (store) { store.delete(id); });
    if ((await queued()).length === 0) { await request(indexedDB.deleteDatabase(QUEUE_DB)); }
  }

  // The datetime-local value of now, in Danish wall-clock time (as the server fills it in).
  function localNow(at) {
    var now = parts(at || new Date());
    return now.year + "-" + now.month + "-" + now.day + "T" + now.hour + ":" + now.minute;
  }

  async function queueEntry(form) {
    var status = form.querySelector("[data-queue-status]");
    var what = form.elements.what;
    var when = form.elements.when;
    // The server's own checks (app/diary/forms.py), here: the phone cannot fix a refused entry
    // later, it cannot read it back. (A server clock behind the phone's may still refuse it.)
    var problem = !what.value.trim() ? [what, form.dataset.msgEmpty]
      : !when.value ? [when, form.dataset.msgWhen]
      : when.value > localNow(new Date(Date.now() + 60000)) ? [when, form.dataset.msgFuture] : null;
    Object.keys(LIMITS).forEach(function (name) {
      var field = form.elements[name];
      var limit = LIMITS[name];
      if (!problem && field && field.value.length > limit[0]) {
        problem = [field, form.dataset[limit[1]]];
      }
    });
    if (problem) {
      status.setAttribute("class", "error-message");
      status.textContent = problem[1];
      var more = problem[0].closest("details");  // »Flere oplysninger« may be folded
      if (more) { more.open = true; }
      problem[0].focus();
      return;
    }
    var values = {};
    ENTRY_FIELDS.forEach(function (name) {
      if (form.elements[name]) { values[name] = form.elements[name].value; }
    });
    ENTRY_BOXES.forEach(function (name) {
      if (form.elements[name] && form.elements[name].checked) { values[name] = "1"; }
    });
    var plain = encoder.encode(JSON.stringify(values));
    var sealed = await seal(form.dataset.sealKey, plain);
    plain.fill(0);
    // The key makes a repeated send harmless (app/plans/once.py); it is the record's id too.
    var key = b64(random(24));
    await write(QUEUE_DB, function (store) {
      store.put({ id: key, kid: form.dataset.sealKid, epk: sealed.epk, iv: sealed.iv,
        data: sealed.data });
    });
    ENTRY_FIELDS.forEach(function (name) {
      var field = form.elements[name];
      if (!field) { return; }
      field.value = name === "when" ? localNow() : "";
      field.dispatchEvent(new Event("input", { bubbles: true }));  // the character counts
    });
    ENTRY_BOXES.forEach(function (name) {
      if (form.elements[name]) { form.elements[name].checked = false; }
    });
    status.setAttribute("class", "notice");
    status.textContent = form.dataset.msgQueued;
    what.focus();
    await showQueue();
  }

  // "Venter på netværk", one row per queued entry: nothing of its text (the phone cannot read it).
  async function showQueue() {
    var list = document.querySelector("[data-queue-list]");
    if (!list) { return; }
    var items = await queued();
    list.textContent = "";
    items.forEach(function () {
      var row = el("li", "", { "class": "diary-entry", "data-queued": "" });
      var line = el("p");
      line.appendChild(el("span", list.dataset.msgWaiting, { "class": "tag" }));
      line.appendChild(document.createTextNode(" " + list.dataset.msgWritten));
      row.appendChild(line);
      list.appendChild(row);
    });
    list.hidden = items.length === 0;
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrftoken]");
    return field ? field.value : "";
  }

  // The log shows what arrived: in place with htmx, else by a reload; never while she types.
  function showSent() {
    document.documentElement.setAttribute("data-queue-sent", "");  // for tests: only *that*
    var log = document.getElementById("diary");
    var what = document.getElementById("new-what");
    if (!log || (what && what.value)) {  // no list here, or she is typing: say it arrived
      var form = document.querySelector("form[data-msg-sent]");
      var status = form && form.querySelector("[data-queue-status]");
      if (status) {
        status.setAttribute("class", "notice");
        status.textContent = form.dataset.msgSent;
      }
      return;
    }
    if (window.htmx) {
      window.htmx.ajax("GET", window.location.pathname + window.location.search,
        { target: "#diary", swap: "outerHTML" });
    } else { window.location.reload(); }
  }

  async function sendAll() {
    // Only from her own signed-in page: the server takes an entry from the victim only.
    if (!navigator.onLine || !document.querySelector("[data-offline-victim]")) { return; }
    var items = await queued();
    var sent = 0;
    for (var i = 0; i < items.length; i += 1) {
      var item = items[i];
      var body = new URLSearchParams({ form_key: item.id, kid: item.kid, epk: b64(item.epk),
        iv: b64(item.iv), data: b64(item.data) });
      var response = await fetch("/diary/offline", {
        method: "POST", body: body, credentials: "same-origin", cache: "no-store",
        redirect: "error", headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" }
      }).catch(function () { return null; });
      if (!response) { break; }  // the network went again: kept for the next chance
      if (!response.ok) { continue; }  // refused: kept, never thrown away
      await unqueue(item.id);
      sent += 1;
    }
    if (sent) {
      await showQueue();
      showSent();
    }
  }

  var sending = null;  // one send at a time: "online" and a page start may come together
  function send() {
    if (!sending) {
      sending = sendAll().catch(function () {}).then(function () { sending = null; });
    }
    return sending;
  }

  window.TrygOffline = { setUp: setUp, refresh: refresh, unlock: unlock, wipeAll: wipeAll,
    send: send, ITERATIONS: ITERATIONS };

  // ------------------------------------------------------------------ the unlock screen

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    return node;
  }

  // Danish wall-clock time, as on every online page (not the phone's own time zone).
  function parts(when) {
    var out = {};
    new Intl.DateTimeFormat("da-DK", {
      timeZone: "Europe/Copenhagen", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(when).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }

  function clock(iso) {
    var when = parts(new Date(iso));
    var today = parts(new Date());
    var time = when.hour + ":" + when.minute;
    if (when.day === today.day && when.month === today.month && when.year === today.year) {
      return time;
    }
    return when.day + "-" + when.month + "-" + when.year + " " + time;
  }

  // Hotlines are called only; a contact can also be texted.
  function callRow(main, phone, name, sms) {
    var row = el("p", "", { "class": "call-row" });
    row.appendChild(el("a", main.dataset.msgCall + " " + name, { "class": "button button-call", href: "tel:" + phone }));
    if (sms) {
      row.appendChild(el("a", main.dataset.msgSms + " " + name, { "class": "button", href: "sms:" + phone }));
    }
    return row;
  }

  function show(main, data) {
    var content = main.querySelector("[data-offline-content]");
    content.textContent = "";
    if (data.alarm) {  // the same sms: link as the online "Send alarm-SMS"
      var alarm = el("p");
      alarm.appendChild(el("a", main.dataset.msgSendAlarm,
        { "class": "button button-danger button-alarm", href: data.alarm, "data-offline-alarm": "" }));
      content.appendChild(alarm);
    }
    var plan = el("section", "", { "aria-labelledby": "offline-plan" });
    plan.appendChild(el("h2", main.dataset.msgPlan, { id: "offline-plan", tabindex: "-1" }));
    data.sections.forEach(function (section) {
      var card = el("section", "", { "class": "card" });
      card.appendChild(el("h3", section.title));
      var list = el("ul");
      section.items.forEach(function (item) {
        var li = el("li", item.text);
        if (item.done) { li.appendChild(el("span", " (" + main.dataset.msgDone + ")", { "class": "tag" })); }
        list.appendChild(li);
      });
      card.appendChild(list);
      plan.appendChild(card);
    });
    content.appendChild(plan);
    var contacts = el("section", "", { id: "offline-contacts", "aria-labelledby": "offline-contacts-heading" });
    contacts.appendChild(el("h2", main.dataset.msgContacts, { id: "offline-contacts-heading", tabindex: "-1" }));
    var list = el("ul", "", { "class": "contact-list" });
    data.contacts.forEach(function (contact) {
      var li = el("li", "", { "class": "contact card" });
      li.appendChild(el("h3", contact.name));
      var meta = [contact.relation, contact.shown || contact.phone, contact.alarm ? main.dataset.msgAlarm : ""];
      li.appendChild(el("p", meta.filter(Boolean).join(" · "), { "class": "meta" }));
      li.appendChild(callRow(main, contact.phone, contact.name, true));
      list.appendChild(li);
    });
    contacts.appendChild(list);
    if (data.hotlines && data.hotlines.length) {
      contacts.appendChild(el("h2", main.dataset.msgHotlines));
      var lines = el("ul", "", { "class": "contact-list" });
      data.hotlines.forEach(function (line) {
        var li = el("li", "", { "class": "contact card" });
        li.appendChild(el("h3", line.name + " · " + (line.shown || line.phone)));
        li.appendChild(callRow(main, line.phone, line.name, false));
        lines.appendChild(li);
      });
      contacts.appendChild(lines);
    }
    content.appendChild(contacts);
    main.querySelector("[data-offline-updated]").textContent =
      main.dataset.msgUpdated.replace("{time}", clock(data.saved_at));
    main.querySelector("[data-unlock]").hidden = true;
    main.querySelector("[data-offline-view]").hidden = false;
    var target = /contacts\/?$/.test(window.location.pathname) ? "offline-contacts-heading" : "offline-plan";
    document.getElementById(target).focus();
  }

  // For `make bench` (offline launch → plan visible); marks stay in this page's timeline.
  function mark(name) { if (window.performance && performance.mark) { performance.mark(name); } }

  async function offlinePage(main) {
    var form = main.querySelector("[data-unlock]");
    var status = main.querySelector("[data-unlock-status]");
    var hasCopy = Boolean(await get("copy"));
    main.querySelector("[data-offline-none]").hidden = hasCopy;
    form.hidden = !hasCopy;
    mark("tryg-unlock-ready");
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      mark("tryg-unlock-start");
      var button = form.querySelector("button");
      var field = form.querySelector("input[name=pin]");
      button.disabled = true;
      status.setAttribute("class", "hint");
      status.textContent = main.dataset.msgWorking;
      var result = await unlock(field.value).catch(function () { return { state: "none" }; });
      button.disabled = false;
      field.value = "";
      status.setAttribute("class", "error-message");
      if (result.state === "open") {
        status.textContent = "";
        show(main, result.data);
        mark("tryg-plan-shown");
        return;
      }
      if (result.state === "wrong") {
        status.textContent = result.left === 1 ? main.dataset.msgWrongOne
          : main.dataset.msgWrong.replace("{n}", String(result.left));
        field.focus();
        return;
      }
      status.textContent = result.state === "wiped" ? main.dataset.msgWiped : "";
      form.querySelector("input").disabled = true;
      button.disabled = true;
      main.querySelector("[data-offline-none]").hidden = false;
    });
  }

  // ------------------------------------------------------------------ the setup form (/phone)

  function setupForm(form) {
    var status = form.querySelector("[data-offline-status]");
    var state = document.querySelector("[data-offline-state]");
    var nojs = document.querySelector("[data-offline-nojs]");
    if (nojs) { nojs.hidden = true; }
    form.hidden = false;
    function describe() {
      get("copy").then(function (copy) {
        if (state) { state.textContent = copy ? state.dataset.msgOn : state.dataset.msgOff; }
      });
    }
    describe();
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var pin = form.elements.pin.value;
      var again = form.elements.pin2.value;
      status.setAttribute("class", "error-message");
      if (pin.length < MIN_PIN) { status.textContent = form.dataset.msgShort; return; }
      if (pin !== again) { status.textContent = form.dataset.msgMismatch; return; }
      var button = form.querySelector("button");
      button.disabled = true;
      status.setAttribute("class", "hint");
      status.textContent = form.dataset.msgWorking;
      var ok = await setUp(pin).catch(function () { return false; });
      form.elements.pin.value = form.elements.pin2.value = "";
      button.disabled = false;
      status.setAttribute("class", ok ? "notice" : "error-message");
      status.textContent = ok ? form.dataset.msgSaved : form.dataset.msgFailed;
      describe();
    });
  }

  // ------------------------------------------------------------------ forms: wipe, offline

  function isWipe(form) {
    return form.hasAttribute("data-wipe") || form.getAttribute("action") === "/logout";
  }

  // The session cookie is HttpOnly and /logout may be out of reach: this marker makes the
  // server end the session at the next request that carries it (app/auth/wipe.py), so a wipe
  // or sign-out done offline leaves no session that works once the phone is online again.
  function markWiped() {
    var https = window.location.protocol === "https:";
    document.cookie = (https ? "__Host-" : "") + "tryg_wiped=1; path=/; SameSite=Strict" +
      (https ? "; Secure" : "");
  }

  function offlineNotice(on) {
    var notice = document.querySelector("[data-offline-notice]");
    if (!notice || document.querySelector("[data-offline-page]")) { return; }
    // A page with the log's quick entry says that a new entry is kept (sealed) and sent later.
    var log = document.querySelector("form[data-seal-key]");
    notice.textContent = on ? (log ? notice.dataset.msgLog : notice.dataset.msg) : "";
    notice.hidden = !on;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("data-unlock") ||
        form.hasAttribute("data-offline-setup")) { return; }
    if (isWipe(form)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      if (form.hasAttribute("data-wipe") || !navigator.onLine) { markWiped(); }
      wipeAll().catch(function () {}).then(function () {
        if (navigator.onLine && form.getAttribute("action")) {
          document.documentElement.setAttribute("data-leaving", "");
          form.submit();
          return;
        }
        var status = form.querySelector("[data-wipe-status]");
        if (status) { status.textContent = form.dataset.msgDone; }
        document.querySelectorAll("[data-unlock], [data-offline-view]").forEach(function (node) {
          node.hidden = true;
        });
      });
      return;
    }
    // The unlock screen's log form is queued always: that page is only shown without network.
    if (!navigator.onLine || form.hasAttribute("data-queue-always")) {
      // editing offline is refused, not queued; the log's quick entry is queued
      event.preventDefault();
      event.stopImmediatePropagation();
      if (form.hasAttribute("data-seal-key") && subtle && window.indexedDB) {
        queueEntry(form).catch(function () { offlineNotice(true); });
        return;
      }
      offlineNotice(true);
    }
  }, true);

  window.addEventListener("offline", function () { offlineNotice(true); });
  window.addEventListener("online", function () {
    offlineNotice(false);
    if (subtle && window.indexedDB) { send(); }
  });
  // The log swapped in by htmx has an empty queue list: fill it again.
  document.addEventListener("htmx:afterSettle", function () {
    if (window.indexedDB) { showQueue().catch(function () {}); }
  });

  function start() {
    if (!navigator.onLine) { offlineNotice(true); }
    if (!subtle || !window.indexedDB) { return; }
    var main = document.querySelector("[data-offline-page]");
    if (main) {
      var log = main.querySelector("form[data-queue-always]");
      if (log) {
        log.hidden = false;
        log.elements.when.value = localNow();  // the page was stored long ago
      }
      showQueue().catch(function () {});
      offlinePage(main);
      return;
    }
    var form = document.querySelector("[data-offline-setup]");
    if (form) { setupForm(form); }
    showQueue().then(send).catch(function () {});
    var ownPlan = /^\/plans\/\d+(\/contacts)?\/?$/.test(window.location.pathname);
    if (ownPlan && navigator.onLine && document.querySelector("[data-offline-victim]")) {
      refresh().then(function (saved) {
        // Says only *that* a copy was refreshed (for tests), never what it holds.
        if (saved) { document.documentElement.setAttribute("data-offline-saved", ""); }
      }).catch(function () {});
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else { start(); }
})();
