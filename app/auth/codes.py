"""Enrolment codes: one-time, 15 minutes, stored only as a keyed hash.

A human code has 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S,
8/B), shown as ``ABCDE-FGHJK``: about 45 bits, against a rate limit of ten tries a minute.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.auth.models import EnrolmentCode
from app.clock import now

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 10
VALID_FOR = timedelta(minutes=15)


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(secret: str, code: str) -> bytes:
    return hmac.new(secret.encode(), normalise(code).encode(), hashlib.sha256).digest()


def issue(
    session: Session,
    secret: str,
    user_id: int,
    created_by_id: int | None,
    *,
    revoke_old: bool = False,
) -> str:
    """Create a code for ``user_id``; earlier unused codes for that user stop working."""
    session.execute(
        update(EnrolmentCode)
        .where(col(EnrolmentCode.user_id) == user_id, col(EnrolmentCode.used_at).is_(None))
        .values(used_at=now())
    )
    code = new_code()
    session.add(
        EnrolmentCode(
            code_hash=code_hash(secret, code),
            user_id=user_id,
            created_by_id=created_by_id,
            expires_at=now() + VALID_FOR,
            revoke_old=revoke_old,
        )
    )
    return code


def find_valid(session: Session, secret: str, code: str) -> EnrolmentCode | None:
    if len(normalise(code)) != LENGTH:
        return None
    row = session.exec(
        select(EnrolmentCode).where(EnrolmentCode.code_hash == code_hash(secret, code))
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= now():
        return None
    return row


def consume(session: Session, code_id: int) -> bool:
    """Mark the code used; False if someone else used it first (single use, race-safe)."""
    result = session.execute(
        update(EnrolmentCode)
        .where(
            col(EnrolmentCode.id) == code_id,
            col(EnrolmentCode.used_at).is_(None),
            col(EnrolmentCode.expires_at) > now(),
        )
        .values(used_at=now())
    )
    return result.rowcount == 1  # type: ignore[attr-defined]
