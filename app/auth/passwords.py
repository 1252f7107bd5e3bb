"""The password fallback: argon2id through libpass (the maintained fork of passlib).

A password can only be added after signing in with a passkey. There is no reset by e-mail or
SMS anywhere: a lost login is restored in person with an enrolment code.
"""

from __future__ import annotations

from pathlib import Path

from passlib.context import CryptContext

from app.i18n import N_

MIN_LENGTH = 12
MAX_LENGTH = 256

# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): on these 2-core
# machines one hash costs ~20-30 ms (`make bench` prints it), so a burst of sign-ins cannot starve
# the server, while the rate limits keep guessing slow. Older hashes are upgraded on sign-in.
MEMORY_KIB = 19 * 1024
TIME_COST = 2
CONTEXT = CryptContext(
    schemes=["argon2", "pbkdf2_sha256"],
    deprecated=["pbkdf2_sha256"],
    argon2__type="ID",
    argon2__memory_cost=MEMORY_KIB,
    argon2__time_cost=TIME_COST,
    argon2__parallelism=1,
)

# Verified against when the user name is unknown, so both cases cost the same time.
_DUMMY_HASH = CONTEXT.hash("tryg-dummy-password-for-timing")

_COMMON = frozenset(
    line.strip().lower()
    for line in (Path(__file__).parent / "common_passwords.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)


def problems(password: str, username: str | None = None) -> list[str]:
    """Reasons (English msgids) the password is refused; empty when it is acceptable."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(N_("The password must be at least 12 characters long."))
    if len(password) > MAX_LENGTH:
        found.append(N_("The password is too long."))
    lowered = password.lower()
    if lowered in _COMMON or (username and username.lower() in lowered) or len(set(password)) < 4:
        found.append(N_("That password is too easy to guess. Choose another one."))
    return found


def hash_password(password: str) -> str:
    return CONTEXT.hash(password)


def verify(password: str, stored: str | None) -> tuple[bool, str | None]:
    """(ok, new_hash): ``new_hash`` is set when the stored hash should be upgraded."""
    if stored is None:
        CONTEXT.verify(password, _DUMMY_HASH)
        return False, None
    return CONTEXT.verify_and_update(password, stored)
