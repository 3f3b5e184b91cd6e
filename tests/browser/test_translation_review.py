"""A fluent reviewer checks an Urdu page from a phone: the public "not yet checked" notice goes."""

import subprocess
import sys

import pytest

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")

from playwright.sync_api import Page, expect

from app.settings import PROJECT_ROOT
from tests.browser.conftest import PASSWORD, NewPage, Server, sign_in

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
REVIEWER = "urdu.reviewer@example.org"


def add_reviewer(server: Server, email: str, languages: str) -> None:
    command = ["create-user", "--email", email, "--role", "reviewer", "--languages", languages]
    subprocess.run(
        [sys.executable, "-m", "app", *command],
        input=PASSWORD + "\n",
        env=server.env,
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )


def public_notice(new_page: NewPage, server: Server) -> Page:
    """The Urdu page in a browser of its own (public pages may be cached for minutes)."""
    page = new_page(**PHONE)
    page.goto(f"{server.url}/ur/your-body")
    expect(page.locator("html")).to_have_attribute("lang", "ur")
    return page


def test_a_reviewer_checks_an_urdu_page_from_a_phone_and_the_public_notice_goes(
    server: Server, new_page: NewPage
) -> None:
    add_reviewer(server, REVIEWER, "ur")
    before = public_notice(new_page, server)
    expect(before.locator("p.note a[href='/en/your-body']")).to_be_visible()

    page = new_page(**PHONE)
    sign_in(page, server, REVIEWER)
    page.get_by_role("link", name="Translations").click()
    page.get_by_role("link", name="اردو").click()
    page.locator("a[href='/admin/translations/ur/your-body']").click()
    expect(page.locator("main h1")).to_contain_text("in اردو")

    # On a phone the English and the Urdu are stacked, not columns that scroll sideways.
    first = page.locator("ol.cards > li").first
    english = first.locator("section[aria-label='English']").bounding_box()
    urdu = first.locator("section[aria-label='اردو']").bounding_box()
    assert english and urdu and urdu["y"] >= english["y"] + english["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    expect(first.locator("[lang='ur'][dir='rtl']").first).to_be_visible()

    buttons = page.get_by_role("button", name="Reads right")
    parts = buttons.count()
    assert parts > 1
    for left in range(parts, 0, -1):
        expect(buttons).to_have_count(left)
        buttons.first.click()
        expect(page.get_by_role("status")).to_contain_text("marked as reading right")
    expect(buttons).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Every part of this page is checked")

    after = public_notice(new_page, server)
    expect(after.locator("main h1")).to_be_visible()
    expect(after.locator("p.note")).to_have_count(0)
    other = new_page(**PHONE)
    other.goto(f"{server.url}/ur/your-family")
    expect(other.locator("p.note a[href='/en/your-family']")).to_be_visible()
