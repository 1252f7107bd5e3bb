"""Settings from ``TRYG_*`` environment variables, with safe laptop defaults.

In production (``TRYG_ENV=production``) the defaults for secrets are refused: a stalker who
reads this repository must not be able to forge a session or decrypt a backup.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Development defaults. Public by definition (they are in the repository), so refused in production.
DEFAULT_SECRET_KEY = "dev-only-secret-key-change-me-0000000000000000"  # noqa: S105
DEFAULT_DATA_KEY = base64.urlsafe_b64encode(b"dev-only-data-key-change-me-0000").decode()

# htmx 4.0.1 from the npm registry package ``htmx.org`` (dist/htmx.min.js), pinned by hash.
HTMX_VERSION = "4.0.1"
DEFAULT_HTMX_URL = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
DEFAULT_HTMX_SRI = "sha384-Qp9rdC8H7EqOoX+nR0P3RPG2Noji+qdwJlGpfzwQJsfOpp3sGwIdSP9xO3+UlEhn"
# Its server-sent-events extension from the same release (dist/ext/hx-sse.min.js), beside it.
HTMX_SSE_PATH = "ext/hx-sse.min.js"
DEFAULT_HTMX_SSE_SRI = "sha384-v8HvucQ+ohQhMg0arboXc5049yNR46QKMjphs7YDch+Wm7zpfK5XVS01f26mQDJV"

# A neutral Danish page with nothing personal on it: where quick exit goes.
DEFAULT_EXIT_URL = "https://www.dmi.dk/"


class SettingsError(RuntimeError):
    """The settings cannot be used (e.g. default secrets in production)."""


def _env(name: str, default: str) -> str:
    return os.environ.get(f"TRYG_{name}", default)


def _env_list(name: str) -> tuple[str, ...]:
    """A comma-separated variable as a tuple, blanks dropped."""
    raw = os.environ.get(f"TRYG_{name}", "")
    return tuple(part.strip() for part in raw.split(",") if part.strip())


DATA_KEY_BYTES = 32
_URLSAFE_B64 = re.compile(r"[A-Za-z0-9_-]+={0,2}")
DATA_KEY_HOW = (
    'lav en ny med: python -c "import base64, secrets; '
    'print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())"'
)


def decode_data_key(value: str, name: str = "TRYG_DATA_KEY") -> bytes:
    """The raw AES-256 key from its urlsafe base64 form, or a :class:`SettingsError`.

    Strict on purpose: a key that is silently truncated or padded would encrypt everything with
    something other than what the operator backed up. The message never echoes the value.
    """
    if not _URLSAFE_B64.fullmatch(value):
        raise SettingsError(f"{name} er ikke gyldig urlsafe base64")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise SettingsError(f"{name} er ikke gyldig urlsafe base64") from exc
    if len(raw) != DATA_KEY_BYTES:
        raise SettingsError(f"{name} skal være præcis {DATA_KEY_BYTES} bytes, ikke {len(raw)}")
    return raw


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(f"TRYG_{name}")
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"TRYG_{name} skal være et heltal (fik {raw!r})") from exc


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = "sqlite:///./tryg.db"
    secret_key: str = DEFAULT_SECRET_KEY
    data_key: str = DEFAULT_DATA_KEY
    # Earlier data keys, still accepted for reading until `python -m app rotate-data-key` has run.
    data_keys_old: tuple[str, ...] = ()
    rp_id: str = "localhost"
    rp_name: str = "Noter"
    origin: str = "http://localhost:8000"
    exit_url: str = DEFAULT_EXIT_URL
    htmx_url: str = DEFAULT_HTMX_URL
    htmx_sri: str = DEFAULT_HTMX_SRI
    htmx_sse_sri: str = DEFAULT_HTMX_SSE_SRI
    # Live co-editing: a stream is closed after this many seconds (the client reconnects with
    # Last-Event-ID and is authorised again); at most this many streams per signed-in session.
    live_stream_s: int = 10 * 60
    live_streams_per_session: int = 4
    max_body_bytes: int = 64 * 1024
    idle_timeout_victim_s: int = 15 * 60
    idle_timeout_caseworker_s: int = 60 * 60
    session_lifetime_s: int = 12 * 60 * 60
    # A victim's account unused this long is flagged to her caseworkers (never deleted).
    unused_account_days: int = 365
    log_level: str = "INFO"
    languages: tuple[str, ...] = field(default=("da", "en"))
    # Mixed into the service worker's version: a different value is a "new deploy" (tests).
    worker_version_salt: str = ""
    # Operations (issue 19): the key of `python -m app backup`, the rate limits' storage (a
    # `limits` storage URI shared by every instance; in memory when empty) and the proxies
    # whose X-Forwarded-For / -Proto headers are believed (none when empty).
    backup_key: str = ""
    ratelimit_url: str = ""
    forwarded_allow_ips: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, *, validate: bool = True) -> Settings:
        """``validate=False`` for `python -m app check`, which lists every problem itself."""
        s = cls(
            env=_env("ENV", "development"),
            database_url=_env("DATABASE_URL", cls.database_url),
            secret_key=_env("SECRET_KEY", DEFAULT_SECRET_KEY),
            data_key=_env("DATA_KEY", DEFAULT_DATA_KEY),
            data_keys_old=_env_list("DATA_KEYS_OLD"),
            rp_id=_env("RP_ID", "localhost"),
            rp_name=_env("RP_NAME", "Noter"),
            origin=_env("ORIGIN", "http://localhost:8000").rstrip("/"),
            exit_url=_env("EXIT_URL", DEFAULT_EXIT_URL),
            htmx_url=_env("HTMX_URL", DEFAULT_HTMX_URL),
            htmx_sri=_env("HTMX_SRI", DEFAULT_HTMX_SRI),
            htmx_sse_sri=_env("HTMX_SSE_SRI", DEFAULT_HTMX_SSE_SRI),
            live_stream_s=_env_int("LIVE_STREAM_SECONDS", cls.live_stream_s),
            live_streams_per_session=_env_int(
                "LIVE_STREAMS_PER_SESSION", cls.live_streams_per_session
            ),
            max_body_bytes=_env_int("MAX_BODY_BYTES", cls.max_body_bytes),
            idle_timeout_victim_s=_env_int("IDLE_TIMEOUT_VICTIM", cls.idle_timeout_victim_s),
            unused_account_days=_env_int("UNUSED_ACCOUNT_DAYS", cls.unused_account_days),
            idle_timeout_caseworker_s=_env_int(
                "IDLE_TIMEOUT_CASEWORKER", cls.idle_timeout_caseworker_s
            ),
            session_lifetime_s=_env_int("SESSION_LIFETIME", cls.session_lifetime_s),
            log_level=_env("LOG_LEVEL", "INFO"),
            backup_key=_env("BACKUP_KEY", ""),
            ratelimit_url=_env("RATELIMIT_URL", ""),
            forwarded_allow_ips=_env_list("FORWARDED_ALLOW_IPS"),
        )
        if validate:
            s.check()
        return s

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def https(self) -> bool:
        return self.origin.startswith("https://")

    @property
    def htmx_sse_url(self) -> str:
        """htmx's SSE extension, from the same place and release as htmx itself."""
        return self.htmx_url.rsplit("/", 1)[0] + "/" + HTMX_SSE_PATH

    @property
    def htmx_origin(self) -> str:
        """The origin htmx is loaded from, for the CSP (empty when served from this app)."""
        parts = urlsplit(self.htmx_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""

    def check(self) -> None:
        """Refuse malformed data keys everywhere, and settings that are unsafe in production."""
        problems = []
        keys = [("TRYG_DATA_KEY", self.data_key)]
        keys += [(f"TRYG_DATA_KEYS_OLD nr. {i}", k) for i, k in enumerate(self.data_keys_old, 1)]
        for name, value in keys:
            try:
                decode_data_key(value, name)
            except SettingsError as exc:
                problems.append(str(exc))
        bad_key = bool(problems)
        if self.production:
            if self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32:
                problems.append("TRYG_SECRET_KEY er standardværdien eller kortere end 32 tegn")
            if self.data_key == DEFAULT_DATA_KEY:
                problems.append("TRYG_DATA_KEY er standardværdien")
            if not self.https:
                problems.append("TRYG_ORIGIN skal være https:// i produktion")
        if bad_key:
            problems.append(DATA_KEY_HOW)
        if problems:
            where = " i produktion med usikre indstillinger" if self.production else ""
            raise SettingsError(f"Tryg starter ikke{where}: " + "; ".join(problems))
