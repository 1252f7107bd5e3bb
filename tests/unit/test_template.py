"""The default safety plan template: docs/design.md §3's sections, both languages, a strict JSON
form."""

from __future__ import annotations

import copy
import dataclasses
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.plans.template import (
    DEFAULT_TEMPLATE,
    MAX_ITEMS,
    MAX_SECTIONS,
    MAX_TEXT,
    MAX_TITLE,
    TemplateItem,
    TemplateSection,
    as_json,
    from_json,
    item_text,
    section_title,
)

# docs/design.md §3, in order: (key, Danish title, English title).
DESIGN_SECTIONS = [
    ("danger", "Når jeg er i akut fare", "In immediate danger"),
    ("warning_signs", "Advarselstegn", "Warning signs"),
    ("no_contact", "Ingen kontakt", "No contact"),
    ("safe_places", "Sikre steder", "Safe places"),
    ("home", "Hjemme", "At home"),
    ("work_school", "Arbejde og skole", "Work and school"),
    ("routes", "Ruter og vaner", "Routes and routines"),
    ("digital", "Telefon og internet", "Phone and online"),
    ("children", "Børn", "Children"),
    ("documentation", "Dokumentation", "Documentation"),
    ("legal", "Juridiske skridt", "Legal steps"),
    ("leaving", "Hvis jeg skal væk", "If I must leave"),
    ("network", "Mit netværk", "My network"),
    ("self_care", "Mig selv", "Looking after myself"),
]

ALL_ITEMS = [(s.key, i) for s in DEFAULT_TEMPLATE for i in s.items]


def section(key: str) -> TemplateSection:
    return next(s for s in DEFAULT_TEMPLATE if s.key == key)


def text_of(key: str, lang: str) -> str:
    return " ".join(getattr(i, lang) for i in section(key).items)


# --- the content ---------------------------------------------------------------------------


def test_fourteen_sections_in_design_order_with_exact_titles() -> None:
    assert [(s.key, s.da, s.en) for s in DEFAULT_TEMPLATE] == DESIGN_SECTIONS


def test_danger_comes_first() -> None:
    assert DEFAULT_TEMPLATE[0].key == "danger"
    assert DEFAULT_TEMPLATE[0].da == "Når jeg er i akut fare"


def test_keys_are_unique_stable_ascii() -> None:
    keys = [s.key for s in DEFAULT_TEMPLATE]
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]{0,39}", k) for k in keys)


def test_each_section_holds_three_to_six_items() -> None:
    for s in DEFAULT_TEMPLATE:
        assert 3 <= len(s.items) <= 6, s.key


@pytest.mark.parametrize(("key", "item"), ALL_ITEMS)
def test_every_item_has_both_languages_within_limits(key: str, item: TemplateItem) -> None:
    for text in (item.da, item.en):
        assert isinstance(text, str)
        assert text.strip() == text
        assert text
        assert len(text) <= MAX_TEXT
    assert item.da != item.en


@pytest.mark.parametrize(("key", "item"), ALL_ITEMS)
def test_translation_keeps_numbers_and_prompts(key: str, item: TemplateItem) -> None:
    # A prompt to complete ends in "…" in both languages; 112, 114, § 242 survive translation.
    assert item.da.endswith("…") == item.en.endswith("…")
    assert item.da.count("…") == item.en.count("…")
    assert re.findall(r"\d+", item.da) == re.findall(r"\d+", item.en)


def test_danger_names_112_and_114_in_both_languages() -> None:
    for lang in ("da", "en"):
        text = text_of("danger", lang)
        assert "112" in text
        assert "114" in text


def test_legal_section_names_straffeloven_242() -> None:
    assert "strafbart efter straffelovens § 242 (fra 1. januar 2022)" in text_of("legal", "da")
    assert "§ 242" in text_of("legal", "en")
    for word in ("tilhold", "opholdsforbud", "bortvisning"):
        assert word in text_of("legal", "da").lower()
        assert word in text_of("legal", "en").lower()


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("danger", ["kodeord", "Jeg løber hen til: …"]),
        ("no_contact", ["nej én gang", "politiet"]),
        ("digital", ["stalkerware", "adgangskoder", "placering", "Børnenes"]),
        ("children", ["daginstitution", "hente"]),
        ("documentation", ["dato", "tidspunkt", "sted", "vidner", "beviser", "journalnummer"]),
        ("leaving", ["pas", "sundhedskort", "Medicin", "Penge", "nøgler"]),
        ("self_care", ["sove", "Dansk Stalking Center", "dårlige dage"]),
    ],
)
def test_sections_carry_design_items(key: str, words: list[str]) -> None:
    text = text_of(key, "da")
    for word in words:
        assert word in text, (key, word)


