"""The phone (docs/design.md §6): manifest, service worker, offline page, offline copy, disguise.

* ``/manifest.webmanifest`` — the web app manifest; its name and icons follow the signed-in
  user's disguise (the ``<link rel="manifest">`` says ``crossorigin="use-credentials"`` so the
  browser sends the session cookie with it). Anyone else gets the default.
* ``/sw.js`` — ``service_worker/sw.js`` with its version and precache list (``app.phone.worker``).
* ``/offline`` — the page the worker shows when a navigation fails offline: the unlock screen.
  Rendered without any user, so the cached copy holds no personal data.
* ``/phone`` — the victim's phone settings: disguise, offline PIN, "Slet alt på denne telefon".
* ``/phone/copy`` — the plan and contacts as JSON for the page to encrypt (victim only,
  ``no-store``); the plaintext never reaches Cache Storage or IndexedDB.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from app import assets, audit, db, state
from app.auth.access import current_user, home_for, require
from app.auth.models import Role, User
from app.contacts import phones
from app.contacts import queries as contact_queries
from app.contacts.forms import alarm_for
from app.i18n import N_, _
from app.phone.worker import worker_script
from app.plans import queries as plan_queries
from app.web import form_endpoint, render

# value stored in User.disguise → (installed name, icon file prefix, theme colour)
DISGUISES: dict[str, tuple[str, str, str]] = {
    "default": (N_("Tryg"), "default", "#1e5a8c"),
    "notes": (N_("Notes"), "notes", "#f5be3c"),
    "weather": (N_("Weather"), "weather", "#468cd2"),
    "calculator": (N_("Calculator"), "calculator", "#787882"),
}


def disguise_of(user: User | None) -> str:
    value = user.disguise if user is not None else None
    return value if value in DISGUISES else "default"


def manifest_for(user: User | None) -> dict[str, Any]:
    name, icon, colour = DISGUISES[disguise_of(user)]
    icons = [
        {
            "src": assets.static_url(f"icons/{icon}-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
        }
        for size in (192, 512)
    ]
    icons.append(
        {
            "src": assets.static_url(f"icons/{icon}-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        }
    )
    return {
        # A stable id: changing the disguise updates the installed app instead of adding one.
        "id": "/",
        "name": _(name),
        "short_name": _(name),
        # The plan (a signed-out person is sent on to sign in), or the signed-in role's home.
        "start_url": home_for(user) if user is not None else "/plan",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": colour,
        "lang": "da",
        "icons": icons,
    }


async def manifest(request: Request) -> Response:
    body = json.dumps(manifest_for(current_user(request)), ensure_ascii=False)
    # Personal (the disguise): no shared caches; the browser re-fetches it.
    return Response(
        body,
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache, private", "Vary": "Cookie"},
    )


def worker_csp(request: Request) -> str:
    """The worker's own CSP (it governs the worker's fetches): itself, plus the htmx CDN it
    precaches."""
    origin = state.settings(request).htmx_origin
    connect = "'self'" + (f" {origin}" if origin else "")
    return f"default-src 'self'; connect-src {connect}; script-src 'self'; object-src 'none'"


async def service_worker(request: Request) -> Response:
    script, version = worker_script(state.settings(request))
    return Response(
        script,
        media_type="text/javascript",
        headers={
            "Cache-Control": "no-cache",
            "Service-Worker-Allowed": "/",
            "Content-Security-Policy": worker_csp(request),
            "X-Worker-Version": version,
        },
    )


async def offline_page(request: Request) -> Response:
    # Rendered without the user: this page is stored in Cache Storage and shown to whoever holds
    # the phone. The plan only ever appears in it after an unlock, decrypted in the page.
    # The user's language is kept; the user is not.
    return render(
        request, "phone/offline.html", {"user": None}, headers={"Cache-Control": "no-cache"}
    )


# ---------------------------------------------------------------- the victim's phone settings


def phone_context(user: User, **extra: Any) -> dict[str, Any]:
    return {
        "disguises": [(key, _(name), icon) for key, (name, icon, _c) in DISGUISES.items()],
        "current": disguise_of(user),
        "saved": False,
        **extra,
    }


async def phone_page(request: Request) -> Response:
    user = require(request)
    saved = request.query_params.get("saved") == "1"
    return render(request, "phone/phone.html", phone_context(user, saved=saved))


def set_disguise(request: Request, form: FormData) -> Response:
    user = require(request)
    choice = str(form.get("disguise", ""))
    if choice not in DISGUISES:
        return render(request, "phone/phone.html", phone_context(user), status_code=422)
    with db.write_session(state.engine(request)) as session:
        row = session.get(User, user.id)
        row.disguise = None if choice == "default" else choice  # type: ignore[union-attr]
        # Audited like every other change to one's own account (ids and the choice only).
        audit.own_event(request, session, user.id, "disguise_set", f"disguise={choice}")
    return RedirectResponse("/phone?saved=1#disguise", status_code=303)


def offline_copy(request: Request) -> Response:
    """What the offline copy holds, for the page to encrypt before it touches IndexedDB: the
    victim's own plan and contacts (a caseworker's phone never keeps a victim's plan)."""
    user = require(request, Role.victim)
    with db.read_session(state.engine(request)) as session:
        plan = plan_queries.plan_of(session, user.id)  # type: ignore[arg-type]
        if plan is None:
            return JSONResponse({"sections": [], "contacts": [], "hotlines": [], "alarm": None})
        sections = plan_queries.load(session, plan.id)  # type: ignore[arg-type]
        contacts = contact_queries.load(session, plan.id)  # type: ignore[arg-type]
        hotlines = contact_queries.granted_hotlines(session, plan.id)  # type: ignore[arg-type]
        body = {
            "sections": [
                {
                    "title": v.section.title,
                    "items": [{"text": i.text, "done": i.done} for i in v.items],
                }
                for v in sections
            ],
            "contacts": [
                {
                    "name": c.name,
                    "relation": c.relation,
                    "phone": c.phone,
                    "shown": phones.display(c.phone),
                    "alarm": c.alarm,
                }
                for c in contacts
            ],
            # Hotlines are called, never texted: the copy offers no SMS to them.
            "hotlines": [
                {"name": line.name, "phone": line.phone, "shown": phones.display(line.phone)}
                for group in hotlines
                for line in group.lines
            ],
            # The same sms: link as the online "Send alarm-SMS" (None without alarm contacts).
            "alarm": alarm_for(contacts)["href"],
        }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


routes = [
    Route("/manifest.webmanifest", manifest, name="manifest"),
    Route("/sw.js", service_worker, name="service_worker"),
    Route("/offline", offline_page, name="offline"),
    Route("/phone", phone_page, name="phone"),
    Route("/phone/disguise", form_endpoint(set_disguise), methods=["POST"]),
    Route("/phone/copy", offline_copy),
]
