"""The entry form: what typed text becomes (clean values or errors by field), the time she
types in Danish wall-clock time, and the period filter."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.datastructures import FormData

from app import inputs
from app.clock import now
from app.diary.models import MAX_LINE, MAX_TEXT, MAX_WHAT, TEXT_FIELDS, DiaryEntry
from app.i18n import N_, _
from app.web import LOCAL_ZONE

ERRORS = {
    ("what", "empty"): N_("Write what happened."),
    ("what", "long"): N_("This text can be at most 5000 characters."),
    ("text", "long"): N_("This text can be at most 1000 characters."),
    ("line", "long"): N_("This text can be at most 100 characters."),
    ("when", "empty"): N_("Write the date and time it happened."),
    ("when", "invalid"): N_("Write the date and time like 14-02-2026 21:30."),
    ("when", "future"): N_("That time has not come yet. Write when it happened."),
}
LIMITS = {
    "what": (MAX_WHAT, "what"),
    "place": (MAX_TEXT, "text"),
    "effect": (MAX_TEXT, "text"),
    "witnesses": (MAX_TEXT, "text"),
    "journal": (MAX_LINE, "line"),
    "officer": (MAX_LINE, "line"),
}
SINGLE_LINE = {"journal", "officer"}
FUTURE_GRACE = timedelta(minutes=1)
_FORMATS = (
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y %H.%M",
    "%d.%m.%Y %H:%M",
)


def local_input(moment: datetime) -> str:
    """A UTC time as the ``datetime-local`` field shows it (Danish wall-clock time)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M")


def parse_when(raw: str) -> datetime | None:
    text = " ".join(raw.split())
    if not re.fullmatch(r"[0-9T:. -]{10,20}", text):
        return None
    for fmt in _FORMATS:
        try:
            local = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return local.replace(tzinfo=LOCAL_ZONE).astimezone(UTC)
    return None


def clean_entry(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """The entry's values and error messages by field. With errors the values are what was
    typed (``when`` as typed); without, ``happened_at`` is a UTC time."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in TEXT_FIELDS:
        raw = inputs.text(form, field, multiline=field not in SINGLE_LINE)
        value = " ".join(raw.split()) if field in SINGLE_LINE else raw
        values[field] = value
        limit, kind = LIMITS[field]
        if field == "what" and not value:
            errors[field] = _(ERRORS[("what", "empty")])
        elif len(value) > limit:
            errors[field] = _(ERRORS[(kind, "long")])
    values["key_example"] = form.get("key_example") == "1"
    values["leave_out"] = form.get("leave_out") == "1"
    when = inputs.text(form, "when")
    values["when"] = when
    moment = parse_when(when) if when else None
    if not when:
        errors["when"] = _(ERRORS[("when", "empty")])
    elif moment is None:
        errors["when"] = _(ERRORS[("when", "invalid")])
    elif moment > now() + FUTURE_GRACE:
        errors["when"] = _(ERRORS[("when", "future")])
    else:
        values["happened_at"] = moment
    return values, errors


def draft_of(entry: DiaryEntry) -> dict[str, Any]:
    """An entry as its edit form shows it."""
    return {
        **{field: getattr(entry, field) for field in TEXT_FIELDS},
        "when": local_input(entry.happened_at),
        "key_example": entry.key_example,
        "leave_out": entry.leave_out,
    }


def sealed(entry: DiaryEntry) -> str:
    """An entry's content as one JSON text (kept, encrypted, when an edit replaces it)."""
    return json.dumps(
        {
            **{field: getattr(entry, field) for field in TEXT_FIELDS},
            "happened_at": entry.happened_at.isoformat(),
            "key_example": entry.key_example,
            "leave_out": entry.leave_out,
        },
        ensure_ascii=False,
    )


def unsealed(data: str) -> dict[str, Any]:
    values: dict[str, Any] = json.loads(data)
    values["happened_at"] = datetime.fromisoformat(values["happened_at"])
    return values


def parse_day(raw: object) -> date | None:
    """A day of the period filter (``2026-02-14`` from a date field); junk is ignored."""
    if not isinstance(raw, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def day_start(day: date) -> datetime:
    """Midnight Danish time of ``day``, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_ZONE).astimezone(UTC)
