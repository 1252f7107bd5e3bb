"""The phone in real Chromium (docs/design.md §2 point 3, §6): installable, readable offline only
after
an unlock, wiped in one tap, updated only through a reload, disguised per victim.

One module-scoped app; the update test starts its own app, because it "deploys" a changed
worker by changing the app's ``worker_version_salt`` while it runs.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.error
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from app import crypto, db
from app.auth.models import Role
from app.contacts.models import Contact, Hotline
from app.phone.worker import worker_script
from app.plans.models import Item, Section
from tests.browser.people import person, sign_in

PIN = "blå-hest-42"
ITEM = "Nøglen ligger hos naboen Grethe i nr. 7"
CONTACT = "Søster Lisbeth"
LATER = "Kusine Birthe"  # added after the offline copy was set up
PHONE = "+4522334455"

# Everything a thief could read without the PIN: every cached response and every IndexedDB
# value, bytes decoded both as UTF-8 and as Latin-1.
DUMP_STORAGE = """async () => {
  const decode = (v) => new TextDecoder().decode(v) + " " + new TextDecoder("latin1").decode(v);
  const out = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      out.push("CACHE " + request.url + " " + decode(await response.arrayBuffer()));
    }
  }
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, fail) => {
      const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = fail;
    });
    for (const store of db.objectStoreNames) {
      const all = await new Promise((ok) => {
        const r = db.transaction(store).objectStore(store).getAll();
        r.onsuccess = () => ok(r.result);
      });
      out.push("IDB " + JSON.stringify(all, (k, v) => ArrayBuffer.isView(v) ? decode(v) : v));
    }
    db.close();
  }
  return out.join("\\n");
}"""

LEFTOVERS = """async () => ({
  caches: await caches.keys(),
  databases: (await indexedDB.databases()).map((d) => d.name),
  workers: (await navigator.serviceWorker.getRegistrations()).length,
})"""

WORKER_VERSION = """() => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => resolve(event.data);
  navigator.serviceWorker.controller.postMessage({ type: "version" }, [channel.port2]);
})"""


def victim_with_plan(engine: Any, name: str = "Maja") -> tuple[Any, int]:
    user, plan_id = person(engine, Role.victim, name, sections=2)
    with db.write_session(engine) as s:
        section = s.exec(select(Section).where(Section.plan_id == plan_id)).first()
        s.add(
            Item(
                plan_id=plan_id,
                section_id=section.id,
                text=ITEM,
                position=99,
                changed_by_id=user.id,
            )
        )
        s.add(Contact(plan_id=plan_id, name=CONTACT, phone=PHONE, alarm=True))
    return user, plan_id  # type: ignore[return-value]


def controlled(page: Page) -> None:
    """Wait until the worker is active and controls the page (the first worker claims it)."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)


def set_up_offline_copy(page: Page, base: str) -> None:
    page.goto(f"{base}/phone")
    page.get_by_label("Pinkode til offline-kopien").fill(PIN)
    page.get_by_label("Den samme pinkode igen").fill(PIN)
    page.get_by_role("button", name="Gem offline-kopien").click()
    expect(page.get_by_text("Offline-kopien er gemt på denne telefon.")).to_be_visible(
        timeout=20_000
    )


def victim_page(new_page: Any, base: str, engine: Any, name: str = "Maja") -> tuple[Page, int]:
    """A victim with a plan and a contact, signed in, the page controlled by the worker."""
    user, plan_id = victim_with_plan(engine, name)
    page = new_page()
    sign_in(page, base, user)
    controlled(page)
    return page, plan_id


def unlock(page: Page, pin: str) -> None:
    page.get_by_label("Din pinkode til offline-kopien").fill(pin)
    page.get_by_role("button", name="Lås op").click()