PROMISES = [
    "garanti",
    "garanter",
    "guarantee",
    "100 %",
    "100%",
    "helt sikker",
    "er i sikkerhed",
    "beskytter dig",
    "beskytter mig",
    "protects you",
    "protects me",
    "completely safe",
    "you are safe",
    "i am safe",
]


def test_no_item_promises_protection() -> None:
    for s in DEFAULT_TEMPLATE:
        for i in s.items:
            for text in (i.da.lower(), i.en.lower()):
                assert not [p for p in PROMISES if p in text], (s.key, text)


def test_danish_is_addressed_to_the_victim() -> None:
    # Written as "jeg"/"mig"/"min": the victim's own plan, never "du" or "De".
    for s in DEFAULT_TEMPLATE:
        for i in s.items:
            assert not re.search(r"\b(du|dig|din|dit|dine)\b", i.da, re.IGNORECASE), i.da


def test_template_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_TEMPLATE[0].da = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_TEMPLATE[0].items[0].en = "x"  # type: ignore[misc]
    assert isinstance(DEFAULT_TEMPLATE, tuple)
    assert all(isinstance(s.items, tuple) for s in DEFAULT_TEMPLATE)


# --- locale --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "lang"),
    [("da", "da"), ("da-DK", "da"), ("en", "en"), ("en-GB", "en"), ("en_US", "en"), ("EN", "en"),
     ("fr", "da"), ("", "da"), ("eng", "da"), ("ar", "da")],
)  # fmt: skip
def test_locale_picks_language_and_falls_back_to_danish(locale: str, lang: str) -> None:
    s = DEFAULT_TEMPLATE[0]
    assert section_title(s, locale) == getattr(s, lang)
    assert item_text(s.items[0], locale) == getattr(s.items[0], lang)


# --- JSON ----------------------------------------------------------------------------------


def test_as_json_shape() -> None:
    data = as_json()
    assert data[0] == {
        "key": "danger",
        "da": "Når jeg er i akut fare",
        "en": "In immediate danger",
        "items": [{"da": i.da, "en": i.en} for i in DEFAULT_TEMPLATE[0].items],
    }
    assert len(data) == len(DEFAULT_TEMPLATE)


def test_round_trip_through_json_text() -> None:
    text = json.dumps(as_json(), ensure_ascii=False)
    assert from_json(json.loads(text)) == DEFAULT_TEMPLATE
    assert from_json(as_json()) == DEFAULT_TEMPLATE
    assert as_json(from_json(as_json())) == as_json()


def test_as_json_returns_a_fresh_copy() -> None:
    data = as_json()
    data[0]["items"].clear()
    data[0]["da"] = "x"
    assert as_json()[0]["da"] == "Når jeg er i akut fare"
    assert DEFAULT_TEMPLATE[0].items


def test_from_json_accepts_limits_exactly() -> None:
    items = [{"da": "æ" * MAX_TEXT, "en": "e" * MAX_TEXT}] * MAX_ITEMS
    data = [
        {"key": f"s{n}", "da": "ø" * MAX_TITLE, "en": "o" * MAX_TITLE, "items": items}
        for n in range(MAX_SECTIONS)
    ]
    template = from_json(data)
    assert len(template) == MAX_SECTIONS
    assert all(len(s.items) == MAX_ITEMS for s in template)
    assert from_json([]) == ()
    assert from_json([{"key": "own", "da": "Mit", "en": "Mine", "items": []}])[0].items == ()
    multi_line = from_json(
        [{"key": "a", "da": "A", "en": "A", "items": [{"da": "1\n2", "en": "x"}]}]
    )
    assert multi_line[0].items[0].da == "1\n2"


def valid() -> list[dict]:
    return copy.deepcopy(as_json())


def mutate(change):  # type: ignore[no-untyped-def]
    data = valid()
    change(data)
    return data


