"""Journeys as people make them, in a real browser against the real server."""

import re
import time

import pytest

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")

from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import (
    EXIT_URL,
    NewPage,
    Server,
    sign_in,
    unique_mobile,
)

REFERENCE = re.compile(r"^[A-Z2-9]{6}$")
NEUTRAL_PAGE = "<!doctype html><html lang='en'><title>Weather</title><h1>Weather</h1></html>"


def _neutral_site(route: Route) -> None:
    route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE)


def fill_callback_form(page: Page, phone: str, opened_at: float) -> None:
    page.fill("#phone", phone)
    page.check("#best_time-today")
    page.select_option("#need", "low-or-unsafe")
    page.fill("#area", "LU1")
    page.check("#text_ok-yes")
    page.check("#say_who-no")
    # The form refuses answers sent less than 3 seconds after it was shown (a bot check).
    time.sleep(max(0.0, opened_at + 3.5 - time.monotonic()))


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_young_person_reads_the_card_in_urdu_finds_help_and_asks_for_a_callback(
    server: Server, new_page: NewPage, javascript: bool
) -> None:
    page = new_page(
        locale="ur-PK",
        extra_http_headers={"Accept-Language": "ur"},
        java_script_enabled=javascript,
    )

    page.goto(f"{server.url}/c/ABCDEFGH")
    expect(page).to_have_url(f"{server.url}/ur/")
    expect(page.locator("html")).to_have_attribute("lang", "ur")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")

    page.click("main a[href$='the-law']")  # the card's own words link the four consequences
    expect(page).to_have_url(f"{server.url}/ur/the-law")
    expect(page.locator("main h1")).to_be_visible()

    page.click("header a.brand")
    page.click("main a.button[href='/ur/help']")
    expect(page).to_have_url(f"{server.url}/ur/help")
    page.select_option("#need", "low-or-unsafe")
    page.fill("#area", "LU1")
    page.check("#open")
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"/ur/help\?need=low-or-unsafe&area=LU1.*&open=1"))
    services = page.locator("ul.services > li")
    expect(services.first).to_be_visible()
    # "Open now" leaves only services open at this moment: each one says so.
    for index in range(services.count()):
        expect(services.nth(index).locator(".status.open")).to_have_count(1)

    page.click("ul.services h3 a:text('Samaritans')")
    expect(page).to_have_url(re.compile(r"/ur/help/[0-9a-f-]{36}$"))
    expect(page.locator("main h1")).to_have_text("Samaritans")
    expect(page.locator("main a.call[href='tel:116123']")).to_be_visible()

    page.click("header a.brand")
    page.click("main a[href='/ur/callback']")
    opened_at = time.monotonic()
    expect(page.locator("#call_lang")).to_have_value("ur")
    fill_callback_form(page, unique_mobile(), opened_at)
    page.click("main form button[type=submit]")

    expect(page).to_have_url(re.compile(r"/ur/callback/sent\?ref=[A-Z2-9]{6}$"))
    reference = page.locator("main .notice strong").inner_text().strip()
    assert REFERENCE.match(reference), reference
    assert page.url.endswith(f"ref={reference}")


def test_an_editor_fixes_a_phone_number_and_the_public_page_shows_it_once_approved(
    server: Server, staff: dict[str, str], page: Page
) -> None:
    sign_in(page, server, staff["editor"])
    page.click("nav a[href='/admin/listings'], main a[href='/admin/listings']")
    page.click("main a:text-is('Missing People')")
    expect(page).to_have_url(re.compile(r"/admin/listings/[0-9a-f-]{36}$"))
    service_id = page.url.rsplit("/", 1)[1]
    page.fill("#phone-0-number", "0800 123 4567")
    page.click("main form button:text-is('Save as a draft for approval')")
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.locator("#draft")).to_contain_text("0800 123 4567")

    public = page.context.new_page()
    public.goto(f"{server.url}/en/help/{service_id}")
    expect(public.locator("main a.call[href='tel:116000']")).to_be_visible()  # not yet approved
    page.click("form[action='/admin/logout'] button")  # sign out; a second person approves
    sign_in(page, server, staff["approver"])
    page.goto(f"{server.url}/admin/listings/{service_id}")
    page.click("#draft button:text-is('Approve and publish these changes')")
    expect(page.locator(".notice[role=status]")).to_contain_text("approved and published")

    public.goto(f"{server.url}/en/help/{service_id}")
    expect(public.locator("main h1")).to_have_text("Missing People")
    expect(public.locator("main a.call[href='tel:08001234567']")).to_be_visible()
    expect(public.locator("main a.call[href='tel:116000']")).to_have_count(0)