def test_installable_worker_controls_and_disguise_is_per_victim(
    new_page, live_server, engine, browser_log
):
    base = live_server.url
    page, _plan_id = victim_page(new_page, base, engine)
    page.goto(f"{base}/phone")
    page.get_by_label("Lommeregner").check()
    page.get_by_role("button", name="Gem navn og ikon").click()
    expect(page.get_by_text("Gemt.")).to_be_visible()
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == f"{base}/sw.js"

    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [], manifest["errors"]
    assert manifest["url"] == f"{base}/manifest.webmanifest"
    assert '"name": "Lommeregner"' in manifest["data"]
    # Playwright's contexts are incognito-like, which Chromium never installs from; any other
    # reason (no worker, no fetch handler, bad icons, not standalone …) would show up here.
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []

    # Another browser, another victim: the default name.
    page2, _ = victim_page(new_page, base, engine, "Bo")
    cdp2 = page2.context.new_cdp_session(page2)
    assert '"name": "Tryg"' in cdp2.send("Page.getAppManifest")["data"]
    assert browser_log.errors() == [], str(browser_log)


def test_offline_copy_unlocks_counts_down_and_wipes_on_the_tenth(
    new_page, live_server, engine, browser_log
):
    base = live_server.url
    page, plan_id = victim_page(new_page, base, engine)
    set_up_offline_copy(page, base)
    # An online visit to the contacts refreshes the copy with what changed since the setup.
    with db.write_session(engine) as s:
        s.add(Contact(plan_id=plan_id, name=LATER, phone="+4533445566"))
    page.goto(f"{base}/contacts")
    page.wait_for_selector("html[data-offline-saved]", state="attached")
    page.goto(f"{base}/plan")
    expect(page.get_by_text(ITEM, exact=True)).to_be_visible()
    page.wait_for_selector("html[data-offline-saved]", state="attached")

    # Nothing readable at rest: not the item, not the contact's name, not the number.
    page.wait_for_function(
        "() => indexedDB.databases().then((d) => d.length === 1)"
    )  # the copy is there
    dump = page.evaluate(DUMP_STORAGE)
    assert "CACHE " in dump and "/offline" in dump and '"id":"copy"' in dump
    secrets = (ITEM, "Grethe", CONTACT, "Lisbeth", LATER, PHONE, "22334455", "22 33 44 55", PIN)
    for secret in secrets:
        assert secret not in dump, secret

    # Offline, editing is refused in Danish.
    page.goto(f"{base}/plans/{plan_id}/edit")
    page.context.set_offline(True)
    page.locator("form.add-item textarea").first.fill("Nyt punkt offline")
    page.locator("form.add-item button[type=submit]").first.click()
    expect(page.get_by_text("Du er offline – ændringer kan ikke gemmes")).to_be_visible()

    # Offline /plan: the unlock screen, 112 and 114 work while locked.
    page.goto(f"{base}/plan")
    expect(page.get_by_role("heading", name="Du er offline")).to_be_visible()
    expect(page.get_by_role("link", name="Ring 112")).to_have_attribute("href", "tel:112")
    expect(page.get_by_role("link", name="Ring 114")).to_have_attribute("href", "tel:114")
    expect(page.get_by_text(ITEM, exact=True)).to_have_count(0)
    expect(page.locator("[data-exit]").last).to_be_visible()  # the quick-exit bar

    unlock(page, "forkert-1")
    expect(page.get_by_text("Forkert pinkode. 9 forsøg tilbage")).to_be_visible(timeout=20_000)
    unlock(page, PIN)
    expect(page.get_by_text(ITEM, exact=True)).to_be_visible(timeout=20_000)
    expect(page.get_by_role("heading", name=CONTACT)).to_be_visible()
    expect(page.get_by_role("heading", name=LATER)).to_be_visible()  # the latest copy
    expect(page.locator(f'a[href="tel:{PHONE}"]').first).to_be_visible()
    expect(page.get_by_text(re.compile(r"Offline – senest opdateret \d\d:\d\d"))).to_be_visible()

    # /contacts offline: locked again (nothing stays decrypted across pages); ten wrong PINs.
    page.goto(f"{base}/contacts")
    expect(page.get_by_role("button", name="Lås op")).to_be_visible()
    for left in range(9, 0, -1):
        unlock(page, f"forkert-{left}")
        expect(page.get_by_text(f"Forkert pinkode. {left} forsøg tilbage")).to_be_visible(
            timeout=20_000
        )
    unlock(page, "forkert-10")
    expect(page.get_by_text("Offline-kopien er slettet fra denne telefon")).to_be_visible(
        timeout=20_000
    )
    assert page.evaluate("indexedDB.databases()") == []
    page.goto(f"{base}/plan")
    expect(page.get_by_text("Der er ingen offline-kopi")).to_be_visible()
    expect(page.get_by_role("button", name="Lås op")).to_be_hidden()
    assert page.evaluate("indexedDB.databases()") == []
    assert browser_log.csp_violations() == [], str(browser_log)


