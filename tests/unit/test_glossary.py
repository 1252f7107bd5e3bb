"""The glossary (docs/ordliste.md) holds the Danish catalogue to its words.

The discouraged terms and the allowed exceptions are read from the glossary itself, so adding a word
there is enough to have it checked.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "docs" / "ordliste.md"
CATALOG = ROOT / "locale" / "da" / "LC_MESSAGES" / "messages.po"


def table(heading: str) -> list[list[str]]:
    """The rows of the first table under ``## heading``, as lists of the code spans per cell."""
    text = GLOSSARY.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else None]
    rows = []
    for line in section.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        spans = [m.group(1) if (m := re.fullmatch(r"`([^`]+)`", c)) else "" for c in cells]
        if spans[0]:  # the header and the separator have no code span in the first cell
            rows.append(spans)
    return rows


def contains(text: str, term: str) -> bool:
    """A term with a capital letter is matched as written; others in any case."""
    if term != term.lower():
        return term in text
    return term in text.lower()


def danish_texts() -> dict[tuple[str, str | None], str]:
    catalog = read_po(CATALOG.open("rb"), locale="da")
    texts = {}
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        texts[(msgid, message.context)] = " ".join(s for s in strings if s)
    return texts


def test_the_glossary_lists_discouraged_terms_and_exceptions():
    terms = [row[0] for row in table("Ord vi ikke bruger")]
    assert {"medarbejder", "klaret", "SMS", "“", "—"} <= set(terms)
    assert all(row[1] for row in table("Undtagelser")), "each exception names its msgid"


def test_no_discouraged_term_in_the_danish_catalogue():
    allowed = {(row[0], row[1]) for row in table("Undtagelser")}
    found = [
        f"{term!r} in {msgid!r}: {text!r}"
        for term in (row[0] for row in table("Ord vi ikke bruger"))
        for (msgid, _context), text in danish_texts().items()
        if contains(text, term) and (term, msgid) not in allowed
    ]
    assert not found, "Discouraged terms (see docs/ordliste.md):\n" + "\n".join(found)


def test_every_exception_is_still_needed():
    texts = {msgid: text for (msgid, _context), text in danish_texts().items()}
    stale = [
        (term, msgid)
        for term, msgid, *_ in table("Undtagelser")
        if msgid not in texts or not contains(texts[msgid], term)
    ]
    assert not stale, f"Exceptions in docs/ordliste.md no longer in the catalogue: {stale}"


def test_a_capitalised_term_is_matched_as_written():
    assert contains("Send alarm-SMS", "SMS")
    assert not contains("Send alarm-sms", "SMS")
    assert contains("Medarbejderne", "medarbejder")