BAD = {
    "not a list": lambda: {"sections": valid()},
    "a string": lambda: "danger",
    "none": lambda: None,
    "section not an object": lambda: ["danger"],
    "section is a list": lambda: [["danger", "a", "b", []]],
    "missing key": lambda: mutate(lambda d: d[0].pop("key")),
    "missing da": lambda: mutate(lambda d: d[1].pop("da")),
    "missing en": lambda: mutate(lambda d: d[2].pop("en")),
    "missing items": lambda: mutate(lambda d: d[3].pop("items")),
    "unknown field": lambda: mutate(lambda d: d[0].update(extra=1)),
    "item unknown field": lambda: mutate(lambda d: d[0]["items"][0].update(ar="x")),
    "item missing en": lambda: mutate(lambda d: d[0]["items"][0].pop("en")),
    "item missing da": lambda: mutate(lambda d: d[0]["items"][0].pop("da")),
    "item not an object": lambda: mutate(lambda d: d[0]["items"].append("Ring 112")),
    "items not a list": lambda: mutate(lambda d: d[0].update(items="Ring 112")),
    "items an object": lambda: mutate(lambda d: d[0].update(items={"da": "a", "en": "b"})),
    "title not a string": lambda: mutate(lambda d: d[0].update(da=112)),
    "item text not a string": lambda: mutate(lambda d: d[0]["items"][0].update(en=None)),
    "empty title": lambda: mutate(lambda d: d[0].update(en="")),
    "blank item": lambda: mutate(lambda d: d[0]["items"][0].update(da="   ")),
    "item too long": lambda: mutate(lambda d: d[0]["items"][0].update(da="a" * (MAX_TEXT + 1))),
    "item too long en": lambda: mutate(lambda d: d[0]["items"][0].update(en="a" * (MAX_TEXT + 1))),
    "title too long": lambda: mutate(lambda d: d[0].update(da="a" * (MAX_TITLE + 1))),
    "control character": lambda: mutate(lambda d: d[0]["items"][0].update(da="Ring\x00 112")),
    "newline in title": lambda: mutate(lambda d: d[0].update(da="Når\njeg")),
    "too many sections": lambda: [
        {"key": f"s{n}", "da": "A", "en": "A", "items": []} for n in range(MAX_SECTIONS + 1)
    ],
    "too many items": lambda: mutate(
        lambda d: d[0].update(items=[{"da": "a", "en": "a"}] * (MAX_ITEMS + 1))
    ),
    "repeated key": lambda: mutate(lambda d: d[1].update(key="danger")),
    "key not ascii": lambda: mutate(lambda d: d[8].update(key="børn")),
    "key upper case": lambda: mutate(lambda d: d[0].update(key="Danger")),
    "key with space": lambda: mutate(lambda d: d[0].update(key="safe places")),
    "key empty": lambda: mutate(lambda d: d[0].update(key="")),
    "key too long": lambda: mutate(lambda d: d[0].update(key="k" * 41)),
    "key not a string": lambda: mutate(lambda d: d[0].update(key=1)),
    "key with newline": lambda: mutate(lambda d: d[0].update(key="danger\n")),
}


@pytest.mark.parametrize("case", list(BAD))
def test_from_json_rejects_bad_shapes(case: str) -> None:
    with pytest.raises(ValueError):
        from_json(BAD[case]())


def test_errors_say_where_but_not_what_was_written() -> None:
    secret = "Min adresse er Hemmeligvej 1" + "x" * MAX_TEXT
    with pytest.raises(ValueError, match=r"sections\[2\]\.items\[1\]\.da") as info:
        from_json(mutate(lambda d: d[2]["items"][1].update(da=secret)))
    assert "Hemmeligvej" not in str(info.value)


texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=MAX_TITLE
).filter(str.strip)
item_dicts = st.fixed_dictionaries({"da": texts, "en": texts})
section_dicts = st.fixed_dictionaries(
    {
        "key": st.from_regex(r"[a-z][a-z0-9_]{0,39}", fullmatch=True),
        "da": texts,
        "en": texts,
        "items": st.lists(item_dicts, max_size=5),
    }
)


@given(st.lists(section_dicts, max_size=6, unique_by=lambda s: s["key"]))
def test_any_valid_template_round_trips(data: list[dict]) -> None:
    template = from_json(data)
    assert as_json(template) == data
    assert from_json(json.loads(json.dumps(as_json(template)))) == template
