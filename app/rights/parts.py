"""Everything Tryg holds about a person, part by part (issue 18 points 4 and 5): what "Hent alle
mine data" shows and what "Slet min konto" erases.

Each :class:`Part` names the table(s) it covers, how to read a person's rows (``export``) and how
to erase them (``erase``). :data:`PARTS` is the one list: the readable page, the JSON file and the
erasure all walk it in order, and ``tests/web/test_rights.py`` fails when a table holds a row of
the person that no part exports (or that is not exempt with a reason).

**A new module adds its part with one registration**: write ``export(session, user) -> list of
dicts`` (each with its row's ``"id"``) and ``erase(session, user)`` beside its models, and add a
``Part(...)`` line to :data:`PARTS`, before ``profile`` (erasure runs in list order and the
profile, the tombstone, comes last). The page shows the fields named in ``fields`` with their
labels, the JSON every key.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from app.actions import rights as actions
from app.audit import AuditEvent
from app.auth.labels import changer_labels
from app.auth.models import AuthSession, Challenge, Draft, EnrolmentCode, Passkey, User
from app.auth.notices import describe_all
from app.clock import now
from app.contacts.models import Contact
from app.diary import rights as diary
from app.i18n import N_
from app.live.presence import Presence
from app.plans.models import Grant, Item, Plan, Section
from app.plans.once import FormKey
from app.plans.queries import plan_of

Row = dict[str, Any]


@dataclass(frozen=True)
class Part:
    key: str  # the JSON key
    label: str  # N_(): the heading on the readable page
    tables: tuple[str, ...]  # the tables whose rows of the person this part exports
    export: Callable[[Session, User], list[Row]]
    erase: Callable[[Session, User], None]
    fields: tuple[tuple[str, str], ...] = ()  # (key, N_ label) shown on the page, in order


def _plan_id(session: Session, user: User) -> int | None:
    plan = plan_of(session, user.id) if user.id is not None else None
    return plan.id if plan is not None else None


def _names(session: Session, rows: list[Any], *attrs: str) -> dict[int, str]:
    return changer_labels(session, {getattr(r, a) for r in rows for a in attrs})


# ---------------------------------------------------------------- profile


def export_profile(session: Session, user: User) -> list[Row]:
    names = changer_labels(session, {user.enrolled_by_id})
    return [
        {
            "id": user.id,
            "name": user.display_name,
            "role": user.role,
            "user_name": user.username,
            "has_password": user.password_hash is not None,
            "language": user.locale,
            "created_at": user.created_at,
            "enrolled_by": names.get(user.enrolled_by_id) if user.enrolled_by_id else None,
            "leave_signs_out": user.exit_signs_out,
            "leave_with_shift": user.exit_shift,
            "phone_name_and_icon": user.disguise,
        }
    ]


def erase_profile(session: Session, user: User) -> None:
    """The user row stays as a tombstone (audit rows keep their ids): no name, no user name, no
    password, a new WebAuthn handle, no way in."""
    row = session.get(User, user.id)
    assert row is not None
    row.display_name = ""
    row.username = None
    row.username_hash = None
    row.password_hash = None
    row.locale = None
    row.disguise = None
    row.enrolled_by_id = None
    row.webauthn_user_handle = secrets.token_bytes(32)
    row.disabled = True
    row.erased_at = now()
    session.add(row)


# ---------------------------------------------------------------- sign-in


def export_passkeys(session: Session, user: User) -> list[Row]:
    keys = session.exec(select(Passkey).where(Passkey.user_id == user.id)).all()
    return [
        {
            "id": k.id,
            "name": k.nickname,
            "created_at": k.created_at,
            "last_used_at": k.last_used_at,
            "synced_to_a_cloud_account": k.backed_up,
            "can_be_synced": k.backup_eligible,
            "transports": k.transports,
            "waiting_for_confirmation": k.pending_code_id is not None,
        }
        for k in keys
    ]


def erase_passkeys(session: Session, user: User) -> None:
    session.execute(delete(Passkey).where(col(Passkey.user_id) == user.id))


def export_sessions(session: Session, user: User) -> list[Row]:
    rows = session.exec(
        select(AuthSession)
        .where(AuthSession.user_id == user.id)
        .order_by(col(AuthSession.created_at).desc())
    ).all()
    return [
        {
            "id": s.id,
            "device": s.device,
            "signed_in_at": s.created_at,
            "last_seen_at": s.last_seen_at,
            "signed_in_with": s.method,
            "ended_at": s.ended_at,
        }
        for s in rows
    ]


def erase_sessions(session: Session, user: User) -> None:
    """Every session ends at once. The rows stay without the device's name, so a phone that
    comes back with its cookie is recognised and told to wipe itself (app/rights/wipe.py)."""
    moment = now()
    session.execute(
        update(AuthSession)
        .where(col(AuthSession.user_id) == user.id)
        .values(device="", ended_at=moment, notices_seen_at=None)
    )


def export_codes(session: Session, user: User) -> list[Row]:
    rows = session.exec(select(EnrolmentCode).where(EnrolmentCode.user_id == user.id)).all()
    names = _names(session, list(rows), "created_by_id")
    return [
        {
            "id": c.id,
            "purpose": c.purpose,
            "made_by": names.get(c.created_by_id) if c.created_by_id else None,
            "made_at": c.created_at,
            "used_at": c.redeemed_at or c.used_at,
            "confirmed_at": c.confirmed_at,
            "cancelled_at": c.voided_at,
        }
        for c in rows
    ]


def erase_codes(session: Session, user: User) -> None:
    code_ids = select(EnrolmentCode.id).where(EnrolmentCode.user_id == user.id)
    session.execute(
        delete(Challenge).where(
            or_(col(Challenge.user_id) == user.id, col(Challenge.enrolment_code_id).in_(code_ids))
        )
    )
    session.execute(delete(EnrolmentCode).where(col(EnrolmentCode.user_id) == user.id))


# ---------------------------------------------------------------- the plan


def export_plan(session: Session, user: User) -> list[Row]:
    plan_id = _plan_id(session, user)
    if plan_id is None:
        return []
    plan = session.get(Plan, plan_id)
    assert plan is not None
    return [{"id": plan.id, "created_at": plan.created_at}]


def export_sections(session: Session, user: User) -> list[Row]:
    rows = session.exec(
        select(Section)
        .where(Section.plan_id == _plan_id(session, user))
        .order_by(col(Section.position))
    ).all()
    names = _names(session, list(rows), "changed_by_id")
    return [
        {
            "id": s.id,
            "title": s.title,
            "review_by": s.review_by,
            "changed_by": names.get(s.changed_by_id) if s.changed_by_id else None,
            "changed_at": s.changed_at,
        }
        for s in rows
    ]


def export_items(session: Session, user: User) -> list[Row]:
    plan_id = _plan_id(session, user)
    sections = session.exec(select(Section).where(Section.plan_id == plan_id)).all()
    titles = {s.id: s.title for s in sections}
    rows = session.exec(
        select(Item)
        .where(Item.plan_id == plan_id)
        .order_by(col(Item.section_id), col(Item.position))
    ).all()
    names = _names(session, list(rows), "changed_by_id")
    return [
        {
            "id": i.id,
            "section": titles.get(i.section_id),
            "text": i.text,
            "done": i.done,
            "changed_by": names.get(i.changed_by_id) if i.changed_by_id else None,
            "changed_at": i.changed_at,
            "deleted_at": i.deleted_at,
        }
        for i in rows
    ]


def erase_plan(session: Session, user: User) -> None:
    """The plan and everything in it, who had it open, and text a caseworker typed into one of
    its forms when a session had ended (a draft is kept for its writer, but it is her plan)."""
    plan_id = _plan_id(session, user)
    if plan_id is None:
        return
    session.execute(delete(Presence).where(col(Presence.plan_id) == plan_id))
    actions.erase(session, plan_id)
    session.execute(delete(Contact).where(col(Contact.plan_id) == plan_id))
    session.execute(delete(Item).where(col(Item.plan_id) == plan_id))
    session.execute(delete(Section).where(col(Section.plan_id) == plan_id))
    session.execute(delete(Grant).where(col(Grant.plan_id) == plan_id))
    session.execute(delete(Draft).where(col(Draft.path).startswith(f"/plans/{plan_id}/")))
    session.execute(delete(Plan).where(col(Plan.id) == plan_id))


def export_contacts(session: Session, user: User) -> list[Row]:
    rows = session.exec(
        select(Contact)
        .where(Contact.plan_id == _plan_id(session, user))
        .order_by(col(Contact.position))
    ).all()
    names = _names(session, list(rows), "changed_by_id")
    return [
        {
            "id": c.id,
            "name": c.name,
            "relation": c.relation,
            "phone": c.phone,
            "what_they_know": c.knows,
            "code_word": c.code_word,
            "gets_the_alarm": c.alarm,
            "changed_by": names.get(c.changed_by_id) if c.changed_by_id else None,
            "changed_at": c.changed_at,
            "deleted_at": c.deleted_at,
        }
        for c in rows
    ]


def export_grants(session: Session, user: User) -> list[Row]:
    rows = session.exec(
        select(Grant)
        .where(Grant.plan_id == _plan_id(session, user))
        .order_by(col(Grant.granted_at).desc())
    ).all()
    names = _names(session, list(rows), "caseworker_id", "granted_by_id", "revoked_by_id")
    return [
        {
            "id": g.id,
            "adviser": names.get(g.caseworker_id),
            "given_at": g.granted_at,
            "given_by": names.get(g.granted_by_id) if g.granted_by_id else None,
            "taken_back_at": g.revoked_at,
            "taken_back_by": names.get(g.revoked_by_id) if g.revoked_by_id else None,
        }
        for g in rows
    ]


def export_drafts(session: Session, user: User) -> list[Row]:
    rows = session.exec(select(Draft).where(Draft.user_id == user.id)).all()
    return [{"id": d.id, "form": d.path, "text": d.fields, "kept_at": d.created_at} for d in rows]


def erase_own_rows(session: Session, user: User) -> None:
    """Drafts she typed and the keys of forms she sent (no text in those)."""
    session.execute(delete(Draft).where(col(Draft.user_id) == user.id))
    session.execute(delete(FormKey).where(col(FormKey.user_id) == user.id))
    session.execute(delete(Presence).where(col(Presence.user_id) == user.id))


# ---------------------------------------------------------------- the audit trail


def _audit_rows(session: Session, user: User) -> list[AuditEvent]:
    mine = or_(col(AuditEvent.subject_id) == user.id, col(AuditEvent.actor_id) == user.id)
    plan_id = _plan_id(session, user)
    where = or_(mine, col(AuditEvent.plan_id) == plan_id) if plan_id is not None else mine
    return list(
        session.exec(
            select(AuditEvent)
            .where(where)
            .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        ).all()
    )


def export_audit(session: Session, user: User) -> list[Row]:
    """Who read or changed her data, and everything about her account, in plain sentences."""
    rows = _audit_rows(session, user)
    texts = describe_all(session, rows, user.id)  # type: ignore[arg-type]
    names = _names(session, rows, "actor_id")
    return [
        {
            "id": e.id,
            "at": e.at,
            "what": text,
            "who": names.get(e.actor_id) if e.actor_id else None,
            "action": e.action,
            "times": e.count,
        }
        for e, text in zip(rows, texts, strict=True)
    ]


def erase_audit(session: Session, user: User) -> None:
    """Audit rows stay, with ids only: the hashed address of what she did goes."""
    session.execute(
        update(AuditEvent).where(col(AuditEvent.actor_id) == user.id).values(ip_hash="")
    )


def _of_plan(
    export: Callable[[Session, int | None], list[Row]],
) -> Callable[[Session, User], list[Row]]:
    """A part of the handleplan, read by her plan's id."""
    return lambda session, user: export(session, _plan_id(session, user))


