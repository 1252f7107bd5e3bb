"""Reading and changing a case's helpers, actions, comments, meetings and legal steps. Writes
are conditional on the version seen (:func:`app.versions.conditional_update`).

The handleplan page costs a bounded number of queries whatever the case holds: the granted
caseworkers with their organisations and roles, the actions, the comments, the meetings, the
legal steps, the people who changed something. The caseload's due list costs three queries for
any number of cases (:func:`due_by_plan`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.actions import legal
from app.actions.models import OPEN, Action, CaseRole, Comment, Helper, LegalStep, Meeting, Who
from app.auth.models import Organisation, User
from app.clock import now
from app.plans.models import Grant
from app.versions import StaleWrite, conditional_update
from app.web import LOCAL_ZONE

# The caseload and the victim's plan show what falls due within this long (and everything
# overdue); legal dates are shown a month ahead (a renewal takes time).
SOON = timedelta(days=7)
LEGAL_SOON = timedelta(days=30)
# The fixed contact person first, then the roles in the Esbjerg model's order.
ROLE_ORDER = list(CaseRole)


@dataclass(frozen=True)
class Person:
    """A granted caseworker as the page shows them: name, organisation, role in this case."""

    user: User
    organisation: str
    helper: Helper | None

    @property
    def role(self) -> str:
        return self.helper.role if self.helper else CaseRole.other

    @property
    def has_role(self) -> bool:
        return self.helper is not None


@dataclass
class Case:
    helpers: list[Person]
    actions: list[Action]
    comments: dict[int, list[Comment]] = field(default_factory=dict)
    meetings: list[Meeting] = field(default_factory=list)
    steps: list[LegalStep] = field(default_factory=list)

    @property
    def contact(self) -> Person | None:
        return next((p for p in self.helpers if p.role == CaseRole.contact), None)

    def next_meeting(self, moment: datetime) -> Meeting | None:
        return next((m for m in self.meetings if _aware(m.at) >= moment), None)


def local_day(moment: datetime) -> date:
    """The day it is in Denmark: what "due today" and "overdue" mean."""
    return _aware(moment).astimezone(LOCAL_ZONE).date()


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive UTC times."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def helpers(session: Session, plan_id: int) -> list[Person]:
    """Every caseworker the plan is granted to now, with organisation and role in this case."""
    rows = session.exec(
        select(User, Organisation, Helper)
        .join(Grant, col(Grant.caseworker_id) == col(User.id))
        .join(Organisation, col(Organisation.id) == col(User.organisation_id), isouter=True)
        .join(
            Helper,
            (col(Helper.plan_id) == plan_id) & (col(Helper.caseworker_id) == col(User.id)),
            isouter=True,
        )
        .where(Grant.plan_id == plan_id, col(Grant.revoked_at).is_(None))
    ).all()
    people = [Person(user, org.name if org else "", helper) for user, org, helper in rows]
    return sorted(people, key=lambda p: (ROLE_ORDER.index(CaseRole(p.role)), p.user.id))


def load(session: Session, plan_id: int) -> Case:
    status_rank = case(
        (col(Action.status) == "started", 0),
        (col(Action.status) == "agreed", 1),
        (col(Action.status) == "done", 2),
        else_=3,
    )
    actions = list(
        session.exec(
            select(Action)
            .where(Action.plan_id == plan_id)
            .order_by(
                status_rank,
                col(Action.due).is_(None),
                col(Action.due),
                col(Action.id),
            )
        ).all()
    )
    comments: dict[int, list[Comment]] = {}
    for comment in session.exec(
        select(Comment).where(Comment.plan_id == plan_id).order_by(col(Comment.at), col(Comment.id))
    ).all():
        comments.setdefault(comment.action_id, []).append(comment)
    meetings = list(
        session.exec(
            select(Meeting).where(Meeting.plan_id == plan_id).order_by(col(Meeting.at))
        ).all()
    )
    steps = list(
        session.exec(
            select(LegalStep).where(LegalStep.plan_id == plan_id).order_by(col(LegalStep.id))
        ).all()
    )
    return Case(helpers(session, plan_id), actions, comments, meetings, steps)


def meeting_ids(session: Session, plan_id: int) -> set[int]:
    return set(session.exec(select(Meeting.id).where(Meeting.plan_id == plan_id)).all())  # type: ignore[arg-type]


def changers(case_: Case) -> set[int | None]:
    ids: set[int | None] = {a.changed_by_id for a in case_.actions}
    ids |= {a.who_id for a in case_.actions}
    ids |= {c.by_id for cs in case_.comments.values() for c in cs}
    ids |= {m.changed_by_id for m in case_.meetings}
    ids |= {s.changed_by_id for s in case_.steps}
    return ids


# ---------------------------------------------------------------- writes


def add_action(session: Session, plan_id: int, values: dict[str, Any], by: User) -> Action:
    action = Action(plan_id=plan_id, created_by_id=by.id, changed_by_id=by.id, **values)
    session.add(action)
    session.flush()
    return action


def edit_action(
    session: Session, action: Action, seen_version: int, values: dict[str, Any], by: User
) -> Action:
    return conditional_update(session, action, seen_version, by, **values)


def add_comment(session: Session, action: Action, text: str, by: User) -> Comment:
    comment = Comment(plan_id=action.plan_id, action_id=action.id, text=text, by_id=by.id)  # type: ignore[arg-type]
    session.add(comment)
    session.flush()
    return comment


def set_helper(
    session: Session,
    plan_id: int,
    caseworker_id: int,
    seen_version: int,
    values: dict[str, Any],
    by: User,
) -> Helper:
    """A caseworker's role in the case: the first write makes the row (version 0 seen), later
    ones are conditional like every write."""
    row = session.exec(
        select(Helper).where(Helper.plan_id == plan_id, Helper.caseworker_id == caseworker_id)
    ).first()
    if row is None:
        if seen_version != 0:
            raise StaleWrite(None)
        row = Helper(plan_id=plan_id, caseworker_id=caseworker_id, changed_by_id=by.id, **values)
        session.add(row)
        session.flush()
        return row
    return conditional_update(session, row, seen_version, by, **values)


def add_row(session: Session, row: Meeting | LegalStep, by: User) -> Meeting | LegalStep:
    row.changed_by_id = by.id
    session.add(row)
    session.flush()
    return row


def edit_row(
    session: Session, row: Meeting | LegalStep, seen_version: int, values: dict[str, Any], by: User
) -> Meeting | LegalStep:
    return conditional_update(session, row, seen_version, by, **values)


# ---------------------------------------------------------------- what is due


@dataclass(frozen=True)
class Due:
    """One thing that falls due: an action, a meeting or a legal date. No text of the case:
    the caseload shows the kind and the date, the handleplan the rest."""

    plan_id: int
    when: date
    kind: str  # "action", "meeting", "legal"
    label: str  # N_() for a legal step's kind or an action's status; "" for a meeting
    row_id: int
    for_victim: bool = False

    def overdue(self, today: date) -> bool:
        return self.when < today


def due_by_plan(
    session: Session, plan_ids: list[int], moment: datetime | None = None
) -> dict[int, list[Due]]:
    """What falls due in each case, most urgent first: open actions overdue or due within
    :data:`SOON`, meetings within :data:`SOON`, legal dates overdue or within
    :data:`LEGAL_SOON`. Three queries for any number of cases."""
    moment = moment or now()
    today = local_day(moment)
    found: dict[int, list[Due]] = {pid: [] for pid in plan_ids}
    if not plan_ids:
        return found
    actions = session.execute(
        sa_select(
            col(Action.id),
            col(Action.plan_id),
            col(Action.due),
            col(Action.status),
            col(Action.who),
        ).where(
            col(Action.plan_id).in_(plan_ids),
            col(Action.status).in_([str(s) for s in OPEN]),
            col(Action.due).is_not(None),
            col(Action.due) <= today + SOON,
        )
    ).all()
    for action_id, plan_id, due, status, who in actions:
        found[plan_id].append(
            Due(plan_id, due, "action", status, action_id, for_victim=who == Who.victim)
        )
    start = datetime.combine(today, time.min, tzinfo=LOCAL_ZONE).astimezone(UTC)
    meetings = session.execute(
        sa_select(col(Meeting.id), col(Meeting.plan_id), col(Meeting.at)).where(
            col(Meeting.plan_id).in_(plan_ids),
            col(Meeting.at) >= start,
            col(Meeting.at) < start + SOON + timedelta(days=1),
        )
    ).all()
    for meeting_id, plan_id, at in meetings:
        day = _aware(at).astimezone(LOCAL_ZONE).date()
        found[plan_id].append(Due(plan_id, day, "meeting", "", meeting_id, True))
    steps = session.execute(
        sa_select(
            col(LegalStep.id),
            col(LegalStep.plan_id),
            col(LegalStep.kind),
            col(LegalStep.started),
            col(LegalStep.ends),
        ).where(col(LegalStep.plan_id).in_(plan_ids), col(LegalStep.started).is_not(None))
    ).all()
    for step_id, plan_id, kind, started, ends in steps:
        when = legal.next_due(kind, started, ends)
        if when is not None and when <= today + LEGAL_SOON:
            label = legal.KINDS[kind].label if kind in legal.KINDS else ""
            found[plan_id].append(Due(plan_id, when, "legal", label, step_id, True))
    for items in found.values():
        items.sort(key=urgency)
    return found


def urgency(due: Due) -> tuple[date, str, int, int]:
    """Most urgent first: the earliest date (overdue before due), then by kind."""
    return (due.when, due.kind, due.plan_id, due.row_id)


def for_victim(
    session: Session, plan_id: int, moment: datetime
) -> tuple[Meeting | None, list[Action]]:
    """Her plan's first screen: the next meeting, and her own open actions overdue or due
    within :data:`SOON` (two queries)."""
    meeting = session.exec(
        select(Meeting)
        .where(Meeting.plan_id == plan_id, col(Meeting.at) >= moment)
        .order_by(col(Meeting.at))
        .limit(1)
    ).first()
    actions = session.exec(
        select(Action)
        .where(
            Action.plan_id == plan_id,
            Action.who == Who.victim,
            col(Action.status).in_([str(s) for s in OPEN]),
            col(Action.due).is_not(None),
            col(Action.due) <= local_day(moment) + SOON,
        )
        .order_by(col(Action.due), col(Action.id))
    ).all()
    return meeting, list(actions)
