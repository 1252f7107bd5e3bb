"""The national lines every victim sees beside her caseworkers' own (issue 15 point 3).

The one list of these numbers: the contacts page shows it, and a test holds the open help page
(``content/info/*/hjaelp-i-esbjerg.md``, ``help-in-esbjerg.md``) to the same values. Each number
was checked against a stored copy of the organisation's own page, named in ``source`` and in the
README. A line whose number could not be confirmed there has no ``phone``: the page shows its
name and sends the person to the organisation's site instead of showing a number that may be
wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.i18n import N_


@dataclass(frozen=True)
class NationalLine:
    name: str
    about: str  # msgid: what the line is for
    phone: str  # what the phone dials ("" = not confirmed: no number shown)
    shown: str  # how the number is written ("116 006")
    site: str  # the organisation's own site
    source: str  # the page the number was checked against


LINES: tuple[NationalLine, ...] = (
    NationalLine(
        name="Lev Uden Vold",
        about=N_(
            "National hotline on violence in close relationships. Free, anonymous, day and night."
        ),
        phone="1888",
        shown="1888",
        site="https://levudenvold.dk/",
        source="https://levudenvold.dk/aktuelt/nyheder/lev-uden-vold-modtog-i-2022-rekordmange-opkald/",
    ),
    NationalLine(
        name="Offerrådgivningen",
        about=N_("Support for victims of crime, witnesses and relatives, day and night."),
        phone="116006",
        shown="116 006",
        site="https://offerraadgivning.dk/",
        source="https://offerraadgivning.dk/offerraadgivningen-fylder-25-aar-og-deltager-paa-folkemoedet-med-event-om-digital-svindel-politi-jubilaeum/",
    ),
    NationalLine(
        name="Dansk Stalking Center",
        about=N_("Counselling by phone for people affected by stalking."),
        phone="",
        shown="",
        site="https://www.danskstalkingcenter.dk/",
        source="https://www.danskstalkingcenter.dk/om-dansk-stalking-center-2/",
    ),
)
