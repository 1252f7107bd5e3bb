"""`python -m app check` (issue 19 point 6): every problem of a production configuration, one
per line, and a non-zero exit while there is one."""

from __future__ import annotations

import base64
import secrets

import pytest

from app import crypto
from app.__main__ import main
from app.ops import checks
from app.settings import Settings


def key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def good(tmp_path, migrated_sqlite_copy) -> Settings:
    return Settings(
        env="production",
        database_url=migrated_sqlite_copy(tmp_path / "prod.db"),
        origin="https://tryg.example",
        secret_key=secrets.token_urlsafe(40),
        data_key=key(),
        backup_key=key(),
        forwarded_allow_ips=("127.0.0.1",),
    )


def test_a_good_configuration_passes(good):
    assert checks.problems(good) == []


def test_every_problem_is_listed(tmp_path):
    same = key()
    bad = Settings(
        database_url=f"sqlite:///{tmp_path / 'missing.db'}",
        data_key=same,
        backup_key=same,
        forwarded_allow_ips=("*", "proxy.example"),
    )
    found = "\n".join(checks.problems(bad))
    for expected in (
        "TRYG_ENV er ikke production",
        "TRYG_ORIGIN skal være en https://",
        "TRYG_SECRET_KEY er standardværdien",
        "TRYG_DATA_KEY og TRYG_BACKUP_KEY er den samme nøgle",
        "TRYG_FORWARDED_ALLOW_IPS er *",
        "'proxy.example' er ikke en IP-adresse",
        "findes ikke",
    ):
        assert expected in found
    assert not (tmp_path / "missing.db").exists(), "the check creates no database"


def test_several_instances_need_shared_rate_limits(good):
    from dataclasses import replace

    on_pg = replace(good, database_url="postgresql://postgres@127.0.0.1:1/nowhere")
    found = "\n".join(checks.problems(on_pg))
    assert "TRYG_RATELIMIT_URL er ikke sat" in found and "databasen svarer ikke" in found
    nowhere = replace(good, ratelimit_url="redis://127.0.0.1:1/0")
    assert "TRYG_RATELIMIT_URL svarer ikke" in "\n".join(checks.problems(nowhere))
    unknown = replace(good, ratelimit_url="nope://x")
    assert "TRYG_RATELIMIT_URL kan ikke bruges" in "\n".join(checks.problems(unknown))


def test_the_command_exits_non_zero_and_prints_each_problem(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(crypto, "_cipher", crypto._cipher)
    monkeypatch.setenv("TRYG_ENV", "production")  # refused at start, listed by check
    monkeypatch.setenv("TRYG_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "- TRYG_SECRET_KEY" in out and "- TRYG_BACKUP_KEY er ikke sat" in out
