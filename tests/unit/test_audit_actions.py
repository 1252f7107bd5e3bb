"""Every audit action has a label in English and Danish, and nothing records an action without
one (issue 15 point 2): the victim's activity list and the staff's views never show a raw code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app import audit

ROOT = Path(__file__).resolve().parents[2]
SNAKE = re.compile(r"^[a-z]+(?:_[a-z]+)*$")  # positional constants there are actions
# Callers that name an action: audit.record, audit.own_event, plans.access._record and the
# handshake's local record(action, detail); and any call with an ``action=`` keyword (the
# folded reads: plans.access.audit_read(..., action="diary_read")).
CALLS = {"record", "own_event", "_record"}


def recorded_actions() -> dict[str, str]:
    """Every lower-case word literal passed to a recording call, with where it is."""
    found: dict[str, str] = {}
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            named = [k.value for k in node.keywords if k.arg == "action"]
            if name not in CALLS and not named:
                continue
            for arg in named if name not in CALLS else [*node.args, *named]:
                value = arg.value if isinstance(arg, ast.Constant) else None
                if isinstance(value, str) and SNAKE.match(value):
                    found.setdefault(value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_scan_finds_the_actions_we_know():
    assert {"plan_read", "grant_revoked", "sign_in", "login_reset"} <= set(recorded_actions())


def test_every_recorded_action_has_a_label():
    missing = {a: where for a, where in recorded_actions().items() if a not in audit.ACTIONS}
    assert not missing, f"add these to app.audit.ACTIONS with a label: {missing}"


def test_every_label_is_translated_into_danish():
    with (ROOT / "locale" / "da" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    untranslated = [
        label
        for label in audit.ACTIONS.values()
        if not (message := catalog.get(label)) or not message.string
    ]
    assert not untranslated


def test_recording_an_unknown_action_is_refused():
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(None, "made_up_action")  # type: ignore[arg-type]
