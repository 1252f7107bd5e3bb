"""No acknowledged write is lost (docs/design.md §4), under random interleavings of several people.

Three people (the victim and two caseworkers) read the plan, edit and tick its items, and meet
conflicts — each acting only on what their last page showed them, as a browser would. Whenever a
save is acknowledged (303), it is recorded. At the end, for every item, the acknowledged writes
form one chain: each write was made by someone whose page showed the previous write's result
(either the plan or the conflict page), and the final state is the last write. A refused save
showed both texts, and its author explicitly kept theirs (saved again) or the other one.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from app import db
from app.auth import sessions
from app.auth.models import Role
from app.plans.models import Item, Plan
from tests.conftest import csrf_token
from tests.factories import engine_of, make_org, make_user, make_victim

ITEM = re.compile(
    r'<li id="item-(\d+)" class="item[^"]*" data-version="(\d+)">.*?'
    r'<p class="item-text" id="item-\1-text">(.*?)</p>',
    re.S,
)
CONFLICT_VERSION = re.compile(r'<input type="hidden" name="version" value="(\d+)">')
MINE = re.compile(r'<textarea id="mine"[^>]*>(.*?)</textarea>', re.S)
CONFLICT_NOW = re.compile(r'<h2 id="current-heading">.*?<p class="item-text">(.*?)</p>', re.S)


@dataclass
class Person:
    token: str
    seen: dict[int, tuple[int, str]] = field(default_factory=dict)  # item -> (version, text)
    pending: dict[int, str] = field(default_factory=dict)  # item -> text refused in a conflict


@dataclass
class Write:
    item: int
    seen_version: int
    seen_text: str  # what the author's page showed for seen_version
    version: int  # the version this write produced
    text: str


def act(client, person: Person) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set("tryg_session", person.token)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(0, 2),  # who
            st.sampled_from(["read", "edit", "tick", "keep-mine", "keep-theirs"]),
            st.integers(0, 2),  # which item
            st.text(alphabet="abcæøå <>&\"'", min_size=1, max_size=12).map(str.strip).filter(bool),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_every_acknowledged_write_survives_or_was_seen_by_the_next(client, steps):
    org = make_org(client, f"Org {len(steps)}-{id(steps)}")
    caseworkers = [make_user(client, Role.caseworker, n, org) for n in ("Anna", "Lars")]
    victim = make_victim(client, caseworker=caseworkers[0])
    engine = engine_of(client)
    with db.write_session(engine) as s:
        from app.plans.models import Grant

        plan_id = s.exec(select(Plan.id).where(Plan.victim_id == victim.id)).one()
        items = s.exec(select(Item).where(Item.plan_id == plan_id).order_by(Item.id)).all()
        item_ids = [i.id for i in items][:3]
        s.add(Grant(plan_id=plan_id, caseworker_id=caseworkers[1].id))
        people = [
            Person(sessions.start(s, client.app.state.settings, u, "pytest"))
            for u in (victim, *caseworkers)
        ]
    writes: list[Write] = []

    def read(person: Person) -> None:
        act(client, person)
        page = client.get(f"/plans/{plan_id}").text
        for item_id, version, text in ITEM.findall(page):
            person.seen[int(item_id)] = (int(version), html.unescape(text))

    for who, action, which, text in steps:
        person, item_id = people[who], item_ids[which % len(item_ids)]
        if action == "read" or item_id not in person.seen:
            read(person)
            continue
        act(client, person)
        seen_version, seen_text = person.seen[item_id]
        if action == "keep-theirs":
            person.pending.pop(item_id, None)  # explicitly chose the other version
            continue
        if action == "keep-mine":
            if item_id not in person.pending:
                continue
            text = person.pending.pop(item_id)
        if action == "tick":
            data = {"version": seen_version, "done": "1"}
            r = client.post(
                f"/plans/{plan_id}/items/{item_id}/done",
                data={**data, "csrftoken": csrf_token(client)},
                follow_redirects=False,
            )
        else:
            r = client.post(
                f"/plans/{plan_id}/items/{item_id}",
                data={"text": text, "version": seen_version, "csrftoken": csrf_token(client)},
                follow_redirects=False,
            )
        if r.status_code == 303:
            with db.read_session(engine) as s:
                row = s.get(Item, item_id)
            assert row is not None and row.version == seen_version + 1
            new_text = seen_text if action == "tick" else text
            assert row.text == new_text  # what was acknowledged is what was stored
            writes.append(Write(item_id, seen_version, seen_text, row.version, row.text))
            person.seen[item_id] = (row.version, row.text)
        elif action == "tick":
            assert r.status_code == 409  # stale tick: refused, the section says so
            read(person)
        else:
            # The conflict page shows the text as it is now and the refused one, side by side.
            assert r.status_code == 409
            now_text = html.unescape(CONFLICT_NOW.search(r.text).group(1))  # type: ignore[union-attr]
            mine = MINE.search(r.text)
            assert mine is not None and html.unescape(mine.group(1)) == text
            version = int(CONFLICT_VERSION.search(r.text).group(1))  # type: ignore[union-attr]
            person.seen[item_id] = (version, now_text)
            person.pending[item_id] = text

    with db.read_session(engine) as s:
        final = {i: s.get(Item, i) for i in item_ids}
    for item_id in item_ids:
        chain = [w for w in writes if w.item == item_id]
        for earlier, later in itertools.pairwise(chain):
            # The next write was made on top of this one, by someone who was shown its text.
            assert later.seen_version == earlier.version
            assert later.seen_text == earlier.text
        if chain:
            assert final[item_id].version == chain[-1].version  # type: ignore[union-attr]
            assert final[item_id].text == chain[-1].text  # type: ignore[union-attr]
