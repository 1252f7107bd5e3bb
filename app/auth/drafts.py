"""Text typed when the session ended is not lost (issue 14 point 6).

When a plan or contact form is sent with a session that has just ended (the idle timeout, the
lifetime), the sign-in comes first and the text would be gone. Instead the typed fields are
kept on the server, sealed with the data key (``draft.fields``, app/crypto.py) and tied to the
user of the session that ended: never on the phone, in a cookie or in a URL. After that same
user signs in again, the plan page offers it back: "Brug teksten" opens the form again with the
text in it (the same route as before, so a change made meanwhile still meets the conflict page),
"Kassér" drops it. A draft left alone is dropped after :data:`KEEP_FOR`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.requests import Request

from app import db, state
from app.auth.models import Draft
from app.clock import now
from app.i18n import N_

KEEP_FOR = timedelta(days=1)
MAX_PER_USER = 5
# The forms of a plan and its contacts (app/plans/routes.py, app/contacts/routes.py).
PLAN_WRITE = re.compile(r"/plans/\d+/[a-z0-9/]+")
# The log's own writes: a new entry, an edit (app/diary/routes.py), offered back on /diary.
DIARY_WRITE = re.compile(r"/diary(?:/\d+)?")
# Fields a person types, with their labels; any other field (version, direction …) goes back
# unchanged and unseen. The CSRF field is never kept.
TYPED = {
    "text": N_("Text"),
    "title": N_("Heading"),
    "review_by": N_("Review by (day-month-year)"),
    "name": N_("Name"),
    "relation": N_("Relationship, e.g. mother, neighbour, colleague"),
    "phone": N_("Phone number"),
    "knows": N_("What they know"),
    "code_word": N_("Code word"),
    "what": N_("What happened?"),
    "place": N_("Where?"),
    "effect": N_("How did it affect you?"),
    "witnesses": N_("Witnesses"),
    "journal": N_("Police journal number"),
    "officer": N_("Police officer"),
}
LONG = frozenset(
    {"text", "knows", "what", "place", "effect", "witnesses"}
)  # shown as a textarea when offered back
NEVER = frozenset({"csrftoken"})


@dataclass(frozen=True)
class Offered:
    """A draft as the plan page offers it: its id, where it goes and its fields."""

    id: int
    path: str
    fields: list[tuple[str, str]]

    @property
    def typed(self) -> list[tuple[str, str]]:
        return [(name, value) for name, value in self.fields if name in TYPED and value]


def worth_keeping(path: str, form: FormData) -> list[tuple[str, str]] | None:
    """The fields to keep for a plan, contact or log write, or None (not such a form, or
    nothing typed in it)."""
    if not (PLAN_WRITE.fullmatch(path) or DIARY_WRITE.fullmatch(path)):
        return None
    fields = [
        (name, value.strip() if name in TYPED else value)
        for name, value in form.multi_items()
        if isinstance(value, str) and name not in NEVER
    ]
    return fields if any(name in TYPED and value for name, value in fields) else None


def keep(engine: Engine, user_id: int, path: str, fields: list[tuple[str, str]]) -> None:
    """Seal and store; the user's oldest drafts beyond :data:`MAX_PER_USER` go, and everyone's
    older than :data:`KEEP_FOR`."""
    with db.write_session(engine) as session:
        purge(session)
        session.add(Draft(user_id=user_id, path=path, fields=json.dumps(fields)))
        session.flush()
        ids = session.exec(
            select(Draft.id).where(Draft.user_id == user_id).order_by(col(Draft.id).desc())
        ).all()
        if len(ids) > MAX_PER_USER:
            session.execute(delete(Draft).where(col(Draft.id).in_(ids[MAX_PER_USER:])))


def _fresh(session: Session, user_id: int) -> list[Draft]:
    return list(
        session.exec(
            select(Draft)
            .where(Draft.user_id == user_id, col(Draft.created_at) > now() - KEEP_FOR)
            .order_by(col(Draft.id).desc())
        ).all()
    )


def _offered(draft: Draft) -> Offered:
    fields = [(str(name), str(value)) for name, value in json.loads(draft.fields)]
    return Offered(id=draft.id, path=draft.path, fields=fields)  # type: ignore[arg-type]


def pending(session: Session, user_id: int, prefix: str) -> list[Offered]:
    """The user's drafts for this plan (``/plans/7/``: and its contacts) or for the log
    (``/diary``), newest first."""
    return [_offered(d) for d in _fresh(session, user_id) if d.path.startswith(prefix)]


def take(session: Session, user_id: int, draft_id: int) -> Offered | None:
    """Remove one of the user's drafts and return what it held (None: not hers or gone)."""
    draft = session.get(Draft, draft_id)
    if draft is None or draft.user_id != user_id:
        return None
    offered = _offered(draft)
    session.delete(draft)
    return offered


def purge(session: Session) -> None:
    """Drafts nobody came back for."""
    session.execute(delete(Draft).where(col(Draft.created_at) <= now() - KEEP_FOR))


def has_pending(engine: Engine, user_id: int) -> bool:
    with db.read_session(engine) as session:
        return bool(_fresh(session, user_id))


def offered(request: Request) -> list[Offered]:
    """The page extra ``kept_drafts()``: the signed-in user's drafts for this plan, or on the
    log's pages for the log."""
    user = request.scope.get("state", {}).get("user")
    plan_id = request.path_params.get("plan_id")
    if request.url.path.startswith("/diary"):
        prefix = "/diary"
    elif plan_id is not None:
        prefix = f"/plans/{plan_id}/"
    else:
        return []
    if user is None:
        return []
    with db.read_session(state.engine(request)) as session:
        return pending(session, user.id, prefix)
