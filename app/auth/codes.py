"""Enrolment codes: one-time, 15 minutes, stored only as a keyed hash — and the meeting
handshake that makes a redeemed code worth something.

A human code has 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S,
8/B), shown as ``ABCDE-FGHJK``: about 45 bits, against a rate limit of ten tries a minute.

A code read out over the telephone must be worth nothing (docs/design.md §2, "two people, one
room").
So redeeming a code only registers a *pending* passkey and shows a six-digit confirmation on the
new phone; the passkey becomes usable when the person who issued the code types those digits on
their own screen, within the code's lifetime. Five wrong tries void the code. Until then the new
phone has no session and sees nothing of the account.

Codes issued at the server console (``created_by_id`` is None: ``python -m app demo`` and
``create-admin``) need no confirmation: whoever runs the console holds the database and keys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app.auth.models import EnrolmentCode, Passkey
from app.clock import now

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 10
VALID_FOR = timedelta(minutes=15)
CONFIRM_DIGITS = 6
MAX_CONFIRM_FAILURES = 5


class Purpose(StrEnum):
    enrol = "enrol"  # a new victim's first phone
    device = "device"  # another phone for a victim who keeps her old ones
    recover = "recover"  # lost phone: every old way in goes when the new phone is confirmed
    staff = "staff"  # an admin's code for a caseworker: old passkeys and sessions go too


#: Purposes whose confirmation removes every other passkey, the password and the sessions.
RESETS = frozenset({Purpose.recover, Purpose.staff})


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(secret: str, code: str) -> bytes:
    return hmac.new(secret.encode(), normalise(code).encode(), hashlib.sha256).digest()


def _confirmation_hash(secret: str, code_id: int, digits: str) -> bytes:
    message = f"confirm:{code_id}:{digits}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def needs_confirmation(row: EnrolmentCode) -> bool:
    return row.created_by_id is not None


def void_open(session: Session, user_id: int) -> int:
    """End every code for ``user_id`` that is not confirmed yet, and drop the passkeys that
    were waiting for one of them. Returns how many codes were voided."""
    open_codes = select(EnrolmentCode.id).where(
        col(EnrolmentCode.user_id) == user_id,
        col(EnrolmentCode.confirmed_at).is_(None),
        col(EnrolmentCode.voided_at).is_(None),
    )
    ids = list(session.exec(open_codes).all())
    if not ids:
        return 0
    session.execute(delete(Passkey).where(col(Passkey.pending_code_id).in_(ids)))
    moment = now()
    session.execute(
        update(EnrolmentCode)
        .where(col(EnrolmentCode.id).in_(ids))
        .values(voided_at=moment, used_at=moment)
    )
    return len(ids)


def issue(
    session: Session,
    secret: str,
    user_id: int,
    created_by_id: int | None,
    *,
    purpose: Purpose = Purpose.enrol,
) -> tuple[EnrolmentCode, str]:
    """Create a code for ``user_id``; earlier open codes for that user stop working."""
    void_open(session, user_id)
    code = new_code()
    row = EnrolmentCode(
        code_hash=code_hash(secret, code),
        user_id=user_id,
        created_by_id=created_by_id,
        expires_at=now() + VALID_FOR,
        revoke_old=purpose in RESETS,
        purpose=purpose,
    )
    session.add(row)
    session.flush()
    return row, code


def find_valid(session: Session, secret: str, code: str) -> EnrolmentCode | None:
    if len(normalise(code)) != LENGTH:
        return None
    row = session.exec(
        select(EnrolmentCode).where(EnrolmentCode.code_hash == code_hash(secret, code))
    ).first()
    if row is None or row.used_at is not None or row.voided_at is not None:
        return None
    return row if row.expires_at > now() else None


def redeem(session: Session, secret: str, code_id: int) -> str | None:
    """Mark the code used by this phone and return the confirmation it must show ("482 913");
    None if someone else used it first (single use, race-safe) or it expired."""
    digits = "".join(secrets.choice("0123456789") for _ in range(CONFIRM_DIGITS))
    moment = now()
    result = session.execute(
        update(EnrolmentCode)
        .where(
            col(EnrolmentCode.id) == code_id,
            col(EnrolmentCode.used_at).is_(None),
            col(EnrolmentCode.voided_at).is_(None),
            col(EnrolmentCode.expires_at) > moment,
        )
        .values(
            used_at=moment,
            redeemed_at=moment,
            confirmation_hash=_confirmation_hash(secret, code_id, digits),
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return f"{digits[:3]} {digits[3:]}"


class ConfirmError(Exception):
    """The confirmation was refused; ``reason`` is a short audit code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def confirm(session: Session, secret: str, row: EnrolmentCode, typed: str) -> None:
    """The issuer typed what the new phone shows. Raises :class:`ConfirmError` (``waiting``:
    no phone has redeemed the code yet; ``expired``; ``voided``; ``wrong``; ``too_many``)."""
    if row.voided_at is not None or row.confirmed_at is not None:
        raise ConfirmError("voided")
    if row.expires_at <= now():
        raise ConfirmError("expired")
    if row.redeemed_at is None or row.confirmation_hash is None:
        raise ConfirmError("waiting")
    digits = "".join(ch for ch in typed if ch.isdigit())
    expected = _confirmation_hash(secret, row.id, digits)  # type: ignore[arg-type]
    if len(digits) != CONFIRM_DIGITS or not hmac.compare_digest(expected, row.confirmation_hash):
        row.confirm_failures += 1
        if row.confirm_failures >= MAX_CONFIRM_FAILURES:
            void_open(session, row.user_id)
            session.refresh(row)
            raise ConfirmError("too_many")
        session.add(row)
        raise ConfirmError("wrong")
    done = session.execute(
        update(EnrolmentCode)
        .where(col(EnrolmentCode.id) == row.id, col(EnrolmentCode.confirmed_at).is_(None))
        .values(confirmed_at=now())
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ConfirmError("voided")
    session.execute(
        update(Passkey).where(col(Passkey.pending_code_id) == row.id).values(pending_code_id=None)
    )
