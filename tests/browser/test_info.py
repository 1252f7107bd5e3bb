"""The open information pages in real Chromium (issue 18 point 1): axe finds nothing in either
language, the exit button leaves from every page, and one visit, without an account, is enough
to read them all offline."""

from __future__ import annotations

from playwright.sync_api import expect

from app.info.pages import all_pages
from tests.browser.test_phone import controlled


def test_every_info_page_passes_axe(live_server, axe):
    for info in all_pages():
        axe(f"{live_server.url}{info.path}", expect_lang=info.language)
    # The teacher's table stacks on a narrow phone and passes in dark mode too.
    axe(f"{live_server.url}/info/undervisning", viewport={"width": 320, "height": 640})
    axe(f"{live_server.url}/en/info/teachers", color_scheme="dark", expect_lang="en")


def test_one_visit_without_an_account_keeps_every_page_for_offline_reading(
    new_page, live_server, browser_log
):
    base = live_server.url
    page = new_page()
    page.goto(f"{base}/info")
    expect(page.get_by_role("heading", name="Information om stalking", level=1)).to_be_visible()
    controlled(page)
    page.context.set_offline(True)
    page.get_by_role("link", name="Hvad kan politiet gøre?").first.click()
    expect(page.get_by_role("heading", name="Hvad kan politiet gøre?", level=1)).to_be_visible()
    expect(page.get_by_text("straffelovens § 242").first).to_be_visible()
    page.get_by_role("link", name="This page in English").click()
    expect(page.get_by_role("heading", name="What can the police do?", level=1)).to_be_visible()
    page.goto(f"{base}/info/undervisning")
    expect(page.get_by_role("heading", name="Cases til drøftelse")).to_be_visible()
    page.context.set_offline(False)
    assert not browser_log.csp_violations()


def test_the_exit_button_leaves_from_an_info_page(new_page, live_server, cdn):
    page = new_page()
    page.goto(f"{live_server.url}/en/info/young-people")
    page.get_by_role("link", name="Emergency exit: Leave this page").click()
    expect(page).to_have_title("Vejret")


def test_the_teachers_lesson_prints_without_the_exit_bar_and_the_menu(new_page, live_server):
    page = new_page()
    page.goto(f"{live_server.url}/info/undervisning")
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", name="Plan for 45 minutter")).to_be_visible()
    expect(page.get_by_role("table")).to_be_visible()
    expect(page.get_by_role("heading", name="Cases til drøftelse")).to_be_visible()
    expect(page.locator(".exit-button")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Informationssider")).to_be_hidden()
