"""Nothing happens behind a person's back (issue 12, point 4).

Every code issued for an account, every passkey added or removed, every password set or removed,
every password sign-in and every login reset is shown to the person it concerns:

- in the victim's "Who has seen my plan" (:func:`describe_all`, used by app/sharing/routes.py);
- as a notice on each of that person's *other* signed-in devices at their next page, until it
  is dismissed on that device (:func:`pending`, rendered by templates/auth/_notices.html, which
  templates/base.html includes once; the dismiss route is in app/auth/routes.py, so that this
  module is no route module and app/sharing can use it).

A device is shown the notice-worthy events whose ``subject_id`` is its user, that happened after
the session began (and after ``notices_seen_at``), and that another session (or another person)
caused: ``audit_event.session_id`` records who did it. One indexed query per full page for a
signed-in user; fragments, static files and streams never render base.html and cost nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.types import Scope

from app import audit, db, i18n, inputs, state
from app.audit import AuditEvent
from app.auth.labels import changer_labels
from app.auth.models import AuthSession, EnrolmentCode, Role, User
from app.clock import now
from app.i18n import _, ngettext
from app.web import LOCAL_ZONE, is_htmx

# Notice-worthy on their own; a sign-in only when it used the password.
NOTICE_ACTIONS = frozenset(
    {
        "enrolment_code_issued",
        "code_confirmed",
        "code_voided",
        "passkey_added",
        "passkey_removed",
        "password_set",
        "password_removed",
        "passkeys_revoked_at_reenrolment",
        "login_reset",
    }
)
PASSWORD_SIGN_IN = ("sign_in", "password")
MAX_SHOWN = 10


def notice_worthy() -> ColumnElement[bool]:
    """The SQL condition for a notice-worthy audit row."""
    return or_(
        col(AuditEvent.action).in_(NOTICE_ACTIONS),
        and_(
            col(AuditEvent.action) == PASSWORD_SIGN_IN[0],
            col(AuditEvent.detail) == PASSWORD_SIGN_IN[1],
        ),
    )


def detail_value(event: AuditEvent, key: str) -> str | None:
    """``"passkey=3 enrolment code=7"`` → ``detail_value(e, "code") == "7"``."""
    for part in event.detail.split():
        name, sep, value = part.partition("=")
        if sep and name == key:
            return value
    return None


def _number(event: AuditEvent, key: str) -> int | None:
    value = detail_value(event, key)
    return inputs.parse_id(value)


# ---------------------------------------------------------------- plain language


def describe(
    event: AuditEvent,
    actor_label: str | None,
    *,
    code_from: str | None = None,
    device: str = "",
) -> str:
    """One plain sentence in the current language: who did what (never a raw action code).

    ``actor_label`` names someone else ("Anna, Esbjerg Lokalpoliti"); None for the person's own
    account events, which are told in the passive ("A passkey was added"): someone holding her
    password looks exactly like her. ``code_from`` names whoever issued the code a passkey was
    added with; ``device`` is the coarse label ("Chrome · Android") of the session that did it.
    """
    who = actor_label
    action = event.action
    if action == "plan_read":
        if event.count > 1:
            return ngettext(
                "%(who)s read the plan %(num)s time.",
                "%(who)s read the plan %(num)s times.",
                event.count,
            ) % {"who": who or "?", "num": event.count}
        if event.detail == "print":
            return _("%(who)s printed the plan.") % {"who": who or "?"}
        if event.detail == "download":
            return _("%(who)s downloaded the plan.") % {"who": who or "?"}
        if event.detail == "contacts":
            return _("%(who)s read your contacts.") % {"who": who or "?"}
        if event.detail == "actions":
            return _("%(who)s read your action plan.") % {"who": who or "?"}
        return _("%(who)s read the plan.") % {"who": who or "?"}
    if action == "plan_changed":
        return _("%(who)s changed the plan.") % {"who": who or "?"}
    if action == "diary_read":
        return ngettext(
            "%(who)s read your log.", "%(who)s read your log %(num)s times.", event.count
        ) % {"who": who or "?", "num": event.count}
    if action == "diary_written":
        return _("%(who)s wrote in your log.") % {"who": who or "?"}
    if action == "grant_added":
        # Recorded with the caseworker as actor: it was she who typed the caseworker's code.
        return _("You gave %(who)s access to your plan.") % {"who": who or "?"}
    if action == "grant_revoked":
        return _("You took access to your plan back from %(who)s.") % {"who": who or "?"}
    if action == "victim_created":
        return _("%(who)s created your account and your plan.") % {"who": who or "?"}
    if action == "enrolment_code_issued":
        recover = any(word in event.detail for word in ("revoke_old", "recover", "staff"))
        if who is None:
            return (
                _("A code for a new phone was made. It removes your old passkeys.")
                if recover
                else _("A code for a new phone was made.")
            )
        return (
            _("%(who)s made a code for a new phone. It removes your old passkeys.")
            if recover
            else _("%(who)s made a code for a new phone.")
        ) % {"who": who}
    if action == "code_confirmed":
        # The issuer confirmed the new phone in the meeting: its passkey now works.
        if who is None:
            return _("A new passkey was added.")
        return _("A new passkey was added with a code from %(who)s.") % {"who": who}
    if action == "code_voided":
        if who is None:
            return _("A code for a new phone was cancelled. It can no longer be used.")
        return _("A code for a new phone from %(who)s was cancelled. It can no longer be used.") % {
            "who": who
        }
    if action == "passkey_added":
        if code_from:
            return _("A new passkey was added with a code from %(who)s.") % {"who": code_from}
        return _("A new passkey was added.")
    if action == "passkey_removed":
        return _("A passkey was removed.")
    if action == "password_set":
        return _("A password was set for your account.")
    if action == "password_removed":
        return _("The password was removed from your account.")
    if action == PASSWORD_SIGN_IN[0] and event.detail == PASSWORD_SIGN_IN[1]:
        if device:
            return _("Someone signed in with your password on %(device)s.") % {"device": device}
        return _("Someone signed in with your password.")
    if action == "passkeys_revoked_at_reenrolment":
        count = _number(event, "count") or 0
        if who is None:
            return ngettext(
                "A new phone was set up: %(num)s old passkey was removed and every device "
                "signed out.",
                "A new phone was set up: %(num)s old passkeys were removed and every device "
                "signed out.",
                count,
            ) % {"num": count}
        return ngettext(
            "A new phone was set up with a code from %(who)s: %(num)s old passkey was removed "
            "and every device signed out.",
            "A new phone was set up with a code from %(who)s: %(num)s old passkeys were removed "
            "and every device signed out.",
            count,
        ) % {"who": who, "num": count}
    if action == "login_reset":
        if who is None:
            return _(
                "Your login was reset: old passkeys and password were removed and every device "
                "signed out."
            )
        return _(
            "Your login was reset with a code from %(who)s: old passkeys and password were "
            "removed and every device signed out."
        ) % {"who": who}
    # Any other action: its label (app.audit.ACTIONS), never its code.
    label = _(audit.ACTIONS.get(action, audit.ACTIONS["plan_changed"]))
    if who is None:
        return label + "."
    return _("%(who)s: %(what)s.") % {"who": who, "what": label.lower()}


def advice(event: AuditEvent, role: str) -> str:
    """What to do if it was not them (a notice's second sentence)."""
    action = event.action
    if action in ("passkey_added", "code_confirmed"):
        first = _("Was it not you? Remove the passkey under My account.")
    elif action == "password_set":
        first = _("Was it not you? Remove the password under My account.")
    elif action == PASSWORD_SIGN_IN[0]:
        first = _("Was it not you? Sign that device out under My account, and remove the password.")
    elif action == "enrolment_code_issued":
        first = _("Did you not ask for a new phone?")
    else:
        first = _("Was it not you?")
    then = _("Contact your adviser.") if role == Role.victim else _("Tell your manager.")
    return f"{first} {then}"


def when(moment: datetime) -> str:
    """ "Today at 14.02", "Yesterday at 9.15" or "On 03-12-2026 at 14.02", in Danish time."""
    local = moment.astimezone(LOCAL_ZONE)
    today = now().astimezone(LOCAL_ZONE).date()
    time = local.strftime("%H.%M" if i18n.current_locale() == "da" else "%H:%M")
    if local.date() == today:
        return _("Today at %(time)s") % {"time": time}
    if local.date() == today - timedelta(days=1):
        return _("Yesterday at %(time)s") % {"time": time}
    return _("On %(date)s at %(time)s") % {"date": local.strftime("%d-%m-%Y"), "time": time}


def describe_all(session: Session, events: list[AuditEvent], subject_id: int) -> list[str]:
    """:func:`describe` for many rows, with every name looked up in three queries at most."""
    code_ids = {_number(e, "code") for e in events if e.action == "passkey_added"}
    issuers = _lookup(session, EnrolmentCode.id, EnrolmentCode.created_by_id, code_ids)
    session_ids = {e.session_id for e in events if e.action == PASSWORD_SIGN_IN[0]}
    devices = _lookup(session, AuthSession.id, AuthSession.device, session_ids)
    labels = changer_labels(
        session,
        {e.actor_id for e in events if e.actor_id != subject_id} | set(issuers.values()),
    )
    texts = []
    for e in events:
        actor = labels.get(e.actor_id) if e.actor_id not in (None, subject_id) else None
        code = _number(e, "code") if e.action == "passkey_added" else None
        issuer = issuers.get(code) if code is not None else None
        texts.append(
            describe(
                e,
                actor,
                code_from=labels.get(issuer) if issuer not in (None, subject_id) else None,
                device=_known(devices.get(e.session_id, "")) if e.session_id is not None else "",
            )
        )
    return texts


def _lookup(session: Session, key: Any, value: Any, ids: set[int | None]) -> dict[Any, Any]:
    """``{key: value}`` for the given ids, one query (none when there are no ids)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.exec(select(key, value).where(col(key).in_(wanted))).all())


def _known(device: str) -> str:
    """A device label worth showing: "Chrome · Android", not "? · ?"."""
    return device if device.replace("?", "").replace("·", "").strip() else ""


# ---------------------------------------------------------------- notices on other devices


@dataclass
class Notice:
    event_id: int
    when: str
    text: str
    advice: str
    link: str
    link_text: str


def _link(event: AuditEvent) -> tuple[str, str]:
    if event.action == PASSWORD_SIGN_IN[0]:
        return "/account/sessions", _("Where am I signed in?")
    return "/account", _("My account")


def aware(moment: datetime) -> datetime:
    """Migration 0008 made ``notices_seen_at`` a plain timestamp: read it as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _since(auth: AuthSession) -> datetime:
    seen = auth.notices_seen_at
    created = aware(auth.created_at)
    return max(created, aware(seen)) if seen is not None else created


# Requests that never render a full page: nothing to preload for them.
NO_PAGE = ("/sw.js", "/manifest.webmanifest", "/healthz", "/readyz", "/phone/copy")


def preload(engine: Engine, user: User, auth: AuthSession, scope: Scope) -> list[Notice] | None:
    """This device's notices for a full page, loaded in the session lookup's thread (so the
    page's template never queries on the event loop); None for requests that show no page."""
    request = Request(scope)
    path = scope["path"]
    if scope["method"] != "GET" or is_htmx(request) or path in NO_PAGE or path.endswith("/events"):
        return None
    i18n.set_locale(i18n.choose_locale(request, user.locale))
    return _load(engine, user, auth)


def pending(request: Request) -> list[Notice]:
    """This device's notices, newest first (none for a visitor who is not signed in)."""
    request_state = request.scope.get("state", {})
    if isinstance(request_state.get("preloaded"), list):
        return request_state["preloaded"]
    if _on_the_event_loop():
        # A page rendered on the loop (an error page from the exception handler) shows no
        # notices rather than query there; the next page shows them.
        return []
    auth: AuthSession | None = request_state.get("auth")
    user = request_state.get("user")
    if auth is None or user is None:
        return []
    return _load(state.engine(request), user, auth)


def _on_the_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _load(engine: Engine, user: User, auth: AuthSession) -> list[Notice]:
    with db.read_session(engine) as session:
        events = list(
            session.exec(
                select(AuditEvent)
                .where(
                    AuditEvent.subject_id == user.id,
                    col(AuditEvent.at) > _since(auth),
                    or_(
                        col(AuditEvent.session_id).is_(None),
                        col(AuditEvent.session_id) != auth.id,
                    ),
                    notice_worthy(),
                )
                .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
                .limit(MAX_SHOWN)
            ).all()
        )
        if not events:
            return []
        texts = describe_all(session, events, user.id)  # type: ignore[arg-type]
    notices = []
    for event, text in zip(events, texts, strict=True):
        link, link_text = _link(event)
        notices.append(
            Notice(
                event_id=event.id,  # type: ignore[arg-type]
                when=when(event.at),
                text=text,
                advice=advice(event, user.role),
                link=link,
                link_text=link_text,
            )
        )
    return notices
