"""``python -m app check``: every problem with a production configuration, in one list."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from sqlalchemy.engine.url import make_url

from app import db, ratelimit
from app.settings import (
    DEFAULT_DATA_KEY,
    DEFAULT_SECRET_KEY,
    Settings,
    SettingsError,
    decode_data_key,
)


def problems(settings: Settings) -> list[str]:
    found = [*_keys(settings), *_proxy(settings), *_limits(settings), *_database(settings)]
    if not settings.production:
        found.insert(0, "TRYG_ENV er ikke production (så afvises usikre indstillinger ikke)")
    if not settings.https:
        found.append("TRYG_ORIGIN skal være en https://-adresse")
    return found


def _keys(s: Settings) -> list[str]:
    found = []
    if s.secret_key == DEFAULT_SECRET_KEY or len(s.secret_key) < 32:
        found.append("TRYG_SECRET_KEY er standardværdien eller kortere end 32 tegn")
    if s.data_key == DEFAULT_DATA_KEY:
        found.append("TRYG_DATA_KEY er standardværdien")
    named = [("TRYG_DATA_KEY", s.data_key), ("TRYG_BACKUP_KEY", s.backup_key)]
    named += [(f"TRYG_DATA_KEYS_OLD nr. {i}", k) for i, k in enumerate(s.data_keys_old, 1)]
    for name, value in named:
        if not value:
            found.append(f"{name} er ikke sat (32 bytes, urlsafe base64)")
            continue
        try:
            decode_data_key(value, name)
        except SettingsError as exc:
            found.append(str(exc))
    values = [("TRYG_SECRET_KEY", s.secret_key), *named]
    for i, (name, value) in enumerate(values):
        for other, other_value in values[i + 1 :]:
            if value and value == other_value:
                found.append(f"{name} og {other} er den samme nøgle; de skal være forskellige")
    return found


def _proxy(s: Settings) -> list[str]:
    found = []
    for entry in s.forwarded_allow_ips:
        if entry == "*":
            found.append(
                "TRYG_FORWARDED_ALLOW_IPS er *: enhver klient kan så påstå en anden IP-adresse"
                " og slippe uden om grænserne for forsøg; skriv proxyens adresse"
            )
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            found.append(f"TRYG_FORWARDED_ALLOW_IPS: {entry!r} er ikke en IP-adresse eller et net")
    return found


def _limits(s: Settings) -> list[str]:
    if not s.ratelimit_url or s.ratelimit_url.startswith("memory://"):
        if db.normalise_url(s.database_url).startswith("postgresql"):
            return [
                "TRYG_RATELIMIT_URL er ikke sat: med PostgreSQL (flere instanser) tæller hver"
                " proces sine egne forsøg; sæt fx redis://127.0.0.1:6379/0"
            ]
        return []
    try:
        if not ratelimit.storage(s.ratelimit_url).check():
            return ["TRYG_RATELIMIT_URL svarer ikke"]
    except Exception as exc:  # unknown scheme, missing driver, refused connection
        return [f"TRYG_RATELIMIT_URL kan ikke bruges ({type(exc).__name__})"]
    return []


def _database(s: Settings) -> list[str]:
    url = make_url(db.normalise_url(s.database_url))
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return [f"databasefilen {url.database} findes ikke (TRYG_DATABASE_URL)"]
    try:
        engine = db.make_engine(s.database_url)
    except Exception as exc:  # a malformed URL
        return [f"TRYG_DATABASE_URL kan ikke bruges ({type(exc).__name__})"]
    try:
        if not db.ping(engine):
            return ["databasen svarer ikke (TRYG_DATABASE_URL)"]
        if not db.is_migrated(engine):
            return ["databasen er ikke opdateret: kør python -m app migrate"]
    finally:
        engine.dispose()
    return []
