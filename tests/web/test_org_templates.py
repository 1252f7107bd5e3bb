"""An organisation's own plan template: edited by its admin, copied into its new plans."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from app import db
from app.auth.models import Role, User
from app.plans.models import Item, Plan, Section
from app.plans.template import DEFAULT_TEMPLATE
from tests.conftest import csrf_token
from tests.factories import engine_of, make_org, make_user, signed_in


def form(client, url, **data):
    return client.post(url, data={"csrftoken": csrf_token(client), **data}, follow_redirects=False)


def template_form(client):
    """The admin page's form fields as they are (what a browser would send back)."""
    html = client.get("/admin/template").text
    data = dict(
        re.findall(r'<input type="(?:hidden|text)"[^>]*name="([^"]+)" value="([^"]*)"', html)
    )
    data |= {
        m[0]: m[1]
        for m in re.findall(r'<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', html)
    }
    data.pop("csrftoken", None)
    return {k: v.replace("&#39;", "'").replace("&amp;", "&") for k, v in data.items()}


def test_admin_edits_the_template_and_new_plans_copy_it(client, make_client):
    org = make_org(client, "Esbjerg Kommune Børn & Kultur")
    admin = make_user(client, Role.org_admin, "Jens", org=org)
    signed_in(client, admin)
    fields = template_form(client)
    assert fields["s0-da"] == "Når jeg er i akut fare"
    fields["s0-items-da"] += "\nSkolens kontor: ring til skolesekretæren"
    fields["s0-items-en"] += "\nSchool office: call the school secretary"
    fields["s1-da"] = ""  # remove the second section
    fields["s1-en"] = ""
    fields["s1-items-da"] = fields["s1-items-en"] = ""
    last = int(fields["count"]) - 1
    fields[f"s{last}-da"], fields[f"s{last}-en"] = "Fritid", "Leisure"
    fields[f"s{last}-items-da"], fields[f"s{last}-items-en"] = "Træner ved", "Coach knows"
    assert form(client, "/admin/template", **fields).status_code == 303

    caseworker_client = make_client()
    sofie = make_user(caseworker_client, Role.caseworker, "Sofie", org=org)
    signed_in(caseworker_client, sofie)
    assert form(caseworker_client, "/people/new", display_name="Ny").status_code == 200
    with db.read_session(engine_of(client)) as session:
        [victim] = [u for u in session.exec(select(User)) if u.display_name == "Ny"]
        plan = session.exec(select(Plan).where(Plan.victim_id == victim.id)).one()
        titles = [
            s.title
            for s in session.exec(
                select(Section).where(Section.plan_id == plan.id).order_by(Section.position)
            )
        ]
        texts = [i.text for i in session.exec(select(Item).where(Item.plan_id == plan.id))]
    assert titles[0] == "Når jeg er i akut fare" and titles[-1] == "Fritid"
    assert DEFAULT_TEMPLATE[1].da not in titles and len(titles) == len(DEFAULT_TEMPLATE)
    assert "Skolens kontor: ring til skolesekretæren" in texts


def test_other_organisations_keep_the_default(client):
    mine, other = make_org(client, "A"), make_org(client, "B")
    admin = make_user(client, Role.org_admin, org=mine)
    signed_in(client, admin)
    fields = template_form(client)
    fields["s0-da"] = "Kun hos A"
    assert form(client, "/admin/template", **fields).status_code == 303
    from app.plans.queries import template_for

    with db.read_session(engine_of(client)) as session:
        assert template_for(session, mine.id)[0].da == "Kun hos A"
        assert template_for(session, other.id)[0].da == DEFAULT_TEMPLATE[0].da


def test_bad_template_input_is_explained_and_nothing_saved(client):
    org = make_org(client)
    admin = make_user(client, Role.org_admin, org=org)
    signed_in(client, admin)
    fields = template_form(client)
    fields["s0-items-en"] = "only one line"
    r = form(client, "/admin/template", **fields)
    assert r.status_code == 422 and "lige mange linjer" in r.text
    assert "only one line" in r.text  # the admin's input is kept
    fields = template_form(client)
    fields["s2-en"] = ""
    r = form(client, "/admin/template", **fields)
    assert r.status_code == 422 and "dansk og en engelsk overskrift" in r.text
    assert "Skabelon for planer" in client.get("/admin/template").text
    assert 'name="version" value="0"' in client.get("/admin/template").text  # still default


def test_stale_template_save_is_refused(client):
    org = make_org(client)
    admin = make_user(client, Role.org_admin, org=org)
    signed_in(client, admin)
    first = template_form(client)
    second = dict(first)
    first["s0-da"] = "Første"
    assert form(client, "/admin/template", **first).status_code == 303
    second["s0-da"] = "Anden"
    r = form(client, "/admin/template", **second)
    assert r.status_code == 409 and "En anden har gemt skabelonen i mellemtiden" in r.text
    assert 'value="Første"' in r.text


def test_reset_goes_back_to_the_default(client):
    org = make_org(client)
    admin = make_user(client, Role.org_admin, org=org)
    signed_in(client, admin)
    fields = template_form(client)
    fields["s0-da"] = "Ændret"
    form(client, "/admin/template", **fields)
    assert form(client, "/admin/template/reset").status_code == 303
    assert template_form(client)["s0-da"] == DEFAULT_TEMPLATE[0].da


def _two_admins_save_at_once(make_client, **overrides):  # type: ignore[no-untyped-def]
    first_client = make_client(**overrides)
    second_client = make_client(**overrides)
    org = make_org(first_client)
    forms = []
    for c, name in ((first_client, "Jens"), (second_client, "Lise")):
        signed_in(c, make_user(first_client, Role.org_admin, name, org=org))
        forms.append(template_form(c))
    forms[0]["s0-da"], forms[1]["s0-da"] = "Første", "Anden"
    start = threading.Barrier(2)

    def save(c, data):  # type: ignore[no-untyped-def]
        start.wait()
        return form(c, "/admin/template", **data).status_code

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(save, (first_client, second_client), forms))
    return sorted(answers)


def test_two_first_saves_at_once_one_wins_the_other_is_told(make_client):
    """Both admins start from the default (version 0): one copy is made, the other sees 409."""
    assert _two_admins_save_at_once(make_client) == [303, 409]


@pytest.mark.postgres
def test_two_saves_at_once_on_postgres_never_lose_one_silently(make_client, postgres_url):
    """On PostgreSQL nothing serialises two writers: the version check in the UPDATE must."""
    assert _two_admins_save_at_once(make_client, database_url=postgres_url) == [303, 409]
