"""Who someone is, sealed at rest (issue 12 point 11).

A copy of the database (a backup, a stolen disk, the ``-wal`` file) must not list who is a
stalking victim, nor link her through the grants to her caseworker. So ``user.display_name``,
``user.username`` and ``passkey.nickname`` are :class:`~app.crypto.EncryptedText`, rotated with
the data key like plan text. This holds for every user, staff too: a caseworker's name is less
sensitive on its own, but "victim X, granted to Anna at the police" is exactly the link to hide,
and one rule for all names leaves no column to forget. Randomised encryption means the database
cannot sort or compare names: lists are sorted here, in Python (:func:`by_name`).

Sign-in with the password fallback must *find* a row by user name, which sealed values cannot
do. The row therefore also holds ``username_hash`` = HMAC-SHA256 of the name (unique column),
and the name itself sealed so the user can read her own user name on her account page.

The hash is keyed with ``TRYG_SECRET_KEY`` (like enrolment codes and address hashes), not with
the data key: rotating the data key, the routine operation, re-seals the name but leaves the
hash alone, so sign-in keeps working. The trade-off: whoever holds both a copy of the database
and ``TRYG_SECRET_KEY`` can test guessed user names (nothing more: the hash gives no name back);
and changing ``TRYG_SECRET_KEY`` makes every user name unfindable until the hashes are derived
again from the sealed names (:func:`rehash`).

Case: as before, names compare exactly ("Maja.s" is not "maja.s"); the hash is of the name as
the routes pass it (they already strip surrounding spaces).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlmodel import Session, col, select

from app.auth.models import User
from app.settings import Settings

T = TypeVar("T")

# Keeps these hashes apart from anything else keyed with the same secret (enrolment codes).
_DOMAIN = b"tryg username\x00"


def username_key(secret: str, name: str) -> bytes:
    """The keyed hash under which ``name`` is looked up (migration 0009 computes the same)."""
    return hmac.new(secret.encode(), _DOMAIN + name.encode("utf-8"), hashlib.sha256).digest()


def find_by_username(
    session: Session, settings: Settings, name: str, *, other_than: int | None = None
) -> User | None:
    """The user who signs in with ``name`` (exact), or ``None``; ``other_than`` skips one user."""
    if not name:
        return None
    query = select(User).where(User.username_hash == username_key(settings.secret_key, name))
    if other_than is not None:
        query = query.where(col(User.id) != other_than)
    return session.exec(query).first()


def taken_by_other(session: Session, settings: Settings, name: str, user_id: int | None) -> bool:
    """Whether someone other than ``user_id`` signs in with ``name``."""
    return find_by_username(session, settings, name, other_than=user_id) is not None


def set_username(user: User, settings: Settings, name: str | None) -> None:
    """Give ``user`` the sign-in name ``name`` (``None``: none); the caller adds and commits."""
    user.username = name
    user.username_hash = username_key(settings.secret_key, name) if name else None


def rehash(session: Session, settings: Settings) -> int:
    """After a change of ``TRYG_SECRET_KEY``: derive every user name's hash again."""
    users = session.exec(select(User).where(col(User.username_hash).is_not(None))).all()
    for user in users:
        set_username(user, settings, user.username)
        session.add(user)
    return len(users)


def by_name(rows: Iterable[T], user: Callable[[T], User] = lambda row: row) -> list[T]:  # type: ignore[assignment,return-value]
    """``rows`` sorted by the display name (case-insensitive); ``user`` picks the user of a row."""
    return sorted(rows, key=lambda row: (user(row).display_name.casefold(), user(row).id or 0))
