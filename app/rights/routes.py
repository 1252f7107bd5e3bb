"""The person's data rights (issue 18 points 4 and 5, docs/design.md §12).

- ``/account/data``: "Hent alle mine data" — everything Tryg holds about me, as a readable page
  and as a JSON file (``/account/data.json``), from the one list of parts (app/rights/parts.py).
- ``/account/delete``: "Slet min konto" (victims; a caseworker's account belongs to the
  organisation): a passkey check in the last five minutes and the typed word »SLET«, then every
  part is erased in one transaction; the audit trail keeps ids only. Her caseworkers' lists no
  longer show her (the grants are gone) and every phone she used is told to wipe itself at its
  next visit (app/rights/wipe.py).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app import audit, state
from app.auth import sessions, stepup
from app.auth.endpoints import Call, Reply, endpoint, plain_call
from app.auth.models import Role
from app.clock import now
from app.i18n import _
from app.live import shared
from app.live.broker import Event, announce
from app.plans.queries import plan_of
from app.rights.parts import PARTS, Row, erase, everything, plain
from app.rights.wipe import CLEAR_SITE_DATA
from app.web import local_date, local_time, render

EVERYONE = (Role.victim, Role.caseworker, Role.org_admin)
DELETE_PATH = "/account/delete"
FILE_NAME = "noter-data.json"  # neutral: a download list is visible to whoever holds the phone


def confirm_word() -> str:
    """What she types to confirm, in her language (»SLET« in Danish)."""
    return _("DELETE")


def shown(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return local_time(value)
    if isinstance(value, date):
        return local_date(datetime(value.year, value.month, value.day))
    return str(value)


def readable(data: dict[str, list[Row]]) -> list[dict[str, Any]]:
    """Per part: its heading, and per row the labelled fields the page shows."""
    return [
        {
            "key": part.key,
            "label": _(part.label),
            "rows": [
                [(_(label), shown(row.get(key))) for key, label in part.fields]
                for row in data[part.key]
            ],
        }
        for part in PARTS
    ]


def data_page(call: Call) -> Response:
    data = everything(call.session, call.user)
    context = {"parts": readable(data), "victim": call.user.role == Role.victim}
    return render(call.request, "rights/data.html", context)


def data_file(call: Call) -> Response:
    data = everything(call.session, call.user)
    body = {
        "about": "Tryg: everything held about this account",
        "exported_at": plain(now()),
        **{
            key: [{k: plain(v) for k, v in row.items()} for row in rows]
            for key, rows in data.items()
        },
    }
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{FILE_NAME}"'},
    )


def delete_context(request: Request, errors: dict[str, str], typed: str = "") -> dict[str, Any]:
    return {
        "errors": errors,
        "typed": typed,
        "word": confirm_word(),
        "fresh": stepup.is_fresh(request),
        "verify": stepup.verify_url(DELETE_PATH),
    }


def delete_page(call: Call) -> Response:
    return render(call.request, "rights/delete.html", delete_context(call.request, {}))


def _refused(errors: dict[str, str], typed: str, status: int) -> Reply:
    def later(call: Call) -> Response:
        context = delete_context(call.request, errors, typed)
        return render(call.request, "rights/delete.html", context, status_code=status)

    return later


def delete_account(call: Call) -> Reply:
    """Erase, or refuse and erase nothing: without a fresh passkey check (403), or when the
    typed word is not the one asked for (400)."""
    typed = str(call.form.get("confirm", ""))[:40].strip()
    if not stepup.is_fresh(call.request):
        return _refused({"form": _(stepup.MESSAGE)}, typed, 403)
    if typed.casefold() != confirm_word().casefold():
        message = _("You did not type %(word)s. Nothing has been deleted.") % {
            "word": confirm_word()
        }
        return _refused({"confirm": message}, typed, 400)
    plan = plan_of(call.session, call.user.id)  # type: ignore[arg-type]
    erase(call.session, call.user)
    if plan is not None:  # open streams re-check their access after the commit: they end
        announce(shared.broker(call.request), call.session, Event(plan=plan.id, kind="access"))  # type: ignore[arg-type]
    audit.record(call.session, "account_erased", actor_id=call.user.id, subject_id=call.user.id)
    response = RedirectResponse("/account/deleted", status_code=303)
    sessions.clear_cookie(response, state.settings(call.request))
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


def deleted(request: Request) -> Response:
    """Public: the person has no account any more, so nothing here is hers."""
    return render(request, "rights/deleted.html")


routes = [
    Route("/account/data", endpoint(data_page, EVERYONE, write=False, prepare=plain_call)),
    Route("/account/data.json", endpoint(data_file, EVERYONE, write=False, prepare=plain_call)),
    Route(DELETE_PATH, endpoint(delete_page, (Role.victim,), write=False, prepare=plain_call)),
    Route(
        DELETE_PATH,
        endpoint(delete_account, (Role.victim,), write=True, prepare=plain_call),
        methods=["POST"],
    ),
    Route("/account/deleted", deleted),
]
