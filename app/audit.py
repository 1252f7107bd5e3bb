"""The audit trail: who did what, when, from which (hashed) address. Ids and codes only.

Rows never hold secrets or personal text; ``action`` is a short code and ``detail`` a short
machine-readable note (e.g. ``"sign_count"``). The victim sees the rows that concern them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime

from sqlmodel import Field, Session, SQLModel
from starlette.requests import Request

from app import state
from app.clock import now

log = logging.getLogger("tryg.audit")


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=now, index=True)
    action: str = Field(max_length=40, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    subject_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    plan_id: int | None = Field(default=None, index=True)
    ip_hash: str = Field(default="", max_length=32)
    detail: str = Field(default="", max_length=80)
    # The session that did it (so a device is not warned about its own doing).
    session_id: int | None = None
    # Reads by one person of one plan within ten minutes fold into one row.
    count: int = 1


def hash_ip(secret: str, ip: str | None) -> str:
    """Keyed hash of the client address: lets us see repeats without storing the address."""
    if not ip:
        return ""
    return hmac.new(secret.encode(), ip.encode(), hashlib.sha256).hexdigest()[:16]


def request_ip(request: Request) -> str:
    """The keyed hash of this request's client address."""
    return hash_ip(
        state.settings(request).secret_key, request.client.host if request.client else ""
    )


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    subject_id: int | None = None,
    ip: str = "",  # already hashed with hash_ip()
    detail: str = "",
    plan_id: int | None = None,
    session_id: int | None = None,  # the session that did it (see app/auth/notices.py)
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        subject_id=subject_id,
        ip_hash=ip,
        detail=detail[:80],
        plan_id=plan_id,
        session_id=session_id,
    )
    session.add(event)
    log.info(
        "audit action=%s actor=%s subject=%s detail=%s", action, actor_id, subject_id, detail[:80]
    )
    return event


def own_event(
    request: Request,
    session: Session,
    user_id: int | None,
    action: str,
    detail: str = "",
    *,
    session_id: int | None = None,
) -> None:
    """An event a user causes on their own account (audited like every auth event).

    ``session_id`` defaults to the request's session: that device is not warned about its own
    doing. Pass it where a new session is created (sign-in), after flushing it.
    """
    if session_id is None:
        auth = request.scope.get("state", {}).get("auth")
        session_id = auth.id if auth is not None else None
    record(
        session,
        action,
        actor_id=user_id,
        subject_id=user_id,
        ip=request_ip(request),
        detail=detail,
        session_id=session_id,
    )
