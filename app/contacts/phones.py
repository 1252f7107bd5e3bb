"""Phone numbers: Danish and international formats in, E.164 stored, readable numbers out.

``12345678``, ``12 34 56 78``, ``+45 12 34 56 78`` and ``0045 12345678`` are all ``+4512345678``;
``+46 70 123 45 67`` or ``0046 …`` is a Swedish number. A number counts when it has a possible
length for its country (libphonenumber's ``is_possible_number``). We do not insist on a number
range the library knows to be assigned: its metadata lags behind the operators, and a safety
contact must never be refused because a new range opened last month.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from app.contacts.models import MAX_PHONE_INPUT

REGION = "DK"
# Digits and the usual separators only: no letters (libphonenumber would turn "FLOWERS" into
# digits), no extensions, nothing a tel: or sms: link could trip over.
_ALLOWED = re.compile(r"^\(?\+?[0-9 ()./\-]+$")


class BadPhone(ValueError):
    """``code`` is ``"empty"`` or ``"invalid"``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def normalise(raw: object) -> str:
    """The number in E.164 (``+4512345678``), or :class:`BadPhone`."""
    text = " ".join(str(raw or "").split())
    if not text:
        raise BadPhone("empty")
    if len(text) > MAX_PHONE_INPUT or not _ALLOWED.match(text):
        raise BadPhone("invalid")
    try:
        number = phonenumbers.parse(text, REGION)
    except NumberParseException:
        raise BadPhone("invalid") from None
    if phonenumbers.is_possible_number_with_reason(number) != ValidationResult.IS_POSSIBLE:
        raise BadPhone("invalid")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display(e164: str) -> str:
    """``+45 12 34 56 78``: Danish numbers in pairs, others as libphonenumber groups them."""
    if re.fullmatch(r"\+45\d{8}", e164):
        digits = e164[3:]
        return "+45 " + " ".join(digits[i : i + 2] for i in range(0, 8, 2))
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
