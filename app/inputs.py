"""Untrusted input, parsed in one place per kind: ids, form integers, text, JSON bodies.

Every kind of bad input answers a 4xx with a Danish message, never a 500:

- **Path ids** use the ``id`` convertor (``{item_id:id}``): 1 to 2³¹−1 in ASCII digits, the
  range of every id column on PostgreSQL. Anything else does not match the route: 404.
- **Form and query integers** (versions, ids in hidden fields): ``form_int``, ``version``,
  ``parse_id``. ASCII digits only (``str.isdigit`` accepts "²", which ``int`` refuses), bounded.
- **Text**: ``text`` cleans one form field and refuses control characters (NUL, ESC, …;
  newlines only where the field is multi-line); ``form_endpoint`` turns TABs into spaces and
  refuses NUL and other control characters in any field before a handler sees it, so no field
  can carry one to the database.
- **JSON bodies**: ``parse_json`` bounds the size and the nesting depth before parsing and
  refuses control characters in any string.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from app.i18n import N_, _

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER: every id and version column
MAX_JSON_BYTES = 64 * 1024
MAX_JSON_DEPTH = 8

UNREADABLE = N_("The form could not be read. Reload the page and try again.")
CONTROL = N_(
    "The text contains invisible characters (such as a tab or a control character). Remove "
    "them and try again."
)
JSON_UNREADABLE = N_("The request could not be read. Reload the page and try again.")


class BadInput(HTTPException):
    """A 400 whose detail (a translated Danish message) the error page shows."""

    tryg_detail = True

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(status_code, detail=_(message))
        self.message = message


def _id_pattern(limit: int) -> str:
    """A regex for 1..limit in ASCII digits without leading zeros (so the router, not the
    handler, refuses a bigger id: 404)."""
    digits = str(limit)
    alternatives = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"]  # fewer digits than the limit
    for i, d in enumerate(digits):  # same length: a prefix of the limit, then a smaller digit
        low = "1" if i == 0 else "0"
        if int(d) > int(low):
            rest = len(digits) - i - 1
            alternatives.append(f"{digits[:i]}[{low}-{int(d) - 1}][0-9]{{{rest}}}")
    alternatives.append(digits)
    return "(?:" + "|".join(alternatives) + ")"


ID_PATTERN = _id_pattern(MAX_ID)
_ID_RE = re.compile(ID_PATTERN)


class IdConvertor(Convertor[int]):
    regex = ID_PATTERN

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        if not 1 <= value <= MAX_ID:
            raise ValueError("id out of range")
        return str(value)


register_url_convertor("id", IdConvertor())


def parse_id(raw: object) -> int | None:
    """An id from a query string or hidden field, or None (never an exception)."""
    text = raw if isinstance(raw, str) else ""
    return int(text) if _ID_RE.fullmatch(text) else None


def _ascii_int(raw: str, low: int, high: int) -> int | None:
    if not raw or len(raw) > len(str(high)) or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def form_int(
    form: FormData, field: str, *, low: int = 0, high: int = MAX_ID, default: int | None = None
) -> int:
    """An integer form field: ASCII digits, low..high; a missing or empty field is ``default``
    when one is given. Anything else: 400 with a Danish message."""
    raw = form.get(field)
    if (raw is None or raw == "") and default is not None:
        return default
    value = _ascii_int(raw if isinstance(raw, str) else "", low, high)
    if value is None:
        raise BadInput(UNREADABLE)
    return value


def version(form: FormData, default: int | None = None) -> int:
    """The version a form saw (the optimistic-concurrency check)."""
    return form_int(form, "version", default=default)


def _bad_char(ch: str, multiline: bool) -> bool:
    if ch == "\n":
        return not multiline
    return unicodedata.category(ch) == "Cc"


def has_control(value: str, multiline: bool = True) -> bool:
    """NUL and other control characters (C0, DEL, C1); newlines count only in single-line
    fields (a CR of a browser's CRLF is always allowed)."""
    return any(_bad_char(ch, multiline) for ch in value.replace("\r\n", "\n") if ch != "\r")


def safe_next(value: object) -> str:
    """Only a local path: never an open redirect to another site (``/`` otherwise)."""
    if (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith(("//", "/\\"))
        and not has_control(value, multiline=False)
    ):
        return value
    return "/"


def text(form: FormData, field: str, *, multiline: bool = False, strip: bool = True) -> str:
    """One text field, cleaned: CRLF → LF, stripped; control characters refused (400)."""
    raw = form.get(field, "")
    value = (raw if isinstance(raw, str) else "").replace("\r\n", "\n").replace("\r", "\n")
    if has_control(value, multiline):
        raise BadInput(CONTROL)
    return value.strip() if strip else value


def clean_form(form: FormData) -> FormData:
    """A TAB (pasted from a table or a word processor) becomes a space — refusing it would
    throw away what she typed; every other control character is refused (``check_form``)."""
    cleaned = FormData(
        [(k, v.replace("\t", " ") if isinstance(v, str) else v) for k, v in form.multi_items()]
    )
    check_form(cleaned)
    return cleaned


def check_form(form: FormData) -> None:
    """Every field of every form: no NUL or control character (newlines are left to ``text``,
    which knows whether a field is multi-line)."""
    for key, value in form.multi_items():
        if has_control(key, multiline=False):
            raise BadInput(CONTROL)
        if isinstance(value, str) and has_control(value, multiline=True):
            raise BadInput(CONTROL)


class BadJSON(Exception):
    """A JSON body refused before or after parsing; ``message`` is an English msgid."""

    def __init__(self, message: str = JSON_UNREADABLE) -> None:
        super().__init__(message)
        self.message = message


def _depth(body: str) -> int:
    """The nesting depth of a JSON text, counted without parsing it (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in body:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _strings(value: Any) -> Any:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def parse_json(
    body: bytes, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> dict[str, Any]:
    """A JSON object from a request body: bounded size and depth (checked before parsing), no
    control characters in any string. Raises ``BadJSON``."""
    if len(body) > max_bytes:
        raise BadJSON()
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadJSON() from exc
    if _depth(decoded) > max_depth:
        raise BadJSON()
    try:
        payload = json.loads(decoded)
    except ValueError as exc:  # JSONDecodeError, and int() of a 5,000-digit number
        raise BadJSON() from exc
    if not isinstance(payload, dict):
        raise BadJSON()
    if any(has_control(s, multiline=False) for s in _strings(payload)):
        raise BadJSON(CONTROL)
    return payload
