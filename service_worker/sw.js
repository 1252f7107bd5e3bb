/* Tryg's service worker (docs/design.md §6), served at /sw.js by app/phone/routes.py, which fills in the
   three placeholders below. What it does, and what it never does:

   - Precaches the static assets, htmx (from the configured URL, checked against its SRI hash;
     when the CDN cannot be reached the worker installs without it and stores it at the first
     page's fetch) and the offline page, in a cache named after this worker's version.
   - Navigations go to the network, always; nothing a page answers is stored. Only when the
     network fails does it answer with the cached offline page (the unlock screen). So no
     plaintext plan page is ever cached, and no page is ever served from an old version.
   - Leaves everything else alone: other methods, event streams, /plans/… and /contacts
     requests made by a page, /phone/copy, cross-origin requests other than htmx.
   - A new version waits: it activates only when the page asks (the "Ny version — genindlæs"
     button), and the pages reload as soon as it takes over. */
"use strict";

const VERSION = "__VERSION__";
const PRECACHE = "__PRECACHE__";
const HTMX = "__HTMX__";
const PREFIX = "tryg-";
const CACHE = PREFIX + VERSION;
const OFFLINE_URL = "/offline";

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: "reload" skips the HTTP cache, so a new version stores fresh bytes.
    await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })));
    // htmx from the CDN is a bonus, not a condition: a CDN that cannot be reached (blocked,
    // down, offline) must not stop the worker, and with it the offline copy, from installing.
    // The pages work without it; it is stored the first time a page fetches it (below).
    if (HTMX) {
      try {
        await storeHtmx(cache, await fetch(htmxRequest()));
      } catch (ignored) { /* no htmx in the cache yet */ }
    }
  })());
});

function htmxRequest() {
  return new Request(HTMX.url, {
    mode: "cors", credentials: "omit", cache: "reload", integrity: HTMX.integrity,
  });
}

async function storeHtmx(cache, response) {
  if (response.ok) { await cache.put(HTMX.url, response); }
}

async function htmxFromCache(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(HTMX.url, { ignoreVary: true });
  if (hit) { return hit; }
  const response = await fetch(request);
  if (response.ok) { await storeHtmx(cache, response.clone()).catch(() => undefined); }
  return response;
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "skip-waiting") { self.skipWaiting(); }
  if (data.type === "version" && event.ports[0]) { event.ports[0].postMessage(VERSION); }
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keys = await caches.keys();
    const older = keys.filter((key) => key.startsWith(PREFIX) && key !== CACHE);
    await Promise.all(older.map((key) => caches.delete(key)));
    // The very first worker takes the open page at once (there is no old version to mix
    // with); an update reaches a page only through its reload.
    if (older.length === 0) { await self.clients.claim(); }
  })());
});

async function fromCache(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request, { ignoreVary: true });
  return hit || fetch(request);
}

async function navigate(request) {
  try {
    return await fetch(request);
  } catch (error) {
    // Offline: a precached public page (the statements) as it is, anything else the offline page.
    const cache = await caches.open(CACHE);
    const path = new URL(request.url).pathname;
    const own = PRECACHE.includes(path) ? await cache.match(path, { ignoreVary: true }) : null;
    const offline = own || await cache.match(OFFLINE_URL, { ignoreVary: true });
    if (offline) { return offline; }
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") { return; }
  if ((request.headers.get("accept") || "").includes("text/event-stream")) { return; }
  if (HTMX && request.url === HTMX.url) { event.respondWith(htmxFromCache(request)); return; }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") { event.respondWith(navigate(request)); return; }
  // Static files are precached under their hashed URLs (path and ?v=), as the pages ask for them.
  if (PRECACHE.includes(url.pathname + url.search)) {
    event.respondWith(fromCache(request));
  }
});
