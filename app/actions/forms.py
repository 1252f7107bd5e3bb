"""What the handleplan's forms become: clean values, or error messages by field with what was
typed kept (the page shows the form again, each message by its field)."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.datastructures import FormData

from app import inputs
from app.actions import legal
from app.actions.models import MAX_LINE, MAX_NOTE, MAX_WHAT, CaseRole, Status, Who
from app.clock import now
from app.diary.forms import parse_when
from app.i18n import N_, _
from app.plans.forms import Invalid, parse_date

STATUS_LABELS = {
    Status.agreed: N_("Agreed"),
    Status.started: N_("In progress"),
    Status.done: N_("Completed"),
    Status.dropped: N_("Dropped"),
}
ROLE_LABELS = {
    CaseRole.visitator: N_("Stalking assessor (stalkingvisitator)"),
    CaseRole.coordinator: N_("Coordinator (tovholder)"),
    CaseRole.contact: N_("Fixed contact person"),
    CaseRole.police: N_("Police"),
    CaseRole.dsc: N_("Dansk Stalking Center"),
    CaseRole.other: N_("Other"),
}
AGENCY_LABELS = {
    Who.police: N_("The police"),
    Who.kommune: N_("The municipality"),
    Who.dsc: N_("Dansk Stalking Center"),
    Who.other: N_("Someone else"),
}
ERRORS = {
    "what_empty": N_("Write what is to be done."),
    "what_long": N_("This text can be at most 200 characters."),
    "note_long": N_("This text can be at most 500 characters."),
    "line_long": N_("This text can be at most 100 characters."),
    "date": N_("Write the date as day-month-year, e.g. 31-12-2026."),
    "date_range": N_(
        "That date is too far away. Write a date between 2000 and ten years from now."
    ),
    "status": N_("Choose one of the statuses in the list."),
    "who": N_("Choose who does it from the list."),
    "role": N_("Choose one of the roles in the list."),
    "kind": N_("Choose one of the legal steps in the list."),
    "meeting": N_("Choose one of the meetings in the list."),
    "when_empty": N_("Write the date and time of the meeting."),
    "when": N_("Write the date and time like 14-02-2026 21:30."),
    "comment_empty": N_("Write your comment first."),
}
FIRST_YEAR = 2000
YEARS_AHEAD = 10


def _text(form: FormData, name: str, limit: int, code: str, errors: dict[str, str]) -> str:
    value = inputs.text(form, name, multiline=limit == MAX_NOTE)
    if len(value) > limit:
        errors[name] = _(ERRORS[code])
    return value


def clean_date(form: FormData, name: str, errors: dict[str, str]) -> date | None:
    """A date field: empty is None; unreadable or out of range is an error by the field."""
    try:
        day = parse_date(form.get(name))
    except Invalid:
        errors[name] = _(ERRORS["date"])
        return None
    if day is not None and not FIRST_YEAR <= day.year <= now().year + YEARS_AHEAD:
        errors[name] = _(ERRORS["date_range"])
        return None
    return day


def typed(form: FormData, *names: str) -> dict[str, str]:
    """What was typed, to show again."""
    return {name: inputs.text(form, name, multiline=True) for name in names}


def clean_action(
    form: FormData, caseworkers: set[int], meetings: set[int], *, victim: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """An action's values. ``who`` is "victim", an agency, or "cw-<id>" of a caseworker the
    plan is granted to; the victim's own add is always hers."""
    errors: dict[str, str] = {}
    what = _text(form, "what", MAX_WHAT, "what_long", errors)
    if not what:
        errors["what"] = _(ERRORS["what_empty"])
    note = _text(form, "note", MAX_NOTE, "note_long", errors)
    due = clean_date(form, "due", errors)
    status = inputs.text(form, "status") or Status.agreed
    if status not in set(Status):
        errors["status"] = _(ERRORS["status"])
    who, who_id = parse_who(inputs.text(form, "who") or Who.victim, caseworkers)
    if who is None:
        errors["who"] = _(ERRORS["who"])
    meeting_raw = inputs.text(form, "meeting")
    meeting_id = inputs.parse_id(meeting_raw) if meeting_raw else None
    if meeting_raw and meeting_id not in meetings:
        errors["meeting"] = _(ERRORS["meeting"])
    values: dict[str, Any] = {"what": what, "note": note, "due": due, "status": status}
    values |= {"who": who, "who_id": who_id, "meeting_id": meeting_id}
    return values, errors


def parse_who(raw: str, caseworkers: set[int]) -> tuple[str | None, int | None]:
    if raw.startswith("cw-"):
        cw = inputs.parse_id(raw[3:])
        return (Who.caseworker, cw) if cw in caseworkers else (None, None)
    if raw in set(Who) and raw != Who.caseworker:
        return raw, None
    return None, None


def who_value(who: str, who_id: int | None) -> str:
    return f"cw-{who_id}" if who == Who.caseworker else who


def clean_helper(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    role = inputs.text(form, "role")
    if role not in set(CaseRole):
        errors["role"] = _(ERRORS["role"])
    reach = _text(form, "reach", MAX_LINE, "line_long", errors)
    return {"role": role, "reach": reach}, errors


def clean_meeting(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    raw = inputs.text(form, "at")
    at = parse_when(raw) if raw else None
    if not raw:
        errors["at"] = _(ERRORS["when_empty"])
    elif at is None:
        errors["at"] = _(ERRORS["when"])
    elif not FIRST_YEAR <= at.year <= now().year + YEARS_AHEAD:
        errors["at"] = _(ERRORS["date_range"])
    place = _text(form, "place", MAX_LINE, "line_long", errors)
    attendees = _text(form, "attendees", MAX_NOTE, "note_long", errors)
    values = {"at": at, "by_phone": form.get("by_phone") == "1", "place": place}
    return values | {"attendees": attendees}, errors


def clean_step(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    kind = inputs.text(form, "kind")
    if kind not in legal.KINDS:
        errors["kind"] = _(ERRORS["kind"])
    started = clean_date(form, "started", errors)
    ends = clean_date(form, "ends", errors)
    reference = _text(form, "reference", MAX_LINE, "line_long", errors)
    if kind in legal.KINDS and not errors and (problem := legal.end_problem(kind, started, ends)):
        errors["ends"] = _(problem)
    values = {"kind": kind, "started": started, "ends": ends, "reference": reference}
    return values, errors


def clean_comment(form: FormData) -> tuple[str, dict[str, str]]:
    errors: dict[str, str] = {}
    text = _text(form, "text", MAX_NOTE, "note_long", errors)
    if not text:
        errors["text"] = _(ERRORS["comment_empty"])
    return text, errors
