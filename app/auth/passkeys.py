"""Passkeys with py_webauthn: discoverable credentials, user verification required.

Challenges live in the database (single use, five minutes) and are referred to by an opaque
handle, so several tabs or devices never share one. ``rp.name`` and ``user.name`` are neutral:
passkey managers show them to whoever holds the phone.
"""

from __future__ import annotations

import hashlib
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
from webauthn.helpers import (
    base64url_to_bytes,
    parse_attestation_object,
    parse_authenticator_data,
    parse_client_data_json,
)
from webauthn.helpers.exceptions import (
    InvalidAttestationObjectStructure,
    InvalidAuthenticationResponse,
    InvalidAuthenticatorDataStructure,
    InvalidCBORData,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
    WebAuthnException,
)
from webauthn.helpers.structs import (
    AuthenticatorData,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    ClientDataType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    TokenBindingStatus,
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


# ---------------------------------------------------------------- our own checks
#
# The payload's shape, and every check whose failure we audit under its own reason, are done
# here before py_webauthn sees the credential: the library reports all failures as one
# exception type whose message quotes client-sent values (an origin may read "sign count"), so
# a reason is never read from its text. What the library still refuses after these checks is
# the signature (authentication) or the attestation (registration).

MAX_FIELD = 16 * 1024  # base64url characters in one credential field
ASSERTION_FIELDS = ("clientDataJSON", "authenticatorData", "signature")
ATTESTATION_FIELDS = ("clientDataJSON", "attestationObject")
_TOKEN_BINDING_OK = {TokenBindingStatus.SUPPORTED, TokenBindingStatus.PRESENT}


def _malformed() -> PasskeyError:
    return PasskeyError("malformed", GENERIC)


def _b64(value: object) -> bytes:
    if not isinstance(value, str) or len(value) > MAX_FIELD:
        raise _malformed()
    try:
        return base64url_to_bytes(value)
    except ValueError as exc:  # binascii.Error, non-ASCII text
        raise _malformed() from exc


def _credential(payload: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The credential's typed shape: ids, type, a response object with base64url strings."""
    credential = payload.get("credential")
    if not isinstance(credential, dict):
        raise _malformed()
    raw_id, response = credential.get("rawId"), credential.get("response")
    if credential.get("type") != "public-key" or not isinstance(response, dict):
        raise _malformed()
    if not isinstance(raw_id, str) or credential.get("id") != raw_id or not _b64(raw_id):
        raise _malformed()
    for field in fields:
        _b64(response.get(field))
    handle = response.get("userHandle")
    if handle is not None:
        _b64(handle)
    transports = response.get("transports", [])
    if not isinstance(transports, list) or not all(isinstance(t, str) for t in transports):
        raise _malformed()
    attachment = credential.get("authenticatorAttachment")
    if attachment is not None and attachment not in ("platform", "cross-platform"):
        raise _malformed()
    return credential


def _check_client_data(
    response: dict[str, Any], kind: ClientDataType, challenge: Challenge, settings: Settings
) -> None:
    try:
        client = parse_client_data_json(_b64(response["clientDataJSON"]))
    except (InvalidJSONStructure, ValueError, TypeError) as exc:
        raise _malformed() from exc
    if client.type != kind:
        raise PasskeyError("wrong_type", GENERIC)
    if client.challenge != challenge.challenge:
        raise PasskeyError("wrong_challenge", GENERIC)
    if client.origin != settings.origin:
        raise PasskeyError("wrong_origin", GENERIC)
    if client.token_binding and client.token_binding.status not in _TOKEN_BINDING_OK:
        raise PasskeyError("token_binding", GENERIC)


def _check_authenticator_data(data: AuthenticatorData, settings: Settings) -> None:
    if data.rp_id_hash != hashlib.sha256(settings.rp_id.encode()).digest():
        raise PasskeyError("wrong_rp_id", GENERIC)
    if not data.flags.up:
        raise PasskeyError("user_not_present", GENERIC)
    if not data.flags.uv:
        raise PasskeyError("user_not_verified", GENERIC)


def _assertion_data(response: dict[str, Any]) -> AuthenticatorData:
    try:
        return parse_authenticator_data(_b64(response["authenticatorData"]))
    except (InvalidAuthenticatorDataStructure, InvalidCBORData, ValueError, IndexError) as exc:
        raise _malformed() from exc


def _attestation_data(response: dict[str, Any]) -> AuthenticatorData:
    try:
        return parse_attestation_object(_b64(response["attestationObject"])).auth_data
    except (
        InvalidAttestationObjectStructure,
        InvalidAuthenticatorDataStructure,
        InvalidCBORData,
        ValueError,
        IndexError,
        KeyError,
        TypeError,
    ) as exc:
        raise _malformed() from exc


def sign_count_regressed(new: int, current: int) -> bool:
    """WebAuthn §6.1.1: a counter that did not grow (when either is non-zero) may mean a
    cloned authenticator."""
    return (new > 0 or current > 0) and new <= current


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
    credential = _credential(payload, ATTESTATION_FIELDS)
    response = credential["response"]
    _check_client_data(response, ClientDataType.WEBAUTHN_CREATE, challenge, settings)
    _check_authenticator_data(_attestation_data(response), settings)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge.challenge,
            expected_rp_id=settings.rp_id,
            expected_origin=settings.origin,
            require_user_verification=True,
        )
    except InvalidRegistrationResponse as exc:  # our checks passed: the attestation itself
        raise PasskeyError("bad_attestation", GENERIC) from exc
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise PasskeyError("invalid_response", GENERIC) from exc
    if session.exec(select(Passkey).where(Passkey.credential_id == verified.credential_id)).first():
        raise PasskeyError("credential_exists", N_("This passkey is already registered."))
    transports = response.get("transports") or []
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
    credential = _credential(payload, ASSERTION_FIELDS)
    response = credential["response"]
    credential_id = _b64(credential["rawId"])
    passkey = session.exec(select(Passkey).where(Passkey.credential_id == credential_id)).first()
    if passkey is None:
        raise PasskeyError(
            "unknown_credential", N_("This passkey is not recognised. It may have been removed.")
        )
    if passkey.pending_code_id is not None:
        raise PasskeyError("pending_confirmation", PENDING)
    user = session.get(User, passkey.user_id)
    assert user is not None
    if challenge.user_id is not None and challenge.user_id != user.id:
        raise PasskeyError("wrong_user", GENERIC)
    user_handle = response.get("userHandle")
    if user_handle is not None and _b64(user_handle) != user.webauthn_user_handle:
        raise PasskeyError("user_handle_mismatch", GENERIC)
    _check_client_data(response, ClientDataType.WEBAUTHN_GET, challenge, settings)
    data = _assertion_data(response)
    _check_authenticator_data(data, settings)
    if sign_count_regressed(data.sign_count, passkey.sign_count):
        raise PasskeyError("sign_count_regression", COPIED)
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
    except InvalidAuthenticationResponse as exc:  # our checks passed: the signature
        raise PasskeyError("bad_signature", GENERIC) from exc
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise PasskeyError("invalid_response", GENERIC) from exc
    first_use = passkey.last_used_at is None
    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = now()
    session.add(passkey)
    return SignIn(user=user, passkey=passkey, first_use=first_use)
