from app.__main__ import main


def test_demo_command_is_idempotent(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRYG_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "oprettet" in out and "demo.borger" in out and "demo.anna" in out
    assert main(["demo"]) == 0
    assert "fandtes allerede" in capsys.readouterr().out


def test_create_admin_prints_an_enrolment_code(tmp_path, monkeypatch, capsys):
    import re

    monkeypatch.setenv("TRYG_DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    assert (
        main(["create-admin", "--org", "Testkommune", "--kind", "kommune", "--name", "Birthe"]) == 0
    )
    assert re.search(r"[A-Z0-9]{5}-[A-Z0-9]{5}", capsys.readouterr().out)


def test_migrate_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRYG_DATABASE_URL", f"sqlite:///{tmp_path / 'm.db'}")
    assert main(["migrate"]) == 0
    assert (tmp_path / "m.db").exists()


def test_user_names_work_again_after_the_secret_key_changed(tmp_path, monkeypatch, capsys):
    from app import crypto, db, demo
    from app.auth import identity
    from app.auth.models import Role
    from app.settings import Settings

    monkeypatch.setattr(crypto, "_cipher", crypto._cipher)  # main() configures another one
    monkeypatch.setenv("TRYG_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    assert main(["demo"]) == 0
    monkeypatch.setenv("TRYG_SECRET_KEY", "en helt ny hemmelig nøgle " * 2)
    settings = Settings.from_env()
    engine = db.make_engine(settings.database_url)

    def signs_in() -> bool:
        with db.read_session(engine) as session:
            name = demo.DEMO_USERNAMES[Role.victim]
            return identity.find_by_username(session, settings, name) is not None

    assert not signs_in()  # the look-up hash was keyed with the old secret
    assert main(["rehash-usernames"]) == 0
    assert "2 brugernavne" in capsys.readouterr().out
    assert signs_in()
    engine.dispose()


def test_make_run_ends_by_printing_the_address_to_open():
    """uvicorn's own 127.0.0.1 line would send a newcomer where passkeys fail: `make run` says
    which address to open, last, just before the server starts."""
    import shutil
    import subprocess
    from pathlib import Path

    import pytest

    if shutil.which("make") is None:
        pytest.skip("no make")
    root = Path(__file__).resolve().parents[2]
    env = {"PATH": "/usr/bin:/bin"}
    lines = subprocess.run(
        ["make", "-n", "run", "PORT=8123"], cwd=root, capture_output=True, text=True, env=env
    ).stdout.splitlines()
    serve = next(i for i, line in enumerate(lines) if "-m app serve" in line)
    shown = [line for line in lines[:serve] if "http://localhost:8123" in line]
    assert shown and "Open http://localhost:8123" in shown[-1]
