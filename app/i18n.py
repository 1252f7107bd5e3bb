"""Locale choice and gettext.

Message ids are English; Danish is the default language and its catalog must be complete (a
test extracts every msgid and fails on a missing Danish translation). The locale of a request:
the user's own setting, else the language-switch cookie, else ``Accept-Language``, else Danish.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.core import Locale, UnknownLocaleError
from starlette.requests import Request

from app import resources

LOCALE_DIR = resources.LOCALE
DOMAIN = "messages"
LANGUAGES: dict[str, str] = {"da": "Dansk", "en": "English"}
DEFAULT = "da"
COOKIE = "tryg_lang"

_current: ContextVar[str] = ContextVar("tryg_locale", default=DEFAULT)


class CatalogMissing(RuntimeError):
    """A compiled catalog is missing: the app refuses to start rather than fail every page."""


def catalog_path(locale: str, locale_dir: Path | None = None) -> Path:
    return (locale_dir or LOCALE_DIR) / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"


def check_catalogs(locale_dir: Path | None = None) -> None:
    """Raise :class:`CatalogMissing` naming the first missing ``.mo`` file and how to make it.

    Run at start-up (``create_app``): without it a missing catalog became a 500 on every page.
    """
    locale_dir = locale_dir or LOCALE_DIR
    for locale in LANGUAGES:
        if locale == "en":
            continue
        path = catalog_path(locale, locale_dir)
        if not path.is_file():
            raise CatalogMissing(
                f"Oversættelseskataloget mangler: {path}. Kompilér det fra .po-filen med"
                f" `make catalogs` (eller `pybabel compile -d {locale_dir} -D {DOMAIN}`);"
                " en wheel bygget med `pip install .` har det med."
            )


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    if locale == "en":
        # English is the source language: msgids are shown as they are.
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[locale])


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LANGUAGES else DEFAULT)


def current_locale() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """For an English word that needs two Danish ones.

    The tick "Done" is "Gjort"; the button "Done" is "Færdig".
    """
    return translations(_current.get()).pgettext(context, message)


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction where it is defined; translate it where it is shown."""
    return message


def _from_accept_language(header: str) -> str | None:
    """Best supported language from an ``Accept-Language`` header, honouring q-values."""
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        try:
            lang = Locale.parse(tag.strip(), sep="-").language
        except (ValueError, UnknownLocaleError):
            continue
        if lang in LANGUAGES and q > 0:
            choices.append((-q, index, lang))
    return min(choices)[2] if choices else None


def choose_locale(request: Request, user_locale: str | None = None) -> str:
    """A page whose language is in its address (``request.state.locale``) first, then the
    user's choice, the language cookie, the browser's languages, Danish."""
    fixed = request.scope.get("state", {}).get("locale")
    if fixed in LANGUAGES:
        return str(fixed)
    if user_locale in LANGUAGES:
        return user_locale
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return cookie
    header = request.headers.get("accept-language", "")
    return _from_accept_language(header) or DEFAULT
