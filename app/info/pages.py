"""The open information pages (issue 18 points 1–3, docs/design.md §12): Markdown files with front
matter, one per page and language, in ``content/info/da/`` and ``content/info/en/``.

A caseworker or a teacher corrects a sentence in the Markdown file; no code changes. Each file
starts with front matter (YAML between two ``---`` lines):

- ``key``: the same in both languages; it pairs a Danish page with its English twin.
- ``slug``: the address after ``/info/`` (Danish) or ``/en/info/`` (English); empty for the
  index page.
- ``title``: the page's heading and its name in the list of pages.
- ``order``: where it stands in the list (small numbers first).
- ``sources``: what the page is based on, named under "Kilder".
- ``no_twin`` (optional): why a page has no twin in the other language (a test asks for one).

Rendered with markdown-it-py in its CommonMark mode with raw HTML turned off: a file cannot
bring a script, a style or a form onto the page, whatever is typed into it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markupsafe import Markup

from app import resources

CONTENT = resources.CONTENT / "info"
LANGUAGES = ("da", "en")
PREFIX = {"da": "/info", "en": "/en/info"}


class ContentError(ValueError):
    """A content file the site cannot show; the message names the file and what is wrong."""


@dataclass(frozen=True)
class InfoPage:
    key: str
    language: str
    slug: str
    title: str
    order: int
    sources: tuple[str, ...]
    body: Markup
    no_twin: str | None
    file: Path

    @property
    def path(self) -> str:
        return PREFIX[self.language] + (f"/{self.slug}" if self.slug else "")


def split_front_matter(text: str, file: Path) -> tuple[dict[str, Any], str]:
    if not text.startswith("---\n"):
        raise ContentError(f"{file.name}: no front matter (the file must start with ---)")
    head, sep, body = text[4:].partition("\n---\n")
    if not sep:
        raise ContentError(f"{file.name}: the front matter has no closing ---")
    meta = yaml.safe_load(head) or {}
    if not isinstance(meta, dict):
        raise ContentError(f"{file.name}: the front matter is not a list of key: value")
    return meta, body


def markdown() -> MarkdownIt:
    # CommonMark, raw HTML off (escaped), tables on; links keep their addresses as written.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def load_page(file: Path, language: str) -> InfoPage:
    meta, body = split_front_matter(file.read_text(encoding="utf-8"), file)
    missing = [name for name in ("key", "title", "sources") if not meta.get(name)]
    if missing:
        raise ContentError(f"{file.name}: the front matter lacks {', '.join(missing)}")
    sources = meta["sources"]
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise ContentError(f"{file.name}: sources must be a list of lines starting with -")
    return InfoPage(
        key=str(meta["key"]),
        language=language,
        slug=str(meta.get("slug") or ""),
        title=str(meta["title"]),
        order=int(meta.get("order", 100)),
        sources=tuple(sources),
        body=Markup(markdown().render(body)),  # noqa: S704 - raw HTML is off: escaped text only
        no_twin=str(meta["no_twin"]) if meta.get("no_twin") else None,
        file=file,
    )


@functools.cache
def all_pages() -> tuple[InfoPage, ...]:
    """Every page of both languages, each language in its order (read once per process)."""
    pages: list[InfoPage] = []
    for language in LANGUAGES:
        found = [load_page(f, language) for f in sorted((CONTENT / language).glob("*.md"))]
        if not found:  # a checkout or a wheel without its content: say so, do not serve nothing
            raise ContentError(f"no pages in {CONTENT / language}")
        pages.extend(sorted(found, key=lambda p: (p.order, p.title)))
    paths = [p.path for p in pages]
    if len(paths) != len(set(paths)):
        raise ContentError("two content files have the same slug in one language")
    return tuple(pages)


def listed(language: str) -> list[InfoPage]:
    """The pages of one language, the index first."""
    return [p for p in all_pages() if p.language == language]


def twin(page: InfoPage) -> InfoPage | None:
    return next((p for p in all_pages() if p.key == page.key and p.language != page.language), None)


def content_files() -> list[Path]:
    """The files the pages are made of (the service worker's version hashes them)."""
    return sorted(CONTENT.glob("*/*.md"))