def test_a_caseworker_finds_works_and_closes_a_request_without_typing_an_address(
    server: Server, staff: dict[str, str], page: Page
) -> None:
    phone = unique_mobile()
    reference = server.request_callback(phone)
    sign_in(page, server, staff["caseworker"])

    menu = page.locator("nav a[href='/admin/callbacks']")
    expect(menu).to_contain_text(re.compile(r"Callbacks \(\d+ new"))
    menu.click()
    page.click(f"main .cards a:text-is('{reference}')")
    expect(page.locator("main h1")).to_have_text(f"Request {reference}")
    page.click("#claim button")
    expect(page.locator("#claim")).to_have_count(0)

    page.click("#reveal button")
    e164 = "+44" + phone.replace(" ", "")[1:]
    expect(page.locator(f"main a[href='tel:{e164}']")).to_be_visible()

    page.check("#kind-no-answer")
    page.click("#attempt button")
    expect(page.locator("main ol.log")).to_contain_text("Called, no answer")
    expect(page.locator("main")).to_contain_text("Try again")
    expect(page.locator("#close")).to_be_visible()  # still open

    page.check("#kind-spoke")
    page.fill("#attempt-note", "Wants to talk about school")
    page.click("#attempt button")
    expect(page.locator("main ol.log")).to_contain_text("Wants to talk about school")

    page.check("#outcome-helped")
    page.click("#close button")
    expect(page).to_have_url(re.compile(r"/admin/callbacks$"))
    expect(page.locator(f"main .cards a:text-is('{reference}')")).to_have_count(0)
    page.select_option("#status", "closed")
    page.click("main form.filters button")
    page.click(f"main .cards a:text-is('{reference}')")
    expect(page.locator("main")).to_contain_text("Closed: Spoke and helped")


def test_an_admin_sees_a_number_only_by_breaking_glass_and_it_is_in_the_audit_log(
    server: Server, staff: dict[str, str], page: Page
) -> None:
    phone = unique_mobile()
    reference = server.request_callback(phone)
    e164 = "+44" + phone.replace(" ", "")[1:]
    sign_in(page, server, staff["admin"])

    page.click("nav a[href='/admin/callbacks']")
    page.click(f"main .cards a:text-is('{reference}')")
    expect(page.locator("#reveal")).to_have_count(0)
    expect(page.locator(f"main a[href='tel:{e164}']")).to_have_count(0)
    page.fill("#reason", "The police asked us to check on them")
    page.click("#break-glass button")
    expect(page.locator(f"main a[href='tel:{e164}']")).to_be_visible()

    page.click("nav a[href='/admin/audit']")
    expect(page.locator("main")).to_contain_text("break-glass")
    expect(page.locator("main")).to_contain_text("The police asked us to check on them")


@pytest.mark.parametrize("how", ["click", "shift-three-times"])
def test_exit_this_page_leaves_and_replaces_the_page_in_history(
    server: Server, page: Page, how: str
) -> None:
    page.route("https://www.bbc.co.uk/**", _neutral_site)
    page.goto("https://www.bbc.co.uk/news")
    page.goto(f"{server.url}/en/the-law")
    entries = page.evaluate("history.length")

    if how == "click":
        page.click("header a.exit")
    else:
        page.locator("main h1").click()  # focus in the page, as a reader's would be
        for _ in range(3):
            page.keyboard.press("Shift")
    page.wait_for_url(EXIT_URL)

    # location.replace: the card page is gone from history, so Back cannot reveal it.
    assert page.evaluate("history.length") == entries
    page.go_back()
    expect(page).to_have_url("https://www.bbc.co.uk/news")
