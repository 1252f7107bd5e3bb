from app.__main__ import main


def test_demo_command_is_idempotent(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRYG_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["demo"]) == 0
    assert "oprettet" in capsys.readouterr().out
    assert main(["demo"]) == 0
    assert "fandtes allerede" in capsys.readouterr().out


def test_migrate_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRYG_DATABASE_URL", f"sqlite:///{tmp_path / 'm.db'}")
    assert main(["migrate"]) == 0
    assert (tmp_path / "m.db").exists()
