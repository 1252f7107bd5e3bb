"""Passkeys with py_webauthn: discoverable credentials, user verification required.

Challenges live in the database (single use, five minutes) and are referred to by an opaque
handle, so several tabs or devices never share one. ``rp.name`` and ``user.name`` are neutral:
passkey managers show them to whoever holds the phone.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.auth.models import Challenge, Passkey, User
from app.clock import now
from app.i18n import N_
from app.settings import Settings

CHALLENGE_TTL = timedelta(minutes=5)
NEUTRAL_USER_NAME = "Noter"


class PasskeyError(Exception):
    """A refused ceremony. ``reason`` is a short audit code, ``message`` an English msgid."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


GENERIC = N_("The passkey could not be used. Try again.")
COPIED = N_(
    "This passkey may have been copied, so it was refused. Use another passkey or talk to your "
    "adviser."
)


PENDING = N_(
    "This passkey is not ready yet. Show the number on your screen to the person who gave you "
    "the code, and wait until they have typed it."
)


def _new_challenge(
    session: Session,
    purpose: str,
    *,
    user_id: int | None = None,
    enrolment_code_id: int | None = None,
) -> tuple[str, bytes]:
    # Challenges live five minutes: sweep the stale ones so the table stays small.
    session.execute(delete(Challenge).where(col(Challenge.expires_at) < now()))
    handle = secrets.token_urlsafe(24)
    challenge = secrets.token_bytes(32)
    session.add(
        Challenge(
            handle=handle,
            challenge=challenge,
            purpose=purpose,
            user_id=user_id,
            enrolment_code_id=enrolment_code_id,
            expires_at=now() + CHALLENGE_TTL,
        )
    )
    return handle, challenge


def take_challenge(session: Session, handle: object, purpose: str) -> Challenge:
    """Consume a challenge: refused when unknown, expired, of another purpose or used."""
    if not isinstance(handle, str) or len(handle) > 64:
        raise PasskeyError("challenge_missing", GENERIC)
    row = session.exec(select(Challenge).where(Challenge.handle == handle)).first()
    if row is None or row.purpose != purpose:
        raise PasskeyError("challenge_unknown", GENERIC)
    used = session.execute(
        update(Challenge)
        .where(
            col(Challenge.id) == row.id,
            col(Challenge.used_at).is_(None),
            col(Challenge.expires_at) > now(),
        )
        .values(used_at=now())
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise PasskeyError(
            "challenge_replayed_or_expired",
            N_("The request expired. Reload the page and try again."),
        )
    return row


def registration_options(
    session: Session,
    settings: Settings,
    user: User,
    *,
    enrolment_code_id: int | None = None,
) -> dict[str, Any]:
    existing = session.exec(select(Passkey).where(Passkey.user_id == user.id)).all()
    handle, challenge = _new_challenge(
        session, "register", user_id=user.id, enrolment_code_id=enrolment_code_id
    )
    options = generate_registration_options(
        rp_id=settings.rp_id,
        rp_name=settings.rp_name,
        user_name=NEUTRAL_USER_NAME,
        user_display_name=NEUTRAL_USER_NAME,
        user_id=user.webauthn_user_handle,
        challenge=challenge,
        timeout=120_000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in existing],
    )
    return {"handle": handle, "publicKey": json.loads(options_to_json(options))}


def authentication_options(
    session: Session, settings: Settings, purpose: str = "login", user_id: int | None = None
) -> dict[str, Any]:
    handle, challenge = _new_challenge(session, purpose, user_id=user_id)
    options = generate_authentication_options(
        rp_id=settings.rp_id,
        challenge=challenge,
        timeout=120_000,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return {"handle": handle, "publicKey": json.loads(options_to_json(options))}


def _credential(payload: dict[str, Any]) -> dict[str, Any]:
    credential = payload.get("credential")
    if not isinstance(credential, dict):
        raise PasskeyError("malformed", GENERIC)
    return credential


def verify_registration(
    session: Session,
    settings: Settings,
    challenge: Challenge,
    payload: dict[str, Any],
    user: User,
    nickname: str,
    *,
    pending_code_id: int | None = None,
) -> Passkey:
    credential = _credential(payload)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge.challenge,
            expected_rp_id=settings.rp_id,
            expected_origin=settings.origin,
            require_user_verification=True,
        )
    except (
        InvalidRegistrationResponse,
        InvalidJSONStructure,
        ValueError,
        KeyError,
        TypeError,
    ) as exc:
        raise PasskeyError(_reason(str(exc)), GENERIC) from exc
    if session.exec(select(Passkey).where(Passkey.credential_id == verified.credential_id)).first():
        raise PasskeyError("credential_exists", N_("This passkey is already registered."))
    transports = credential.get("response", {}).get("transports") or []
    valid = {t.value for t in AuthenticatorTransport}
    passkey = Passkey(
        user_id=user.id,  # type: ignore[arg-type]
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=",".join(t for t in transports if t in valid)[:200],
        backup_eligible=verified.credential_device_type == "multi_device",
        backed_up=verified.credential_backed_up,
        nickname=nickname[:60],
        pending_code_id=pending_code_id,
    )
    session.add(passkey)
    return passkey


@dataclass
class SignIn:
    user: User
    passkey: Passkey
    first_use: bool = False


def verify_authentication(
    session: Session,
    settings: Settings,
    challenge: Challenge,
    payload: dict[str, Any],
) -> SignIn:
    credential = _credential(payload)
    raw_id = credential.get("rawId") or credential.get("id")
    try:
        credential_id = base64url_to_bytes(raw_id) if isinstance(raw_id, str) else None
    except ValueError:
        credential_id = None
    if not credential_id:
        raise PasskeyError("malformed", GENERIC)
    passkey = session.exec(select(Passkey).where(Passkey.credential_id == credential_id)).first()
    if passkey is None:
        raise PasskeyError(
            "unknown_credential", N_("This passkey is not known here. It may have been removed.")
        )
    if passkey.pending_code_id is not None:
        raise PasskeyError("pending_confirmation", PENDING)
    user = session.get(User, passkey.user_id)
    assert user is not None
    if challenge.user_id is not None and challenge.user_id != user.id:
        raise PasskeyError("wrong_user", GENERIC)
    user_handle = credential.get("response", {}).get("userHandle")
    if user_handle is not None:
        try:
            handle_ok = base64url_to_bytes(user_handle) == user.webauthn_user_handle
        except (ValueError, TypeError):
            handle_ok = False
        if not handle_ok:
            raise PasskeyError("user_handle_mismatch", GENERIC)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge.challenge,
            expected_rp_id=settings.rp_id,
            expected_origin=settings.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (
        InvalidAuthenticationResponse,
        InvalidJSONStructure,
        ValueError,
        KeyError,
        TypeError,
    ) as exc:
        reason = _reason(str(exc))
        message = COPIED if reason == "sign_count_regression" else GENERIC
        raise PasskeyError(reason, message) from exc
    first_use = passkey.last_used_at is None
    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = now()
    session.add(passkey)
    return SignIn(user=user, passkey=passkey, first_use=first_use)


def _reason(message: str) -> str:
    """Map py_webauthn's English messages to short audit codes (never store the message)."""
    m = message.lower()
    for needle, code in [
        ("sign count", "sign_count_regression"),
        ("origin", "wrong_origin"),
        ("rp id", "wrong_rp_id"),
        ("verified", "user_not_verified"),
        ("present", "user_not_present"),
        ("challenge", "wrong_challenge"),
        ("signature", "bad_signature"),
    ]:
        if needle in m:
            return code
    return "invalid_response"
