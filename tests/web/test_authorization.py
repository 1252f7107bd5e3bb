"""Authorization matrix: every route × every role, and CSRF on every unsafe route.

A route added without a row here fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass

import pytest
from sqlmodel import select
from starlette.routing import Mount, Route

from app import db
from app.actions.models import Action, LegalStep, Meeting
from app.auth import codes, sessions
from app.auth.models import AuthSession, Draft, Organisation, Passkey, Role, User
from app.clock import now
from app.contacts.models import Contact, Hotline
from app.diary.models import DiaryEntry, DiaryShare, Evidence
from app.info.pages import all_pages
from app.plans.models import Grant, Item, Section
from app.plans.queries import create_plan
from app.plans.template import DEFAULT_TEMPLATE
from tests.conftest import csrf_token
from tests.factories import engine_of

ROLES = [
    "anonymous",
    "victim",
    "other_victim",
    "caseworker",
    "revoked_caseworker",
    "other_caseworker",
    "admin",
    "other_admin",
]
_counter = itertools.count()


@dataclass
class World:
    tokens: dict[str, str]
    ids: dict[str, int]


def build_world(client) -> World:
    """Two organisations with an admin and a caseworker each; a victim whose plan is granted to
    the first caseworker (and was granted to a second one, then revoked); another victim with a
    plan of their own. Sessions are created directly (passkeys are tested elsewhere)."""
    n = next(_counter)
    settings = client.app.state.settings
    tokens: dict[str, str] = {}
    ids: dict[str, int] = {}
    with db.write_session(engine_of(client)) as s:
        org_a, org_b = Organisation(name=f"A{n}"), Organisation(name=f"B{n}")
        s.add_all([org_a, org_b])
        s.flush()
        people = {
            "admin": User(role=Role.org_admin, display_name="Admin A", organisation_id=org_a.id),
            "other_admin": User(
                role=Role.org_admin, display_name="Admin B", organisation_id=org_b.id
            ),
            "caseworker": User(role=Role.caseworker, display_name="Anna", organisation_id=org_a.id),
            "revoked_caseworker": User(
                role=Role.caseworker, display_name="Rolf", organisation_id=org_a.id
            ),
            "other_caseworker": User(
                role=Role.caseworker, display_name="Lars", organisation_id=org_b.id
            ),
            "victim": User(role=Role.victim, display_name="V"),
            "other_victim": User(role=Role.victim, display_name="W"),
        }
        s.add_all(people.values())
        s.flush()
        plan = create_plan(s, people["victim"], DEFAULT_TEMPLATE[:2], "da", people["caseworker"])
        create_plan(s, people["other_victim"], DEFAULT_TEMPLATE[:1], "da", None)
        s.flush()
        revoked = Grant(
            plan_id=plan.id, caseworker_id=people["revoked_caseworker"].id, revoked_at=now()
        )
        s.add(revoked)
        for role, user in people.items():
            tokens[role] = sessions.start(s, settings, user, "pytest")
            ids[role] = user.id  # type: ignore[assignment]
        key = Passkey(
            user_id=people["victim"].id, credential_id=f"cred{n}".encode(), public_key=b"k"
        )
        s.add(key)
        s.flush()
        ids["victim_passkey"] = key.id  # type: ignore[assignment]
        ids["plan"] = plan.id  # type: ignore[assignment]
        section = s.exec(select(Section).where(Section.plan_id == plan.id)).first()
        item = s.exec(select(Item).where(Item.section_id == section.id)).first()
        grant = s.exec(
            select(Grant).where(
                Grant.plan_id == plan.id, Grant.caseworker_id == people["caseworker"].id
            )
        ).one()
        ids["section"], ids["item"], ids["grant"] = section.id, item.id, grant.id  # type: ignore[assignment]
        draft = Draft(
            user_id=people["victim"].id,
            path=f"/plans/{plan.id}/sections/{section.id}/items",
            fields='[["text", "x"]]',
        )
        s.add(draft)
        s.flush()
        ids["victim_draft"] = draft.id  # type: ignore[assignment]
        contact = Contact(plan_id=plan.id, name="Mor", phone="+4512345678", alarm=True)
        hotline = Hotline(organisation_id=org_a.id, name="Rådgivning", phone="+4570202005")
        s.add_all([contact, hotline])
        s.flush()
        ids["contact"], ids["hotline"] = contact.id, hotline.id  # type: ignore[assignment]
        meeting = Meeting(plan_id=plan.id, at=now(), place="Rådhuset")
        step = LegalStep(plan_id=plan.id, kind="report", reference="4400-1")
        s.add_all([meeting, step])
        s.flush()
        action = Action(plan_id=plan.id, what="Ringe 114", meeting_id=meeting.id)
        s.add(action)
        s.flush()
        ids["action"], ids["meeting"], ids["step"] = action.id, meeting.id, step.id  # type: ignore[assignment]
        entry = DiaryEntry(victim_id=people["victim"].id, happened_at=now(), what="Ved lågen")
        s.add(entry)
        s.flush()
        bilag = Evidence(
            victim_id=people["victim"].id,
            number=1,
            entry_id=entry.id,
            description="Foto",
            kind="png",
            size=0,
            sha256=hashlib.sha256(b"").hexdigest(),
        )
        s.add_all([bilag, DiaryShare(victim_id=people["victim"].id, mode="all")])
        s.flush()
        ids["diary_entry"], ids["evidence"] = entry.id, bilag.id  # type: ignore[assignment]
        code_row, _code = codes.issue(
            s,
            settings.secret_key,
            people["victim"].id,
            people["caseworker"].id,
            purpose=codes.Purpose.device,
        )
        ids["code"] = code_row.id  # type: ignore[assignment]
    with db.read_session(engine_of(client)) as s:
        victim_session = s.exec(
            select(AuthSession).where(AuthSession.user_id == ids["victim"])
        ).one()
        ids["victim_session"] = victim_session.id  # type: ignore[assignment]
    return World(tokens, ids)


def expect(anonymous=303, **by_role):
    """Expected status per role; roles not named get ``default`` (or 404 when omitted)."""
    default = by_role.pop("default", 404)
    table = {role: default for role in ROLES}
    table["anonymous"] = anonymous
    table.update(by_role)
    return table


ALL = {role: 200 for role in ROLES}
PLAN_READ = expect(victim=200, caseworker=200)
PLAN_WRITE = expect(victim=303, caseworker=303)
OWN_READ = expect(victim=200, other_victim=200)
OWN_WRITE = expect(victim=303, other_victim=303)

# (method, path template) -> ({role: status}, form data or "json")
MATRIX: dict[tuple[str, str], tuple[dict[str, int], object]] = {
    ("GET", "/"): (ALL, None),
    ("GET", "/healthz"): (ALL, None),
    ("GET", "/readyz"): (ALL, None),
    ("GET", "/quick-exit"): (ALL, None),
    ("GET", "/tilgaengelighed"): (ALL, None),
    ("GET", "/en/accessibility"): (ALL, None),
    ("GET", "/privatliv"): (ALL, None),
    ("GET", "/en/privacy"): (ALL, None),
    # The open information pages (app/info/): public, the same for everyone.
    **{("GET", info.path): (ALL, None) for info in all_pages()},
    ("POST", "/quick-exit/setting"): (
        expect(victim=303, other_victim=303),
        {"exit_signs_out": "on"},
    ),
    ("POST", "/quick-exit/sign-out"): ({r: 204 for r in ROLES}, {}),
    ("POST", "/language"): ({r: 303 for r in ROLES}, {"lang": "da"}),
    ("GET", "/login"): (expect(anonymous=200, default=303), None),
    ("POST", "/login/options"): (ALL, "json"),
    ("POST", "/login/passkey"): ({r: 400 for r in ROLES}, "json"),
    ("POST", "/login/password"): ({r: 400 for r in ROLES}, {"username": "x", "password": "y"}),
    ("POST", "/logout"): ({r: 303 for r in ROLES}, {}),
    ("GET", "/session/left"): (ALL, None),  # anonymous: {"left": 0}
    ("POST", "/drafts/{victim_draft}/use"): (expect(victim=200), {}),
    ("POST", "/drafts/{victim_draft}/discard"): (expect(victim=303), {}),
    ("POST", "/session/renew"): (expect(default=200), {}),
    ("GET", "/enrol"): (ALL, None),
    ("POST", "/enrol/options"): ({r: 400 for r in ROLES}, "json"),
    ("POST", "/enrol/passkey"): ({r: 400 for r in ROLES}, "json"),
    ("GET", "/account"): (expect(default=200), None),
    ("POST", "/account/passkeys/options"): (expect(default=200), "json"),
    ("POST", "/account/passkeys"): (expect(default=400), "json"),
    ("POST", "/account/passkeys/{victim_passkey}/rename"): (expect(victim=303), {"nickname": "x"}),
    ("POST", "/account/passkeys/{victim_passkey}/delete"): (
        expect(victim=400),
        {},
    ),  # the victim's only passkey: refused, explained
    ("GET", "/account/verify"): (expect(default=200), None),
    ("POST", "/account/verify/options"): (expect(default=200), "json"),
    ("POST", "/account/verify/passkey"): (expect(default=400), "json"),
    ("GET", "/account/password"): (expect(default=200), None),
    ("POST", "/account/password/set"): (expect(default=400), {}),
    ("POST", "/account/password/delete"): (expect(default=303), {}),
    ("GET", "/account/sessions"): (expect(default=200), None),
    # Data rights (app/rights/): everyone's own data; only a victim erases her own account
    # (these sessions count as freshly checked; every role gets a fresh world).
    ("GET", "/account/data"): (expect(default=200), None),
    ("GET", "/account/data.json"): (expect(default=200), None),
    ("GET", "/account/delete"): (expect(victim=200, other_victim=200), None),
    ("POST", "/account/delete"): (expect(victim=303, other_victim=303), {"confirm": "SLET"}),
    ("GET", "/account/deleted"): (ALL, None),
    ("POST", "/account/sessions/{victim_session}/end"): (expect(victim=303), {}),
    ("POST", "/account/sessions/end-all"): (expect(default=303), {}),
    # Account notices: any signed-in user hides their own (no event id given: refused).
    ("POST", "/account/notices/dismiss"): (expect(default=400), {}),
    ("GET", "/people"): (
        expect(caseworker=200, revoked_caseworker=200, other_caseworker=200),
        None,
    ),
    ("POST", "/people/new"): (
        expect(caseworker=400, revoked_caseworker=400, other_caseworker=400),
        {},
    ),
    ("POST", "/people/{victim}/code"): (expect(caseworker=200), {}),
    # The meeting handshake: only the code's issuer (no phone has redeemed it yet: 400).
    ("GET", "/codes/{code}"): (expect(caseworker=200), None),
    ("POST", "/codes/{code}/confirm"): (expect(caseworker=400), {"confirmation": "123456"}),
    ("POST", "/people/{victim}/code-revoke"): (expect(caseworker=200), {}),
    ("GET", "/admin"): (expect(admin=200, other_admin=200), None),
    ("POST", "/admin/caseworkers"): (expect(admin=400, other_admin=400), {}),
    ("POST", "/admin/caseworkers/{caseworker}/code"): (expect(admin=200), {}),
    ("POST", "/admin/caseworkers/{caseworker}/disable"): (expect(admin=303), {}),
    ("POST", "/admin/caseworkers/{caseworker}/enable"): (expect(admin=303), {}),
    # The organisation's plan template: its admins only (no plan content involved).
    ("GET", "/admin/template"): (expect(admin=200, other_admin=200), None),
    ("POST", "/admin/template"): (expect(admin=422, other_admin=422), {"count": "0"}),
    ("POST", "/admin/template/reset"): (expect(admin=303, other_admin=303), {}),
    # The plan: only the victim and the granted caseworker, everyone else 404.
    ("GET", "/plan"): (expect(victim=303, other_victim=303), None),
    ("GET", "/plans/{plan}"): (PLAN_READ, None),
    ("GET", "/plans/{plan}/edit"): (PLAN_READ, None),
    ("GET", "/plans/{plan}/print"): (PLAN_READ, None),
    # Live co-editing: the stream is authorised exactly like the plan (tests end streams at once).
    ("GET", "/plans/{plan}/events"): (PLAN_READ, None),
    ("GET", "/plans/{plan}/presence"): (expect(victim=303, caseworker=303), None),
    ("GET", "/plans/{plan}/download"): (PLAN_READ, None),
    ("POST", "/plans/{plan}/sections"): (PLAN_WRITE, {"title": "Eget afsnit"}),
    ("POST", "/plans/{plan}/sections/{section}"): (PLAN_WRITE, {"title": "Ny", "version": "1"}),
    ("POST", "/plans/{plan}/sections/{section}/items"): (PLAN_WRITE, {"text": "Nyt punkt"}),
    ("POST", "/plans/{plan}/items/{item}"): (PLAN_WRITE, {"text": "Ret", "version": "1"}),
    ("POST", "/plans/{plan}/items/{item}/done"): (PLAN_WRITE, {"done": "1", "version": "1"}),
    ("POST", "/plans/{plan}/items/{item}/move"): (
        PLAN_WRITE,
        {"direction": "down", "version": "1"},
    ),
    ("GET", "/plans/{plan}/items/{item}/delete"): (PLAN_READ, None),
    ("GET", "/plans/{plan}/items/{item}/edit"): (PLAN_READ, None),
    ("GET", "/plans/{plan}/sections/{section}"): (expect(victim=303, caseworker=303), None),
    ("GET", "/plans/{plan}/sections/{section}/edit"): (expect(victim=303, caseworker=303), None),
    ("POST", "/plans/{plan}/items/{item}/delete"): (PLAN_READ, {"version": "1"}),
    # Restoring an item that is not deleted: the form is out of date (409).
    ("POST", "/plans/{plan}/items/{item}/restore"): (
        expect(victim=409, caseworker=409),
        {"version": "1"},
    ),
    # The handleplan (issue 17): the victim and the granted caseworker; roles in the case and
    # meetings are the caseworkers' (the victim is told so: 403); org admins never (404).
    ("GET", "/plans/{plan}/actions"): (PLAN_READ, None),
    ("POST", "/plans/{plan}/actions"): (PLAN_WRITE, {"what": "Ringe 114", "who": "victim"}),
    # The world's action is hers to do but the caseworker's to word: she sets its status only.
    ("POST", "/plans/{plan}/actions/{action}"): (
        expect(victim=403, caseworker=303),
        {"what": "Ringe 112", "who": "victim", "status": "started", "version": "1"},
    ),
    ("POST", "/plans/{plan}/actions/{action}/status"): (
        PLAN_WRITE,
        {"status": "done", "version": "1"},
    ),
    ("POST", "/plans/{plan}/actions/{action}/comments"): (PLAN_WRITE, {"text": "Gjort"}),
    ("POST", "/plans/{plan}/actions/people/{caseworker}"): (
        expect(victim=403, caseworker=303),
        {"role": "contact", "reach": "Ring til mig", "version": "0"},
    ),
    ("POST", "/plans/{plan}/actions/meetings"): (
        expect(victim=403, caseworker=303),
        {"at": "2027-01-04T10:00", "place": "Rådhuset"},
    ),
    ("POST", "/plans/{plan}/actions/meetings/{meeting}"): (
        expect(victim=403, caseworker=303),
        {"at": "2027-01-04T10:00", "by_phone": "1", "version": "1"},
    ),
    ("POST", "/plans/{plan}/actions/legal"): (
        PLAN_WRITE,
        {"kind": "restraining", "started": "2026-01-01"},
    ),
    ("POST", "/plans/{plan}/actions/legal/{step}"): (
        PLAN_WRITE,
        {"kind": "report", "started": "2026-01-01", "reference": "4400-2", "version": "1"},
    ),
    # Sharing: the victim's own pages; the share code is a caseworker's.
    ("GET", "/plan/sharing"): (expect(victim=200, other_victim=200), None),
    ("POST", "/plan/sharing"): (expect(victim=422, other_victim=422), {"code": "ACDEF-GHJKM"}),
    ("POST", "/plan/sharing/{grant}/revoke"): (expect(victim=303), {}),
    ("GET", "/plan/activity"): (expect(victim=200, other_victim=200), None),
    ("POST", "/sharing/code"): (
        expect(caseworker=200, revoked_caseworker=200, other_caseworker=200),
        {},
    ),
    # Contacts: part of the plan (victim and granted caseworker); /contacts is the victim's own.
    ("GET", "/contacts"): (expect(victim=303, other_victim=303), None),
    ("GET", "/plans/{plan}/contacts"): (PLAN_READ, None),
    ("POST", "/plans/{plan}/contacts"): (PLAN_WRITE, {"name": "Far", "phone": "87654321"}),
    ("POST", "/plans/{plan}/contacts/{contact}"): (
        PLAN_WRITE,
        {"name": "Mor", "phone": "12345678", "version": "1"},
    ),
    ("POST", "/plans/{plan}/contacts/{contact}/move"): (
        PLAN_WRITE,
        {"direction": "up", "version": "1"},
    ),
    ("GET", "/plans/{plan}/contacts/{contact}/delete"): (PLAN_READ, None),
    # The world's contact gets the alarm: only the victim may delete it (issue 12 point 1).
    ("POST", "/plans/{plan}/contacts/{contact}/delete"): (
        expect(victim=303, caseworker=403),
        {"version": "1"},
    ),
    # Not deleted: restoring it is a stale write for both.
    ("POST", "/plans/{plan}/contacts/{contact}/restore"): (
        expect(victim=409, caseworker=409),
        {"version": "1"},
    ),
    # The log (issue 16): each victim's own; a caseworker, granted or not, and admins: 404.
    ("GET", "/diary"): (OWN_READ, None),
    ("POST", "/diary"): (OWN_WRITE, {"what": "Ved lågen", "when": "2026-01-01T10:00"}),
    ("GET", "/diary/new"): (OWN_READ, None),
    # Written offline and sent later (tests/web/test_diary_offline.py): nothing sealed here, so
    # the victim reaches the check and gets its Danish 400; everyone else: 404.
    ("POST", "/diary/offline"): (
        expect(victim=400, other_victim=400),
        {"form_key": "offline-key-0123456789"},
    ),
    ("GET", "/diary/sharing"): (OWN_READ, None),
    ("POST", "/diary/sharing"): (OWN_WRITE, {"mode": "all"}),
    # Shared with her granted caseworkers (the world shares every entry): the caseworker reads
    # and writes for her; she is sent to her own log. No share: 404 (tests/web/test_diary.py).
    ("GET", "/plans/{plan}/diary"): (expect(victim=303, caseworker=200), None),
    ("POST", "/plans/{plan}/diary"): (
        expect(victim=303, caseworker=303),
        {"what": "Ved lågen", "when": "2026-01-01T10:00"},
    ),
    ("GET", "/diary/evidence"): (OWN_READ, None),
    ("POST", "/diary/evidence"): (expect(victim=422, other_victim=422), {"description": "x"}),
    ("GET", "/diary/evidence/{evidence}"): (expect(victim=200), None),
    ("GET", "/diary/export"): (OWN_READ, None),
    ("GET", "/diary/export.csv"): (OWN_READ, None),
    ("GET", "/diary/export.zip"): (OWN_READ, None),
    ("GET", "/diary/{diary_entry}"): (expect(victim=200), None),
    ("POST", "/diary/{diary_entry}"): (
        expect(victim=303),
        {"what": "Ved lågen igen", "when": "2026-01-01T10:00", "version": "1"},
    ),
    ("POST", "/diary/{diary_entry}/delete"): (expect(victim=303), {"version": "1"}),
    # Not deleted: restoring it is a stale write.
    ("POST", "/diary/{diary_entry}/restore"): (expect(victim=409), {"version": "1"}),
    # The phone: manifest, worker and offline page for anyone (nothing personal in them);
    # the disguise for any signed-in user; the offline copy's plaintext for the victim only.
    ("GET", "/manifest.webmanifest"): (ALL, None),
    ("GET", "/sw.js"): (ALL, None),
    ("GET", "/offline"): (ALL, None),
    ("GET", "/phone"): (expect(default=200), None),
    ("POST", "/phone/disguise"): (expect(default=303), {"disguise": "notes"}),
    ("GET", "/phone/copy"): (expect(victim=200, other_victim=200), None),
    # Hotlines: an org admin manages the own organisation's lines only.
    ("GET", "/admin/hotlines"): (expect(admin=200, other_admin=200), None),
    ("POST", "/admin/hotlines"): (expect(admin=422, other_admin=422), {}),
    ("POST", "/admin/hotlines/{hotline}/delete"): (expect(admin=303), {}),
}


def test_every_route_is_in_the_matrix(app):
    found = set()
    for route in app.routes:
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route)
        path = route.path
        for name in route.param_convertors:
            path = path.replace(f"{{{name}:int}}", "{" + name + "}")
        for method in route.methods or []:
            if method != "HEAD":
                found.add((method, path))
    missing = [
        (method, path)
        for method, path in found
        if not any(m == method and _same_shape(path, t) for m, t in MATRIX)
    ]
    assert not missing, f"routes without an authorization row: {missing}"


def _same_shape(route_path: str, template: str) -> bool:
    a, b = route_path.split("/"), template.split("/")
    return len(a) == len(b) and all(
        x == y or (x.startswith("{") and y.startswith("{")) for x, y in zip(a, b, strict=True)
    )


def _call(client, method, template, world, data, with_csrf=True):
    path = template.format(**world.ids)
    headers = {}
    token = csrf_token(client)
    if method == "GET":
        return client.get(path, follow_redirects=False)
    if data == "json":
        headers["Content-Type"] = "application/json"
        if with_csrf:
            headers["X-CSRFToken"] = token
        return client.post(path, content=b"{}", headers=headers, follow_redirects=False)
    body = dict(data or {})
    if with_csrf:
        body["csrftoken"] = token
    return client.post(path, data=body, follow_redirects=False)


@pytest.mark.parametrize(("method", "template"), list(MATRIX))
def test_route_by_role(client, method, template):
    expected, data = MATRIX[(method, template)]
    results = {}
    for role in ROLES:
        world = build_world(client)  # fresh people per role: calls may end sessions
        client.cookies.delete("tryg_session")
        if role != "anonymous":
            client.cookies.set("tryg_session", world.tokens[role])
        r = _call(client, method, template, world, data)
        results[role] = r.status_code
        if (
            r.status_code == 303
            and expected[role] == 303
            and role != "anonymous"
            and method == "GET"
        ):
            assert r.headers["location"] != "/login"
    assert results == expected


@pytest.mark.parametrize(("method", "template"), [k for k in MATRIX if k[0] != "GET"])
def test_unsafe_route_refuses_missing_csrf_token(client, method, template):
    _expected, data = MATRIX[(method, template)]
    for role in ["anonymous", "victim", "caseworker", "admin"]:
        world = build_world(client)
        client.cookies.delete("tryg_session")
        if role != "anonymous":
            client.cookies.set("tryg_session", world.tokens[role])
        r = _call(client, method, template, world, data, with_csrf=False)
        assert r.status_code == 403, (role, r.status_code)