@pytest.mark.parametrize("online", [True, False], ids=["online", "offline"])
def test_wipe_leaves_nothing(new_page, live_server, engine, online):
    base = live_server.url
    page, _plan_id = victim_page(new_page, base, engine)
    set_up_offline_copy(page, base)
    before = page.evaluate(LEFTOVERS)
    assert before["caches"] and before["databases"] and before["workers"] == 1
    if online:
        page.get_by_role("button", name="Slet alt på denne telefon").click()
        expect(page).to_have_url(f"{base}/")  # the sign-out went through, not interrupted
        page.goto(f"{base}/account")
        expect(page).to_have_url(f"{base}/login")  # signed out
    else:
        page.context.set_offline(True)
        page.goto(f"{base}/plan")
        page.get_by_role("button", name="Slet alt på denne telefon").click()
        expect(page.get_by_text("Alt er slettet fra denne telefon.")).to_be_visible()
        expect(page.get_by_role("button", name="Lås op")).to_be_hidden()
    page.wait_for_timeout(200)  # let an unregistering worker settle
    assert page.evaluate(LEFTOVERS) == {"caches": [], "databases": [], "workers": 0}


def still_signed_in(base: str, cookie: dict[str, Any]) -> bool:
    """Replay a session cookie from outside the browser: does the account page open with it?"""
    request = urllib.request.Request(
        f"{base}/account", headers={"Cookie": f"{cookie['name']}={cookie['value']}"}
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status == 200
    except urllib.error.HTTPError as answer:  # the redirect to /login
        assert answer.code == 303 and answer.headers["Location"] == "/login"
        return False


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.mark.parametrize("online", [True, False], ids=["online", "offline"])
def test_wipe_leaves_no_session_that_works_online(new_page, live_server, engine, online):
    """Issue 12 point 6: offline the session cookie survives the wipe (it is HttpOnly and
    /logout is out of reach); the wipe's marker ends the session at the next request online."""
    base = live_server.url
    page, _plan_id = victim_page(new_page, base, engine)
    [cookie] = [c for c in page.context.cookies() if c["name"] == "tryg_session"]
    assert still_signed_in(base, cookie)
    if online:
        page.goto(f"{base}/phone")
        page.get_by_role("button", name="Slet alt på denne telefon").click()
        expect(page).to_have_url(f"{base}/")
    else:
        page.context.set_offline(True)
        page.goto(f"{base}/plan")  # the worker's offline page
        page.get_by_role("button", name="Slet alt på denne telefon").click()
        expect(page.get_by_text("Alt er slettet fra denne telefon.")).to_be_visible()
        page.context.set_offline(False)
    page.goto(f"{base}/plan")
    expect(page).to_have_url(f"{base}/login")
    expect(page.get_by_text(ITEM, exact=True)).to_have_count(0)
    # Nothing left to serve a page from: no worker, no caches.
    assert page.evaluate(LEFTOVERS) == {"caches": [], "databases": [], "workers": 0}
    assert [c["name"] for c in page.context.cookies() if "tryg_session" in c["name"]] == []
    # The old session is over on the server too: replaying its cookie opens nothing.
    assert not still_signed_in(base, cookie)


def test_a_new_worker_waits_until_the_victim_reloads(new_page, live_server_factory):
    live = live_server_factory()
    crypto.configure(crypto.Cipher.from_settings(live.settings))
    engine = db.make_engine(live.settings.database_url)
    try:
        user, _ = person(engine, Role.victim, "Maja", sections=1)
    finally:
        engine.dispose()
    base = live.url
    page = new_page()
    sign_in(page, base, user)
    controlled(page)
    old = worker_script(live.settings)[1]
    assert page.evaluate(WORKER_VERSION) == old
    expect(page.get_by_role("button", name="Ny version – genindlæs")).to_be_hidden()

    # Deploy: the app now serves different worker bytes.
    app = live.server.config.app
    app.state.settings = dataclasses.replace(app.state.settings, worker_version_salt="v2")
    new = worker_script(app.state.settings)[1]
    assert new != old
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    offer = page.get_by_role("button", name="Ny version – genindlæs")
    expect(offer).to_be_visible(timeout=15_000)
    assert page.evaluate(WORKER_VERSION) == old  # the new one waits: the page keeps the old

    page.goto(f"{base}/phone")  # navigating is not enough: still old, offer again
    assert page.evaluate(WORKER_VERSION) == old
    with page.expect_navigation():
        page.get_by_role("button", name="Ny version – genindlæs").click()
    controlled(page)
    assert page.evaluate(WORKER_VERSION) == new
    assert page.evaluate("caches.keys()") == [f"tryg-{new}"]
    expect(page.get_by_role("button", name="Ny version – genindlæs")).to_be_hidden()


def test_phone_and_offline_pages_are_accessible(axe, live_server, engine):
    base = live_server.url
    user, _ = victim_with_plan(engine, "Axel")
    axe(f"{base}/offline")

    def signed_in_phone(page: Page) -> None:
        sign_in(page, base, user)
        page.goto(f"{base}/phone")

    axe(f"{base}/login", setup=signed_in_phone)

    def unlocked_offline(page: Page) -> None:
        signed_in_phone(page)
        controlled(page)
        set_up_offline_copy(page, base)
        page.context.set_offline(True)
        page.goto(f"{base}/plan")
        unlock(page, PIN)
        expect(page.get_by_text(ITEM, exact=True)).to_be_visible(timeout=20_000)

    axe(f"{base}/login", setup=unlocked_offline)


def test_without_the_cdn_the_worker_installs_and_the_copy_has_the_alarm_in_danish_time(
    new_page, live_server_factory, cdn
):
    """The CDN copy of htmx cannot be fetched (blocked, down): the worker still installs, the
    offline copy still works; unlocked, it shows "Send alarm-sms" (the online sms: link),
    numbers formatted, hotlines to call only, and the time in Danish time on a phone set to
    New York."""
    live = live_server_factory(htmx_url=f"{cdn.url}/gone/htmx.min.js")
    crypto.configure(crypto.Cipher.from_settings(live.settings))
    engine = db.make_engine(live.settings.database_url)
    try:
        adviser, _ = person(engine, Role.caseworker, "Rådgiver", org="Krisecentret")
        victim, plan_id = person(engine, Role.victim, "Maja", caseworker=adviser, sections=1)
        with db.write_session(engine) as s:
            section = s.exec(select(Section).where(Section.plan_id == plan_id)).first()
            s.add(Item(plan_id=plan_id, section_id=section.id, text=ITEM, position=99))
            s.add(Contact(plan_id=plan_id, name=CONTACT, phone=PHONE, alarm=True))
            s.add(
                Hotline(
                    organisation_id=adviser.organisation_id,
                    name="Krisetelefon",
                    phone="+4570201111",
                )
            )
    finally:
        engine.dispose()
    page = new_page(timezone_id="America/New_York")
    sign_in(page, live.url, victim)
    controlled(page)
    set_up_offline_copy(page, live.url)
    page.context.set_offline(True)
    page.goto(f"{live.url}/plan")
    unlock(page, PIN)
    expect(page.get_by_text(ITEM, exact=True)).to_be_visible(timeout=20_000)
    alarm = page.get_by_role("link", name="Send alarm-sms")
    expect(alarm).to_have_attribute("href", re.compile(r"^sms:\+4522334455\?&body=Jeg"))
    expect(page.get_by_text("+45 22 33 44 55")).to_be_visible()
    hotline = page.locator(".contact", has_text="Krisetelefon")
    expect(hotline.get_by_role("heading")).to_have_text("Krisetelefon · +45 70 20 11 11")
    expect(hotline.locator('a[href="tel:+4570201111"]')).to_be_visible()
    expect(hotline.locator('a[href^="sms:"]')).to_have_count(0)
    copenhagen = page.evaluate(
        """() => new Intl.DateTimeFormat("da-DK", {timeZone: "Europe/Copenhagen",
             hour: "2-digit", minute: "2-digit", hourCycle: "h23"}).format(new Date())"""
    ).replace(".", ":")
    expect(page.locator("[data-offline-updated]")).to_contain_text(copenhagen[:2] + ":")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
