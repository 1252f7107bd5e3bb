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
