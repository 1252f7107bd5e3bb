"""What a plan form becomes: clean text and dates, or an :class:`Invalid` naming the field and
the message the page shows next to it."""

from __future__ import annotations

from datetime import date, datetime

from starlette.datastructures import FormData

from app import inputs
from app.i18n import N_
from app.plans.models import MAX_TEXT

TEXT_ERRORS = {
    "empty": N_("Write something first."),
    "long": N_("The text can be at most 500 characters. Shorten it a little."),
    "title_long": N_("The heading can be at most 100 characters."),
    "date": N_("Write the date as day-month-year, e.g. 31-12-2026."),
}


class Invalid(Exception):
    """A field the form must show again, with its message (``code``) and what was typed."""

    def __init__(self, field: str, code: str, value: str) -> None:
        super().__init__(code)
        self.field, self.code, self.value = field, code, value


def clean_text(form: FormData, field: str = "text", limit: int = MAX_TEXT) -> str:
    value = inputs.text(form, field, multiline=limit == MAX_TEXT)
    if not value:
        raise Invalid(field, "empty", value)
    if len(value) > limit:
        raise Invalid(field, "long" if limit == MAX_TEXT else "title_long", value)
    return value


def parse_date(raw: object) -> date | None:
    text = str(raw or "").strip()
    if not text:
        return None
    for fmt in ("%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise Invalid("review_by", "date", text)
