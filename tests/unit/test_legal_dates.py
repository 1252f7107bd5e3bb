"""The legal steps' dates (docs/design.md §11): when each next step is due, and which ends are
refused — pure date arithmetic, no database."""

from __future__ import annotations

from datetime import date

import pytest

from app.actions import legal


@pytest.mark.parametrize(
    ("kind", "started", "ends", "due"),
    [
        # tilhold: the end the police gave, else 5 years after it was issued
        ("restraining", date(2026, 3, 1), None, date(2031, 3, 1)),
        ("restraining", date(2026, 3, 1), date(2027, 3, 1), date(2027, 3, 1)),
        ("restraining", date(2028, 2, 29), None, date(2033, 2, 28)),  # no 29 February
        # strakstilhold: a final decision within 60 days
        ("interim", date(2026, 1, 1), None, date(2026, 3, 2)),
        ("interim", date(2026, 12, 15), None, date(2027, 2, 13)),
        # opholdsforbud: like a tilhold
        ("ban", date(2026, 5, 5), None, date(2031, 5, 5)),
        ("ban", date(2026, 5, 5), date(2026, 11, 5), date(2026, 11, 5)),
        # bortvisning: up to 4 weeks
        ("eviction", date(2026, 2, 1), None, date(2026, 3, 1)),
        ("eviction", date(2026, 2, 1), date(2026, 2, 10), date(2026, 2, 10)),
        # navne- og adressebeskyttelse: one year at a time
        ("protection", date(2026, 4, 30), None, date(2027, 4, 30)),
        ("protection", date(2024, 2, 29), None, date(2025, 2, 28)),
        # nothing follows from these by law
        ("report", date(2026, 1, 1), None, None),
        ("lawyer_asked", date(2026, 1, 1), None, None),
        ("lawyer", date(2026, 1, 1), None, None),
        ("police_tell", date(2026, 1, 1), None, None),
        # no start: nothing to compute
        ("restraining", None, None, None),
        ("made_up", date(2026, 1, 1), None, None),
    ],
)
def test_the_date_the_next_step_is_due(kind, started, ends, due):
    assert legal.next_due(kind, started, ends) == due


@pytest.mark.parametrize(
    ("kind", "started", "ends", "refused"),
    [
        ("restraining", date(2026, 3, 1), date(2031, 3, 1), False),  # exactly 5 years
        ("restraining", date(2026, 3, 1), date(2031, 3, 2), True),
        ("eviction", date(2026, 2, 1), date(2026, 3, 1), False),  # exactly 4 weeks
        ("eviction", date(2026, 2, 1), date(2026, 3, 2), True),
        ("protection", date(2026, 1, 1), date(2027, 1, 2), True),
        ("ban", date(2026, 2, 1), date(2026, 1, 31), True),  # before the start
        ("ban", None, date(2026, 1, 31), True),  # an end without a start
        ("report", date(2026, 2, 1), date(2026, 3, 1), True),  # an anmeldelse has no end
        ("interim", date(2026, 2, 1), None, False),
    ],
)
def test_an_end_the_law_does_not_allow_is_refused(kind, started, ends, refused):
    assert (legal.end_problem(kind, started, ends) is not None) is refused


def test_a_whole_lifetime_of_start_dates_never_goes_past_the_limit():
    day = date(2024, 1, 1)
    while day < date(2029, 1, 1):
        assert legal.next_due("restraining", day, None) <= legal.add_years(day, 5)
        assert (legal.next_due("eviction", day, None) - day).days == 28
        assert (legal.next_due("interim", day, None) - day).days == 60
        day = date.fromordinal(day.toordinal() + 1)
