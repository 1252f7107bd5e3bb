"""The default stalking safety plan template (docs/design.md §3), in Danish and English.

Fourteen sections in crisis order, "Når jeg er i akut fare" first. Each item is either a prompt
the victim completes ("Jeg løber hen til: …") or an action to tick off. Items are written for the
victim ("jeg"), in short sentences, and never promise protection.

Organisations keep an editable copy; ``as_json`` and ``from_json`` move a template in and out of
storage, and ``from_json`` refuses anything that is not a well-formed template.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_TEXT = 500  # item text, per language (as ``app.plans.models.MAX_TEXT``)
MAX_TITLE = 100  # section title, per language (as ``app.plans.models.MAX_TITLE``)
MAX_SECTIONS = 40
MAX_ITEMS = 50
KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")  # fits ``Section.template_key`` (40 characters)

_SECTION_FIELDS = frozenset({"key", "da", "en", "items"})
_ITEM_FIELDS = frozenset({"da", "en"})


@dataclass(frozen=True)
class TemplateItem:
    da: str
    en: str


@dataclass(frozen=True)
class TemplateSection:
    key: str
    da: str
    en: str
    items: tuple[TemplateItem, ...]


def _items(*pairs: tuple[str, str]) -> tuple[TemplateItem, ...]:
    return tuple(TemplateItem(da=da, en=en) for da, en in pairs)


DEFAULT_TEMPLATE: tuple[TemplateSection, ...] = (
    TemplateSection(
        key="danger",
        da="Når jeg er i akut fare",
        en="In immediate danger",
        items=_items(
            ("Ved akut fare ringer jeg 112.", "In immediate danger, I call 112."),
            (
                "Hvis det ikke haster, ringer jeg til politiet på 114.",
                "If it is not urgent, I call the police on 114.",
            ),
            ("Jeg løber hen til: …", "I run to: …"),
            (
                "Mit kodeord til familien er: … Det betyder: Ring til politiet.",
                "My code word for my family is: … It means: Call the police.",
            ),
            (
                "Personer, der kan ringe 112 for mig: …",
                "People who can call 112 for me: …",
            ),
            (
                "Jeg har min telefon på mig, og den er opladet.",
                "I keep my phone with me, and it is charged.",
            ),
        ),
    ),
    TemplateSection(
        key="warning_signs",
        da="Advarselstegn",
        en="Warning signs",
        items=_items(
            (
                "Jeg tager trusler alvorligt, også skjulte trusler. Jeg skriver dem ned.",
                "I take threats seriously, including veiled threats. I write them down.",
            ),
            (
                "Tegn på, at det bliver værre: …",
                "Signs that it is getting worse: …",
            ),
            (
                "Hvis stalkeren dukker op, hvor jeg er, gør jeg sådan: …",
                "If the stalker turns up where I am, I do this: …",
            ),
            (
                "Nye måder at kontakte mig på, fx nye numre, profiler eller andre personer, "
                "skriver jeg i dagbogen.",
                "New ways of contacting me, such as new numbers, profiles or other people, "
                "I write in the diary.",
            ),
            (
                "Hvis stalkeren bryder et tilhold, anmelder jeg det til politiet.",
                "If the stalker breaks a restraining order (tilhold), I report it to the police.",
            ),
            (
                "Når noget føles forkert, stoler jeg på min fornemmelse.",
                "When something feels wrong, I trust my instincts.",
            ),
        ),
    ),
    TemplateSection(
        key="no_contact",
        da="Ingen kontakt",
        en="No contact",
        items=_items(
            (
                "Jeg siger nej én gang, tydeligt. Derefter svarer jeg ikke mere.",
                "I say no once, clearly. After that I do not reply at all.",
            ),
            (
                "Jeg svarer heller ikke, når stalkeren bliver vred, ked af det eller truer.",
                "I do not reply even when the stalker gets angry, sad or makes threats.",
            ),
            (
                "Gaver og breve fra stalkeren giver jeg til politiet. "
                "Jeg giver dem ikke selv tilbage.",
                "I hand gifts and letters from the stalker to the police. "
                "I do not give them back myself.",
            ),
            (
                "Jeg aftaler med politiet eller min rådgiver, om jeg skal blokere stalkeren "
                "eller gemme beskederne.",
                "I agree with the police or my adviser on whether to block the stalker "
                "or keep the messages.",
            ),
            (
                "Jeg beder familie og venner om ikke at give beskeder videre mellem mig og "
                "stalkeren.",
                "I ask family and friends not to pass on messages between me and the stalker.",
            ),
        ),
    ),
    TemplateSection(
        key="safe_places",
        da="Sikre steder",
        en="Safe places",
        items=_items(
            ("Nærmeste politistation: …", "Nearest police station: …"),
            (
                "Venner eller familie, jeg kan tage hen til: …",
                "Friends or family I can go to: …",
            ),
            (
                "Butikker nær mit hjem, der har åbent hele døgnet: …",
                "Shops near my home that are open around the clock: …",
            ),
            (
                "Steder på mit arbejde eller i min skole, hvor jeg kan gå hen: …",
                "Places at my work or school where I can go: …",
            ),
            (
                "Hvis nogen følger efter mig, tager jeg ikke hjem. Jeg går ind et sted med "
                "mange mennesker og ringer 112.",
                "If someone follows me, I do not go home. I go into a place with "
                "many people and call 112.",
            ),
        ),
    ),
    TemplateSection(
        key="home",
        da="Hjemme",
        en="At home",
        items=_items(
            (
                "Jeg låser døre og vinduer, også når jeg er hjemme.",
                "I lock doors and windows, even when I am at home.",
            ),
            (
                "Der er godt lys ved indgangen, fx en lampe med sensor.",
                "There is good light at the entrance, for example a lamp with a sensor.",
            ),
            (
                "Naboer, der kender til situationen og ringer 112, hvis de ser noget: …",
                "Neighbours who know about the situation and call 112 if they see something: …",
            ),
            (
                "Når det banker på, åbner jeg ikke, før jeg ved, hvem det er.",
                "When someone knocks, I do not open until I know who it is.",
            ),
            (
                "Hvis stalkeren står ved døren, åbner jeg ikke. Jeg ringer 112.",
                "If the stalker is at the door, I do not open. I call 112.",
            ),
            (
                "Jeg spørger kommunen om navne- og adressebeskyttelse.",
                "I ask the municipality (kommune) about name and address protection.",
            ),
        ),
    ),
    TemplateSection(
        key="work_school",
        da="Arbejde og skole",
        en="Work and school",
        items=_items(
            (
                "På arbejdet eller i skolen ved disse personer besked: …",
                "At work or school, these people know: …",
            ),
            (
                "Receptionen og kollegerne giver ingen oplysninger om mig, heller ikke om, "
                "hvornår jeg kommer og går.",
                "Reception and colleagues give out no information about me, not even "
                "when I come and go.",
            ),
            (
                "Den, der følger mig til og fra bil, bus eller cykel: …",
                "The person who walks me to and from my car, bus or bike: …",
            ),
            (
                "Hvis stalkeren ringer eller kommer forbi, bliver det skrevet ned.",
                "If the stalker calls or comes by, it is written down.",
            ),
            (
                "Hvis stalkeren dukker op, gør min arbejdsplads eller skole sådan: …",
                "If the stalker turns up, my workplace or school does this: …",
            ),
        ),
    ),
    TemplateSection(
        key="routes",
        da="Ruter og vaner",
        en="Routes and routines",
        items=_items(
            (
                "Jeg skifter rute og tidspunkt, når jeg kan.",
                "I change my route and times when I can.",
            ),
            (
                "En person, jeg stoler på, og som jeg deler min placering med: …",
                "A person I trust and share my location with: …",
            ),
            (
                "Jeg siger til nogen, hvornår jeg går, og hvornår jeg regner med at være fremme.",
                "I tell someone when I leave and when I expect to arrive.",
            ),
            (
                "Jeg handler ind og træner forskellige steder og på forskellige tidspunkter.",
                "I shop and exercise in different places and at different times.",
            ),
            (
                "Jeg skriver ikke på sociale medier, hvor jeg er, før jeg er gået igen.",
                "I do not post on social media where I am until I have left.",
            ),
        ),
    ),
    TemplateSection(
        key="digital",
        da="Telefon og internet",
        en="Phone and online",
        items=_items(
            (
                "Jeg får hjælp til at tjekke min telefon og computer for stalkerware "
                "(skjulte overvågningsapps).",
                "I get help checking my phone and computer for stalkerware "
                "(hidden monitoring apps).",
            ),
            (
                "Før jeg sletter en mistænkelig app, taler jeg med politiet eller min rådgiver. "
                "Appen kan være et bevis, og stalkeren kan opdage, at den er væk.",
                "Before I delete a suspicious app, I talk to the police or my adviser. "
                "The app may be evidence, and the stalker may notice that it is gone.",
            ),
            (
                "Jeg laver nye adgangskoder til e-mail, sociale medier og Apple- eller "
                "Google-kontoen. Jeg gør det fra en enhed, som stalkeren ikke har haft adgang til.",
                "I make new passwords for e-mail, social media and my Apple or Google account. "
                "I do it from a device the stalker has not had access to.",
            ),
            (
                "Jeg tjekker, hvem der kan se min placering, og slår deling fra for alle andre "
                "end dem, jeg stoler på.",
                "I check who can see my location and turn sharing off for everyone except "
                "the people I trust.",
            ),
            (
                "Jeg tjekker tasker, tøj og bil for ukendte trackere, fx AirTags.",
                "I check bags, clothes and the car for unknown trackers, such as AirTags.",
            ),
            (
                "Børnenes telefoner, tablets og spillekonsoller bliver også tjekket.",
                "The children's phones, tablets and game consoles are checked too.",
            ),
        ),
    ),
    TemplateSection(
        key="children",
        da="Børn",
        en="Children",
        items=_items(
            (
                "Skole, SFO og daginstitution er orienteret. Min kontaktperson der: …",
                "School, after-school club and daycare have been informed. "
                "My contact person there: …",
            ),
            (
                "Kun disse personer må hente mine børn: …",
                "Only these people may pick up my children: …",
            ),
            (
                "Jeg har aftalt med skole og institution, at de ringer til mig, hvis en anden "
                "vil hente børnene.",
                "I have agreed with the school and daycare that they call me if someone else "
                "wants to pick up the children.",
            ),
            (
                "Hvis stalkeren kontakter børnene, gør de sådan: …",
                "If the stalker contacts the children, they do this: …",
            ),
            (
                "Børnene kender 112 og ved, hvornår de skal ringe.",
                "The children know 112 and when to call it.",
            ),
            (
                "Børnene fortæller mig det, hvis nogen spørger til mig eller til vores adresse.",
                "The children tell me if anyone asks about me or about our address.",
            ),
        ),
    ),
    TemplateSection(
        key="documentation",
        da="Dokumentation",
        en="Documentation",
        items=_items(
            (
                "Jeg skriver alt i stalkingdagbogen: dato, tidspunkt, sted, hvad der skete, "
                "vidner og beviser.",
                "I write everything in the stalking diary: date, time, place, what happened, "
                "witnesses and evidence.",
            ),
            (
                "Jeg gemmer beskeder, opkaldslister, e-mails og opslag, også som skærmbilleder.",
                "I keep messages, call logs, e-mails and posts, also as screenshots.",
            ),
            (
                "Jeg gemmer kopier et sted, som stalkeren ikke har adgang til.",
                "I keep copies in a place the stalker has no access to.",
            ),
            (
                "Politiets journalnummer: …",
                "Police case number (journalnummer): …",
            ),
            (
                "Navnet på min kontaktperson hos politiet: …",
                "The name of my contact officer at the police: …",
            ),
            (
                "Jeg anmelder nye hændelser til politiet og oplyser journalnummeret.",
                "I report new incidents to the police and give the case number.",
            ),
        ),
    ),
    TemplateSection(
        key="legal",
        da="Juridiske skridt",
        en="Legal steps",
        items=_items(
            (
                "Stalking er strafbart efter straffelovens § 242 (fra 1. januar 2022). "
                "Jeg kan anmelde det til politiet.",
                "Stalking is a crime under the Danish Criminal Code § 242 (since 1 January 2022). "
                "I can report it to the police.",
            ),
            (
                "Tilhold: Jeg spørger politiet om et tilhold. Det forbyder stalkeren at "
                "kontakte mig og følge efter mig.",
                "Restraining order (tilhold): I ask the police about a restraining order. "
                "It forbids the stalker from contacting or following me.",
            ),
            (
                "Opholdsforbud: Stalkeren må ikke opholde sig i et bestemt område, fx nær mit "
                "hjem. Jeg spørger politiet, om det kan bruges i min sag.",
                "Exclusion order (opholdsforbud): The stalker may not stay in a certain area, "
                "for example near my home. I ask the police if it can be used in my case.",
            ),
            (
                "Bortvisning: Hvis vi bor sammen, kan stalkeren blive bortvist fra hjemmet "
                "i en periode.",
                "Removal from the home (bortvisning): If we live together, the stalker can be "
                "removed from the home for a period.",
            ),
            (
                "Jeg anmelder hvert brud på et tilhold til politiet.",
                "I report every breach of a restraining order to the police.",
            ),
            (
                "Jeg spørger politiet, om jeg kan få en bistandsadvokat.",
                "I ask the police if I can get victim's counsel (bistandsadvokat).",
            ),
        ),
    ),
    TemplateSection(
        key="leaving",
        da="Hvis jeg skal væk",
        en="If I must leave",
        items=_items(
            (
                "Jeg har en taske pakket. Den står her: …",
                "I have a bag packed. It is here: …",
            ),
            (
                "I tasken: pas, sundhedskort og andre vigtige papirer, også børnenes.",
                "In the bag: passport, health card (sundhedskort) and other important papers, "
                "the children's too.",
            ),
            ("Medicin og recepter: …", "Medicine and prescriptions: …"),
            (
                "Penge, betalingskort og ekstra nøgler.",
                "Money, bank card and spare keys.",
            ),
            (
                "Oplader og en liste over vigtige telefonnumre på papir.",
                "Charger and a list of important phone numbers on paper.",
            ),
            ("Her kan jeg bo et stykke tid: …", "Where I can stay for a while: …"),
        ),
    ),
    TemplateSection(
        key="network",
        da="Mit netværk",
        en="My network",
        items=_items(
            (
                "Personer, jeg stoler på, og som kan hjælpe mig: …",
                "People I trust who can help me: …",
            ),
            (
                "Hvad de hver især ved, og hvad de gør, når jeg siger kodeordet: …",
                "What each of them knows, and what they do when I say the code word: …",
            ),
            ("Mine nødkontakter er opdaterede.", "My emergency contacts are up to date."),
            (
                "Min kontaktperson i kommunen: …",
                "My contact person at the municipality (kommune): …",
            ),
            (
                "Min rådgiver hos Dansk Stalking Center: …",
                "My adviser at Dansk Stalking Center: …",
            ),
            (
                "Jeg giver ikke min adresse til folk, der kender stalkeren.",
                "I do not give my address to people who know the stalker.",
            ),
        ),
    ),
    TemplateSection(
        key="self_care",
        da="Mig selv",
        en="Looking after myself",
        items=_items(
            (
                "Det er ikke min skyld. Det er stalkeren, der har ansvaret.",
                "It is not my fault. The stalker is the one responsible.",
            ),
            ("Det hjælper mig at sove: …", "What helps me sleep: …"),
            ("Det hjælper mig på dårlige dage: …", "What helps me on bad days: …"),
            (
                "Jeg kan få støtte og rådgivning hos Dansk Stalking Center.",
                "I can get support and advice from Dansk Stalking Center.",
            ),
            (
                "Jeg taler med min læge, hvis jeg i lang tid sover dårligt, er bange eller ked "
                "af det.",
                "I talk to my doctor if for a long time I sleep badly, feel scared or sad.",
            ),
            (
                "En ting, jeg glæder mig til i denne uge: …",
                "One thing I look forward to this week: …",
            ),
        ),
    ),
)


def _is_english(locale: str | None) -> bool:
    """``en``, ``en-GB``, ``en_GB`` … are English; everything else falls back to Danish."""
    if not locale:
        return False
    return locale.replace("-", "_").split("_", 1)[0].strip().lower() == "en"


def section_title(section: TemplateSection, locale: str) -> str:
    """The section's title in ``locale``: Danish by default and for unknown locales."""
    return section.en if _is_english(locale) else section.da


