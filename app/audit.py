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
from app.i18n import N_

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


# Every action the audit trail knows, with its label in plain words (Danish in the catalogue):
# a row is never shown as its code. ``record`` refuses an action that is not here, so a new kind
# of event gets its label when it is written (tests/unit/test_audit_actions.py).
ACTIONS: dict[str, str] = {
    "account_erased": N_("Account deleted"),
    "action_added": N_("Agreed action added"),
    "action_changed": N_("Agreed action changed"),
    "action_commented": N_("Comment on an agreed action"),
    "admin_created": N_("Administrator created"),
    "case_role_changed": N_("Role in the case changed"),
    "caseworker_created": N_("Caseworker created"),
    "caseworker_disabled": N_("Caseworker blocked"),
    "caseworker_enabled": N_("Caseworker unblocked"),
    "code_confirm_refused": N_("Confirmation of a new phone refused"),
    "code_confirmed": N_("New phone confirmed"),
    "code_redeemed": N_("Code for a new phone used"),
    "code_refused": N_("Code refused"),
    "code_voided": N_("Code for a new phone cancelled"),
    "diary_read": N_("Log read"),
    "diary_shared": N_("Sharing of the log changed"),
    "diary_written": N_("Entry written in the log"),
    "disguise_set": N_("Name and icon on the phone changed"),
    "enrolment_code_issued": N_("Code for a new phone made"),
    "evidence_added": N_("Evidence added to the log"),
    "exit_setting": N_("Setting for leaving quickly changed"),
    "grant_added": N_("Access to the plan given"),
    "grant_revoked": N_("Access to the plan taken back"),
    "hotline_added": N_("Phone line added"),
    "hotline_deleted": N_("Phone line removed"),
    "legal_step_changed": N_("Legal step added or changed"),
    "login_reset": N_("Login reset"),
    "meeting_changed": N_("Meeting added or changed"),
    "org_template_reset": N_("Plan template reset"),
    "org_template_saved": N_("Plan template saved"),
    "passkey_added": N_("Passkey added"),
    "passkey_refused": N_("Passkey refused"),
    "passkey_removed": N_("Passkey removed"),
    "passkey_renamed": N_("Passkey renamed"),
    "passkeys_revoked_at_reenrolment": N_("Old passkeys removed"),
    "password_refused": N_("Wrong password"),
    "password_removed": N_("Password removed"),
    "password_set": N_("Password set"),
    "plan_changed": N_("Plan changed"),
    "plan_read": N_("Plan read"),
    "quick_exit": N_("Left the page quickly"),
    "reauthenticated": N_("Confirmed with a passkey"),
    "session_ended": N_("Device signed out"),
    "sessions_ended_all": N_("Every device signed out"),
    "sign_in": N_("Signed in"),
    "sign_out": N_("Signed out"),
    "victim_created": N_("Account and plan created"),
}


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
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}: add it to app.audit.ACTIONS")
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
