"""The legal steps a case tracks and the date each one's next step is due (docs/design.md §11;
check each rule against its source before relying on it):

- anmeldelse: reported to the police; the journal number is kept, no date follows from it;
- tilhold: issued by the police for up to 5 years; next: it expires (the end the decision
  gave, else 5 years after it was issued);
- strakstilhold: a final decision as far as possible within 60 days of it;
- opholdsforbud: up to 5 years, like a tilhold; next: it expires;
- bortvisning: up to 4 weeks from a shared home (court review on request); next: it ends;
- navne- og adressebeskyttelse: one year at a time, renewed on request; next: renewal;
- bistandsadvokat asked for, or appointed; the police tell her when they contact the
  stalker (agreed): no date follows.

Pure functions of dates: tested without a database (tests/unit/test_legal_dates.py).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from app.i18n import N_


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return day.replace(year=year, day=min(day.day, last))


@dataclass(frozen=True)
class Kind:
    key: str
    label: str  # N_()
    started_label: str  # N_(): what the first date is
    ends_label: str | None = None  # N_(): the end a decision gave, when the kind has one
    next_label: str | None = None  # N_(): what the computed date is
    years: int = 0  # the longest it can last (an end later than this is refused)
    days: int = 0
    needs_reference: bool = False

    def longest(self, started: date) -> date | None:
        if self.years:
            return add_years(started, self.years)
        if self.days:
            return started + timedelta(days=self.days)
        return None


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind(
            "report",
            N_("Reported to the police (anmeldelse)"),
            N_("Reported on"),
            needs_reference=True,
        ),
        Kind(
            "restraining",
            N_("Restraining order (tilhold)"),
            N_("Issued on"),
            N_("Expires on"),
            N_("Expires"),
            years=5,
        ),
        Kind(
            "interim",
            N_("Immediate restraining order (strakstilhold)"),
            N_("Issued on"),
            next_label=N_("Final decision due"),
            days=60,
        ),
        Kind(
            "ban",
            N_("Ban on being near home or work (opholdsforbud)"),
            N_("Issued on"),
            N_("Expires on"),
            N_("Expires"),
            years=5,
        ),
        Kind(
            "eviction",
            N_("Removal from a shared home (bortvisning)"),
            N_("Issued on"),
            N_("Ends on"),
            N_("Ends"),
            days=28,
        ),
        Kind(
            "protection",
            N_("Name and address protection"),
            N_("Granted on"),
            N_("Runs until"),
            N_("Renew by"),
            years=1,
        ),
        Kind("lawyer_asked", N_("Victim's lawyer (bistandsadvokat) asked for"), N_("Asked on")),
        Kind("lawyer", N_("Victim's lawyer (bistandsadvokat) appointed"), N_("Appointed on")),
        Kind(
            "police_tell",
            N_("The police tell me when they contact the stalker (agreed)"),
            N_("Agreed on"),
        ),
    )
}


def next_due(kind: str, started: date | None, ends: date | None) -> date | None:
    """When the step's next step is due: the end the decision gave when there is one (never
    later than the law allows), else the longest it can last; None when nothing follows."""
    rule = KINDS.get(kind)
    if rule is None or started is None:
        return None
    longest = rule.longest(started)
    if longest is None:
        return None
    if ends is not None and rule.ends_label is not None:
        return min(ends, longest)
    return longest


def end_problem(kind: str, started: date | None, ends: date | None) -> str | None:
    """Why an end date is refused (N_ message), or None."""
    rule = KINDS[kind]
    if ends is None:
        return None
    if rule.ends_label is None:
        return N_("This step has no end date.")
    if started is None:
        return N_("Give the date it began too.")
    if ends < started:
        return N_("The end cannot be before the start.")
    longest = rule.longest(started)
    if longest is not None and ends > longest:
        if rule.years == 1:
            return N_("It is granted for one year at a time.")
        if rule.years:
            return N_("It can last at most 5 years.")
        return N_("It can last at most 4 weeks.")
    return None
