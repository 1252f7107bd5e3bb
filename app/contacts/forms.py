"""The contact form: what a typed contact becomes (clean values or errors by field), how a
saved one is shown in its form, and the alarm link the page offers."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData

from app import inputs
from app.contacts import phones
from app.contacts.models import MAX_CODE_WORD, MAX_KNOWS, MAX_NAME, MAX_RELATION, Contact
from app.i18n import N_, _, ngettext

ERRORS = {
    ("name", "empty"): N_("Write a name."),
    ("name", "long"): N_("The name can be at most 100 characters."),
    ("relation", "long"): N_("The relation can be at most 100 characters."),
    ("knows", "long"): N_("This text can be at most 500 characters."),
    ("code_word", "long"): N_("The code word can be at most 100 characters."),
    ("phone", "empty"): N_("Write a phone number."),
    ("phone", "invalid"): N_(
        "That is not a phone number we can use. Write it like 12 34 56 78, "
        "or with the country code like +46 70 123 45 67."
    ),
}

# (form field, limit, single line?) — name and phone are required, the rest may be empty.
TEXT_FIELDS = (
    ("name", MAX_NAME, True),
    ("relation", MAX_RELATION, True),
    ("knows", MAX_KNOWS, False),
    ("code_word", MAX_CODE_WORD, True),
)


def error(field: str, code: str) -> str:
    """The Danish (or English) message for a bad field."""
    return _(ERRORS[(field, code)])


def clean_contact(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """The contact's values, and error messages by field (empty when all is well).

    With errors the values are what was typed (a draft to correct); without, they are clean:
    trimmed, single-line fields on one line, the phone number in E.164.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field, limit, single_line in TEXT_FIELDS:
        raw = inputs.text(form, field, multiline=True, strip=False)
        value = " ".join(raw.split()) if single_line else raw.replace("\r\n", "\n").strip()
        values[field] = value
        if field == "name" and not value:
            errors[field] = error(field, "empty")
        elif len(value) > limit:
            errors[field] = error(field, "long")
    raw_phone = str(form.get("phone", "")).strip()
    try:
        values["phone"] = phones.normalise(raw_phone)
    except phones.BadPhone as bad:
        values["phone"] = raw_phone
        errors["phone"] = error("phone", bad.code)
    values["alarm"] = form.get("alarm") == "1"
    return values, errors


def draft_of(contact: Contact) -> dict[str, Any]:
    """A contact as its edit form shows it."""
    return {
        "name": contact.name,
        "relation": contact.relation,
        "phone": phones.display(contact.phone),
        "knows": contact.knows,
        "code_word": contact.code_word,
        "alarm": contact.alarm,
    }


def shown(values: dict[str, Any]) -> dict[str, Any]:
    """Typed values as the form shows them again: a clean number grouped, a bad one as typed."""
    phone = values["phone"]
    return {**values, "phone": phones.display(phone) if phone.startswith("+") else phone}


def alarm_for(contacts: list[Contact]) -> dict[str, Any]:
    """The alarm link to every contact marked for it, in the current language.

    The body carries the code words of those contacts (each once, in list order).
    """
    recipients = [c for c in contacts if c.alarm]
    numbers = list(dict.fromkeys(c.phone for c in recipients))
    words = list(dict.fromkeys(c.code_word for c in recipients if c.code_word))
    body = _("I need help.")
    if words:
        body += " " + ngettext("Code word: %(words)s", "Code words: %(words)s", len(words)) % {
            "words": ", ".join(words)
        }
    return {
        "recipients": recipients,
        "body": body,
        "href": alarm_href(numbers, body) if numbers else None,
    }


def alarm_href(numbers: list[str], body: str) -> str:
    """``sms:+4512345678,+4587654321?&body=…``: the phone's own SMS app, prefilled.

    ``?&body=`` is the form both iOS and Android read. Numbers are E.164 (only ``+`` and
    digits); the body is percent-encoded completely, so ``&``, ``#`` or ``<`` stay text.
    """
    return "sms:" + ",".join(numbers) + "?&body=" + quote(body, safe="")