def item_text(item: TemplateItem, locale: str) -> str:
    """The item's text in ``locale``: Danish by default and for unknown locales."""
    return item.en if _is_english(locale) else item.da


def as_json(template: Iterable[TemplateSection] = DEFAULT_TEMPLATE) -> list[dict[str, Any]]:
    """A JSON-serialisable copy: ``[{key, da, en, items: [{da, en}, …]}, …]``."""
    return [
        {
            "key": section.key,
            "da": section.da,
            "en": section.en,
            "items": [{"da": item.da, "en": item.en} for item in section.items],
        }
        for section in template
    ]


def _fields(value: object, expected: frozenset[str], where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected an object")
    keys = set(value)
    if missing := expected - keys:
        raise ValueError(f"{where}: missing {', '.join(sorted(missing))}")
    if unknown := keys - expected:
        raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    return value


def _text(value: object, limit: int, where: str, *, newlines: bool = False) -> str:
    # The text itself never goes into the message: errors may end up in logs.
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a string")
    if not value.strip():
        raise ValueError(f"{where}: empty")
    if len(value) > limit:
        raise ValueError(f"{where}: longer than {limit} characters")
    allowed = "\n" if newlines else ""
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value):
        raise ValueError(f"{where}: control character")
    return value


def _sequence(value: object, limit: int, what: str, where: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{where}: expected a list")
    if len(value) > limit:
        raise ValueError(f"{where}: more than {limit} {what}")
    return value


def from_json(data: object) -> tuple[TemplateSection, ...]:
    """Rebuild a template from ``as_json`` output, refusing anything malformed.

    Raises ``ValueError`` for a wrong shape or type, missing or unknown fields, a key that is not
    lower-case ASCII (``[a-z][a-z0-9_]*``, at most 40) or repeats, empty text or control
    characters, a title over ``MAX_TITLE`` or an item over ``MAX_TEXT`` characters, more than
    ``MAX_SECTIONS`` sections or more than ``MAX_ITEMS`` items in a section.
    """
    sections: list[TemplateSection] = []
    seen: set[str] = set()
    for i, raw in enumerate(_sequence(data, MAX_SECTIONS, "sections", "template")):
        where = f"sections[{i}]"
        fields = _fields(raw, _SECTION_FIELDS, where)
        key = fields["key"]
        if not isinstance(key, str) or not KEY_RE.fullmatch(key):
            raise ValueError(f"{where}.key: expected lower-case ASCII, at most 40 characters")
        if key in seen:
            raise ValueError(f"{where}.key: repeated")
        seen.add(key)
        items: list[TemplateItem] = []
        for j, raw_item in enumerate(
            _sequence(fields["items"], MAX_ITEMS, "items", f"{where}.items")
        ):
            item_where = f"{where}.items[{j}]"
            item = _fields(raw_item, _ITEM_FIELDS, item_where)
            items.append(
                TemplateItem(
                    da=_text(item["da"], MAX_TEXT, f"{item_where}.da", newlines=True),
                    en=_text(item["en"], MAX_TEXT, f"{item_where}.en", newlines=True),
                )
            )
        sections.append(
            TemplateSection(
                key=key,
                da=_text(fields["da"], MAX_TITLE, f"{where}.da"),
                en=_text(fields["en"], MAX_TITLE, f"{where}.en"),
                items=tuple(items),
            )
        )
    return tuple(sections)