def with_the_plan(session: Session, user: User) -> None:
    """Erased with the plan (:func:`erase_plan`)."""


def with_the_log(session: Session, user: User) -> None:
    """Erased with the log (:func:`app.diary.rights.erase`)."""


WHEN = ("changed_at", N_("Changed"))
BY = ("changed_by", N_("Changed by"))

PARTS: tuple[Part, ...] = (
    Part(
        "plan",
        N_("My plan"),
        ("plan",),
        export_plan,
        erase_plan,
        (("created_at", N_("Created")),),
    ),
    Part(
        "sections",
        N_("Sections of the plan"),
        ("section",),
        export_sections,
        with_the_plan,
        (("title", N_("Title")), ("review_by", N_("Review by")), BY, WHEN),
    ),
    Part(
        "items",
        N_("Points in the plan"),
        ("item",),
        export_items,
        with_the_plan,
        (("section", N_("Section")), ("text", N_("Text")), ("done", N_("Done")), BY, WHEN),
    ),
    Part(
        "contacts",
        N_("My contacts"),
        ("contact",),
        export_contacts,
        with_the_plan,
        (
            ("name", N_("Name")),
            ("relation", N_("Relationship")),
            ("phone", N_("Phone")),
            ("what_they_know", N_("What they know:")),
            ("code_word", N_("Code word")),
            ("gets_the_alarm", N_("Receives the alarm")),
            BY,
            WHEN,
        ),
    ),
    Part(
        "grants",
        N_("Who may see my plan"),
        ("grant",),
        export_grants,
        with_the_plan,
        (
            ("adviser", N_("Adviser")),
            ("given_at", N_("Given")),
            ("taken_back_at", N_("Taken back")),
        ),
    ),
    Part(
        "case_helpers",
        N_("Who helps in my case"),
        ("case_helper",),
        _of_plan(actions.export_helpers),
        with_the_plan,
        (
            ("adviser", N_("Adviser")),
            ("role", N_("Role in this case")),
            ("how_to_reach", N_("How to reach them:")),
        ),
    ),
    Part(
        "case_actions",
        N_("Agreed actions"),
        ("case_action",),
        _of_plan(actions.export_actions),
        with_the_plan,
        (
            ("what", N_("What is to be done")),
            ("who", N_("Who does it")),
            ("due", N_("By when (optional)")),
            ("status", N_("Status")),
            ("note", N_("Short note (optional)")),
            BY,
            WHEN,
        ),
    ),
    Part(
        "case_action_comments",
        N_("Comments on agreed actions"),
        ("case_action_comment",),
        _of_plan(actions.export_comments),
        with_the_plan,
        (("text", N_("Comment")), ("by", N_("Changed by")), ("at", N_("When"))),
    ),
    Part(
        "case_meetings",
        N_("Meetings"),
        ("case_meeting",),
        _of_plan(actions.export_meetings),
        with_the_plan,
        (
            ("at", N_("When")),
            ("place", N_("Where (not needed by phone)")),
            ("who_took_part", N_("Who took part")),
        ),
    ),
    Part(
        "case_legal_steps",
        N_("Legal steps"),
        ("case_legal_step",),
        _of_plan(actions.export_steps),
        with_the_plan,
        (
            ("step", N_("Which step")),
            ("began", N_("When")),
            ("next_step_due", N_("Next step due")),
            ("journal_number_or_note", N_("Journal number or note:")),
        ),
    ),
    Part(
        "drafts",
        N_("Text kept after a sign-out"),
        ("draft",),
        export_drafts,
        erase_own_rows,
        (("text", N_("Text")), ("kept_at", N_("Kept"))),
    ),
    Part(
        "log",
        N_("My log"),
        ("diary_entry",),
        diary.export_entries,
        diary.erase,
        (
            ("happened_at", N_("When did it happen?")),
            ("what", N_("What happened?")),
            ("place", N_("Where?")),
            ("effect", N_("How did it affect you?")),
            ("witnesses", N_("Witnesses")),
            ("journal", N_("Police journal number")),
            ("officer", N_("Police officer")),
            ("deleted_at", N_("Deleted")),
        ),
    ),
    Part(
        "log_versions",
        N_("Earlier versions"),
        ("diary_version",),
        diary.export_versions,
        with_the_log,
        (("entry", N_("Entry")), ("replaced_at", N_("Changed")), ("replaced_by", N_("Changed by"))),
    ),
    Part(
        "bilag",
        N_("Evidence (bilag)"),
        ("diary_evidence",),
        diary.export_evidence,
        with_the_log,
        (
            ("number", N_("Bilag")),
            ("description", N_("Description")),
            ("original_kept", N_("Where the original is kept")),
            ("bytes", N_("Size")),
            ("sha256", N_("SHA-256")),
        ),
    ),
    Part(
        "log_sharing",
        N_("Who can read my log"),
        ("diary_share",),
        diary.export_sharing,
        with_the_log,
        (("shared", N_("Sharing")), ("changed_at", N_("Changed"))),
    ),
    Part(
        "passkeys",
        N_("My passkeys"),
        ("passkey",),
        export_passkeys,
        erase_passkeys,
        (
            ("name", N_("Name")),
            ("created_at", N_("Added")),
            ("last_used_at", N_("Last used")),
            ("synced_to_a_cloud_account", N_("synced to a cloud account")),
        ),
    ),
    Part(
        "codes",
        N_("Codes for a new phone"),
        ("enrolment_code",),
        export_codes,
        erase_codes,
        (("made_by", N_("Made by")), ("made_at", N_("Made")), ("used_at", N_("Used"))),
    ),
    Part(
        "sessions",
        N_("Where I have signed in"),
        ("auth_session",),
        export_sessions,
        erase_sessions,
        (
            ("device", N_("Device")),
            ("signed_in_at", N_("Signed in")),
            ("last_seen_at", N_("Last used")),
            ("ended_at", N_("Ended")),
        ),
    ),
    Part(
        "activity",
        N_("Who has read or changed my data"),
        ("audit_event",),
        export_audit,
        erase_audit,
        (("at", N_("When")), ("what", N_("What happened"))),
    ),
    Part(
        "profile",
        N_("My account"),
        ("user",),
        export_profile,
        erase_profile,
        (
            ("name", N_("Name")),
            ("user_name", N_("User name")),
            ("created_at", N_("Created")),
            ("enrolled_by", N_("Created by")),
        ),
    ),
)


def everything(session: Session, user: User) -> dict[str, list[Row]]:
    return {part.key: part.export(session, user) for part in PARTS}


def erase(session: Session, user: User) -> None:
    """Every part, in list order (the profile, the tombstone, last)."""
    for part in PARTS:
        part.erase(session, user)


def plain(value: Any) -> Any:
    """A JSON value: times as ISO 8601 (UTC)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
