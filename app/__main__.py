"""Command line: ``python -m app serve | migrate | demo | create-admin | rotate-data-key |
rehash-usernames | backup FILE | restore FILE | check``."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import Engine

from app import audit, crypto, db, demo, i18n
from app.auth import codes
from app.auth.models import OrgKind, Role
from app.ops import commands as ops_commands
from app.ops import logs as ops_logs
from app.settings import Settings, SettingsError


def _engine(settings: Settings) -> Engine:
    crypto.configure(crypto.Cipher.from_settings(settings))
    engine = db.make_engine(settings.database_url)
    db.migrate(engine)
    return engine


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    try:
        i18n.check_catalogs()
    except i18n.CatalogMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    ops_logs.configure(settings.log_level)  # JSON from uvicorn's first line on
    # No access log: it would write every client's IP address (personal data) and the paths
    # they visit. Errors are logged by the app with a request id only.
    uvicorn.run(
        "app.main:app",
        access_log=False,
        host=args.host,
        port=args.port,
        proxy_headers=False,  # TRYG_FORWARDED_ALLOW_IPS: the app's own middleware does it
        log_level="info",
        log_config=None,  # every line JSON (app/ops/logs.py), uvicorn's own included
    )
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    _engine(settings)
    print("Databasen er opdateret.")
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    people = demo.load(_engine(settings), settings)
    print("Demodata er oprettet." if people.created else "Demodata fandtes allerede.")
    print(f"""
Log ind på {settings.origin}/login

  Demo-borger (stalkingudsat):  brugernavn {demo.DEMO_USERNAMES[Role.victim]}
  Demo-medarbejder (Anna, Esbjerg Lokalpoliti):  brugernavn {demo.DEMO_USERNAMES[Role.caseworker]}
  Adgangskode for begge (kun demo):  {demo.DEMO_PASSWORD}

Eller opret en adgangsnøgle på {settings.origin}/enrol med en engangskode (15 minutter):
  borger: {people.codes["victim"]}    medarbejder: {people.codes["caseworker"]}
""")
    return 0


def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from sqlmodel import select

    from app.auth.models import Organisation, User

    engine = _engine(settings)
    with db.write_session(engine) as session:
        org = session.exec(select(Organisation).where(Organisation.name == args.org)).first()
        if org is None:
            org = Organisation(name=args.org, kind=OrgKind(args.kind))
            session.add(org)
            session.flush()
        admin = User(role=Role.org_admin, display_name=args.name, organisation_id=org.id)
        session.add(admin)
        session.flush()
        _row, code = codes.issue(session, settings.secret_key, admin.id, None)  # type: ignore[arg-type]
        audit.record(session, "admin_created", subject_id=admin.id, detail="cli")
        print(f"Administrator oprettet (id {admin.id}) i {org.name}.")
        print(f"Engangskode (15 minutter): {code}  — indløses på {settings.origin}/enrol")
    return 0


def cmd_rotate_data_key(settings: Settings, args: argparse.Namespace) -> int:
    engine = _engine(settings)
    cipher = crypto.configured()
    for context in sorted(crypto.unregistered_contexts()):
        print(
            f"Advarsel: {context} er krypteret, men ikke registreret til rotation.",
            file=sys.stderr,
        )
    try:
        counts = crypto.rotate(engine, cipher)
    except crypto.DecryptionError as exc:
        print(f"Rotationen stoppede: {exc}", file=sys.stderr)
        return 1
    if not counts:
        print("Ingen krypterede kolonner er registreret; der er intet at rotere.")
        return 0
    for name, count in counts.items():
        print(f"  {name}: {count} værdier krypteret med den nye nøgle")
    print(f"Alle værdier er krypteret med den aktuelle nøgle (id {cipher.current_key_id.hex()}).")
    if settings.data_keys_old:
        print(
            "Databasen bruger ikke længere nøglerne i TRYG_DATA_KEYS_OLD; de kan fjernes derfra,"
            " men gem dem, så længe der findes sikkerhedskopier fra før rotationen."
        )
    return 0


def cmd_rehash_usernames(settings: Settings, args: argparse.Namespace) -> int:
    """After a change of TRYG_SECRET_KEY: user names are found through a hash keyed with it."""
    from app.auth import identity

    with db.write_session(_engine(settings)) as session:
        count = identity.rehash(session, settings)
    print(f"{count} brugernavne kan igen bruges til at logge ind med den aktuelle TRYG_SECRET_KEY.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description="Tryg")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the app (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("demo", help="load demo data (idempotent)").set_defaults(func=cmd_demo)
    admin = sub.add_parser("create-admin", help="create an organisation admin")
    admin.add_argument("--org", required=True, help="organisation name")
    admin.add_argument("--kind", default="andet", choices=[k.value for k in OrgKind])
    admin.add_argument("--name", required=True, help="display name")
    admin.set_defaults(func=cmd_create_admin)
    sub.add_parser(
        "rotate-data-key", help="re-encrypt data under TRYG_DATA_KEY (old keys: TRYG_DATA_KEYS_OLD)"
    ).set_defaults(func=cmd_rotate_data_key)
    sub.add_parser(
        "rehash-usernames", help="after changing TRYG_SECRET_KEY: make user names work again"
    ).set_defaults(func=cmd_rehash_usernames)
    # ---- operations (issue 19): app/ops/commands.py
    for name, help_text, func in (
        ("backup", "write an encrypted backup (TRYG_BACKUP_KEY) to FILE", ops_commands.backup),
        ("restore", "restore FILE into an empty database and verify it", ops_commands.restore),
    ):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("file", metavar="FILE")
        cmd.set_defaults(func=func)
    sub.add_parser("check", help="list every problem with a production configuration").set_defaults(
        func=ops_commands.check
    )
    # ---- end operations
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(validate=args.command != "check")
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    return int(args.func(settings, args))


if __name__ == "__main__":
    sys.exit(main())
