import pytest

from app.settings import DEFAULT_DATA_KEY, DEFAULT_SECRET_KEY, Settings, SettingsError


def test_development_defaults_are_usable():
    Settings().check()


def test_production_refuses_default_secrets(monkeypatch):
    monkeypatch.setenv("TRYG_ENV", "production")
    monkeypatch.setenv("TRYG_ORIGIN", "https://tryg.example")
    with pytest.raises(SettingsError) as err:
        Settings.from_env()
    assert "TRYG_SECRET_KEY" in str(err.value)
    assert "TRYG_DATA_KEY" in str(err.value)


def test_production_refuses_plain_http():
    s = Settings(env="production", secret_key="x" * 40, data_key="y" * 44, origin="http://a.dk")
    with pytest.raises(SettingsError, match="https"):
        s.check()


def test_production_with_real_secrets_starts(monkeypatch):
    monkeypatch.setenv("TRYG_ENV", "production")
    monkeypatch.setenv("TRYG_ORIGIN", "https://tryg.example/")
    monkeypatch.setenv("TRYG_SECRET_KEY", "k" * 48)
    monkeypatch.setenv("TRYG_DATA_KEY", "d" * 43)
    s = Settings.from_env()
    assert s.production and s.https and s.origin == "https://tryg.example"
    assert s.secret_key != DEFAULT_SECRET_KEY and s.data_key != DEFAULT_DATA_KEY


def test_bad_integer_setting_is_explained(monkeypatch):
    monkeypatch.setenv("TRYG_MAX_BODY_BYTES", "lots")
    with pytest.raises(SettingsError, match="TRYG_MAX_BODY_BYTES"):
        Settings.from_env()


def test_cli_refuses_to_start_in_production_with_defaults(monkeypatch, capsys):
    from app.__main__ import main

    monkeypatch.setenv("TRYG_ENV", "production")
    assert main(["migrate"]) == 2
    assert "TRYG_SECRET_KEY" in capsys.readouterr().err
