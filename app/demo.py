"""Idempotent demo data: the four organisations of Tryg i Esbjerg, their people, one victim."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.auth import codes, identity, passwords
from app.auth.models import Organisation, OrgKind, Role, User
from app.db import write_session
from app.plans import queries
from app.plans.models import Section
from app.plans.template import DEFAULT_TEMPLATE
from app.settings import Settings, SettingsError

ORGANISATIONS: list[tuple[str, OrgKind, str, str]] = [
    # name, kind, admin display name, caseworker display name
    ("Esbjerg Lokalpoliti", OrgKind.politi, "Henrik (admin)", "Anna"),
    ("Esbjerg Kommune Borger & Arbejdsmarked", OrgKind.kommune, "Lone (admin)", "Mette"),
    ("Esbjerg Kommune Børn & Kultur", OrgKind.kommune, "Jens (admin)", "Sofie"),
    ("Dansk Stalking Center", OrgKind.stalkingcenter, "Karin (admin)", "Lars"),
]
DEMO_VICTIM = "Demo (stalkingudsat)"
# Demo only (refused in production): a password so a laptop without a passkey can sign in.
DEMO_PASSWORD = "demo-adgangskode-esbjerg"  # noqa: S105
DEMO_USERNAMES = {Role.victim: "demo.borger", Role.caseworker: "demo.anna"}


@dataclass
class DemoPeople:
    victim: User
    caseworker: User
    created: bool
    codes: dict[str, str]


def _get_or_create_user(session: Session, role: Role, name: str, org_id: int | None) -> User:
    same_place = select(User).where(User.role == role, User.organisation_id == org_id)
    # Names are sealed (app/auth/identity.py): the database cannot compare them.
    user = next((u for u in session.exec(same_place) if u.display_name == name), None)
    if user is None:
        user = User(role=role, display_name=name, organisation_id=org_id)
        session.add(user)
        session.flush()
    return user


# A few answers filled in, so the demo plan looks like one in use (invented, nobody real).
SAMPLE_ANSWERS = {
    "danger": "Kodeordet til min søster er 'blå cykel'. Det betyder: ring 112.",
    "safe_places": "Døgnnetto på Kongensgade, 5 minutter fra hjemmet.",
    "documentation": "Journalnummer hos politiet: 3700-00000-00000-26 (eksempel).",
}


def _sample_plan(session: Session, victim: User, caseworker: User) -> None:
    plan = queries.create_plan(session, victim, DEFAULT_TEMPLATE, "da", caseworker)
    sections = {
        s.template_key: s for s in session.exec(select(Section).where(Section.plan_id == plan.id))
    }
    for key, text in SAMPLE_ANSWERS.items():
        queries.add_item(session, plan.id, sections[key].id, text, victim)  # type: ignore[arg-type]


def load(engine: Engine, settings: Settings) -> DemoPeople:
    """Create what is missing and leave what exists alone; safe to run again.

    Every run issues fresh enrolment codes for the demo victim and caseworker (15 minutes).
    """
    if settings.production:
        raise SettingsError("Demodata må ikke indlæses i produktion.")
    with write_session(engine) as session:
        created = session.exec(select(Organisation)).first() is None
        first_caseworker: User | None = None
        for name, kind, admin_name, caseworker_name in ORGANISATIONS:
            org = session.exec(select(Organisation).where(Organisation.name == name)).first()
            if org is None:
                org = Organisation(name=name, kind=kind)
                session.add(org)
                session.flush()
            _get_or_create_user(session, Role.org_admin, admin_name, org.id)
            caseworker = _get_or_create_user(session, Role.caseworker, caseworker_name, org.id)
            first_caseworker = first_caseworker or caseworker
        assert first_caseworker is not None
        victim = _get_or_create_user(session, Role.victim, DEMO_VICTIM, None)
        victim.enrolled_by_id = first_caseworker.id
        if created:
            password_hash = passwords.hash_password(DEMO_PASSWORD)
            for user in (victim, first_caseworker):
                identity.set_username(user, settings, DEMO_USERNAMES[Role(user.role)])
                user.password_hash = password_hash
                session.add(user)
        if queries.plan_of(session, victim.id) is None:  # type: ignore[arg-type]
            _sample_plan(session, victim, first_caseworker)
        issued = {
            # Console codes (issued by nobody in the app): no meeting handshake, see codes.py.
            "victim": codes.issue(session, settings.secret_key, victim.id, None)[1],  # type: ignore[arg-type]
            "caseworker": codes.issue(session, settings.secret_key, first_caseworker.id, None)[1],  # type: ignore[arg-type]
        }
        return DemoPeople(victim=victim, caseworker=first_caseworker, created=created, codes=issued)
