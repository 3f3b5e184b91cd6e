"""Accessibility in a real browser: axe-core's WCAG 2.2 A/AA rules, reflow, zoom, keyboard, focus.

axe-core comes bundled in the axe-playwright-python wheel (no npm at run time).

Zoom: browsers zoom by shrinking the CSS viewport, so 200% zoom of a 1280 px window is a 640 CSS px
viewport with a device pixel ratio of 2, and 400% is 320 CSS px (WCAG 1.4.10 Reflow). Both are
checked for horizontal scrolling; at 200% the callback form must still be usable end to end.
"""

import re
import time
from collections.abc import Iterator

import pytest

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not installed")

from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser, Page, expect

from app.callbacks.form import form_token
from app.content import load_content
from app.settings import PROJECT_ROOT
from tests.browser.conftest import SECRET_KEY, NewPage, Server, sign_in, unique_mobile

CONTENT_DIR = PROJECT_ROOT / "content"
LANGUAGES = ["en", "ur", "pl", "ro", "bn", "pa", "ar", "pt"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
SAMARITANS = "481c2666-571f-4bd5-964b-7dc9af6475bb"  # content/services/samaritans.yaml
PUBLIC_PATHS = [
    "/{lang}/",
    "/{lang}/the-law",
    "/{lang}/help",
    "/{lang}/help?need=low-or-unsafe&area=LU1&open=1",
    f"/{{lang}}/help/{SAMARITANS}",
    "/{lang}/callback",
    "/{lang}/privacy",
    "/{lang}/accessibility",
]
ADMIN_PATHS = [
    "/admin/",
    "/admin/readiness",
    "/admin/listings",
    "/admin/listings/new",
    f"/admin/listings/{SAMARITANS}",
    f"/admin/listings/{SAMARITANS}/history",
    "/admin/organizations",
    "/admin/organizations/new",
    "/admin/reports",
    "/admin/callbacks",
    "/admin/teams",
    "/admin/teams/new",
    "/admin/users",
    "/admin/users/new",
    "/admin/batches",
    "/admin/batches/new",
    "/admin/audit",
    "/admin/settings",
    "/admin/account",
    "/admin/account/password",
    "/admin/account/two-factor",
]

axe = Axe()


def assert_no_violations(page: Page) -> None:
    results = axe.run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


@pytest.fixture(scope="module")
def reader(browser: Browser, server: Server) -> Iterator[Page]:
    """One page reused for read-only public checks: a fresh context per page would add little."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1024, "height": 800})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_public_page_has_no_wcag_violations_in_every_language(
    server: Server, reader: Page, lang: str, request: pytest.FixtureRequest
) -> None:
    request.node.browser_pages = [reader]
    topics = [f"/{{lang}}/{slug}" for slug in load_content(CONTENT_DIR).topic_slugs]
    for path in dict.fromkeys([*PUBLIC_PATHS, *topics, "/{lang}/no-such-page"]):
        reader.goto(server.url + path.format(lang=lang))
        expect(reader.locator("html")).to_have_attribute("lang", lang)
        assert_no_violations(reader)


def test_the_callback_sent_page_has_no_wcag_violations(
    server: Server, reader: Page, request: pytest.FixtureRequest
) -> None:
    request.node.browser_pages = [reader]
    reference = server.request_callback(unique_mobile())
    for lang in ("en", "ar"):  # left to right and right to left
        reader.goto(f"{server.url}/{lang}/callback/sent?ref={reference}")
        expect(reader.locator("main")).to_contain_text(reference)
        assert_no_violations(reader)


def test_the_callback_form_with_errors_has_no_wcag_violations(server: Server, page: Page) -> None:
    page.goto(f"{server.url}/en/callback")
    # An old enough time stamp, so the answers themselves are checked, then send nothing.
    page.locator("input[name=started]").evaluate(
        "(input, value) => { input.value = value; }", form_token(SECRET_KEY, time.time() - 10)
    )
    page.fill("#phone", "12")
    page.click("main form button[type=submit]")
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#phone-error")).to_be_visible()
    expect(page.locator("#best_time-today-error")).to_be_visible()
    assert_no_violations(page)


def test_the_admin_pages_have_no_wcag_violations(
    server: Server, staff: dict[str, str], page: Page
) -> None:
    page.goto(f"{server.url}/admin/login")
    assert_no_violations(page)
    page.fill("#email", staff["admin"])
    page.fill("#password", "wrong password")
    page.click("main button[type=submit]")
    expect(page.locator("main h1")).to_have_text("Sign in")
    assert_no_violations(page)  # with the error summary

    sign_in(page, server, staff["admin"])
    for path in ADMIN_PATHS:
        page.goto(server.url + path)
        assert_no_violations(page)
    server.request_callback(unique_mobile())
    page.goto(f"{server.url}/admin/callbacks")
    page.locator("main .cards a").first.click()
    assert_no_violations(page)
    page.fill("#reason", "x")  # too short: the page with its error summary
    page.click("#break-glass button")
    assert_no_violations(page)


@pytest.mark.parametrize("width", [320, 640], ids=["400-percent", "200-percent"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_public_pages_reflow_without_horizontal_scrolling(
    server: Server, new_page: NewPage, width: int, lang: str
) -> None:
    page = new_page(viewport={"width": width, "height": 640}, device_scale_factor=1280 // width)
    for path in PUBLIC_PATHS:
        page.goto(server.url + path.format(lang=lang))
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{page.url}: {scroll_width} px wide in a {width} px window"


def _has_visible_focus(page: Page) -> bool:
    return bool(
        page.evaluate(
            """() => {
                const style = getComputedStyle(document.activeElement);
                const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
                return outline || style.boxShadow !== "none";
            }"""
        )
    )


@pytest.mark.parametrize("width", [1024, 640], ids=["desktop", "200-percent-zoom"])
def test_the_callback_form_can_be_completed_with_the_keyboard_alone(
    server: Server, new_page: NewPage, width: int
) -> None:
    page = new_page(viewport={"width": width, "height": 800}, device_scale_factor=1280 // width)
    page.goto(f"{server.url}/en/callback")
    opened_at = time.monotonic()
    phone = unique_mobile()
    done: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return [e.tagName, e.id || '', e.getAttribute('type') || '']; }"
        )
        tag, element_id, kind = focused
        assert _has_visible_focus(page), f"no visible focus on {tag}#{element_id}"
        if element_id == "phone":
            page.keyboard.type(phone)
        elif tag == "INPUT" and kind == "radio" and element_id.split("-")[0] not in done:
            group = element_id.split("-")[0]
            if group == "say_who":
                page.keyboard.press("ArrowDown")  # the second choice: "No"
            page.keyboard.press("Space")
            done.append(group)
        elif tag == "BUTTON" and page.evaluate(
            "document.activeElement.closest('main form') !== null"
        ):
            break
    else:
        pytest.fail("Tab never reached the send button")
    safe_contact = ["text_first", "voicemail_ok", "others_may_answer", "age_band", "about"]
    assert done == ["best_time", "text_ok", "say_who", *safe_contact]
    time.sleep(max(0.0, opened_at + 3.5 - time.monotonic()))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/en/callback/sent\?ref=[A-Z2-9]{6}$"))


def test_axe_finds_a_planted_violation(server: Server, page: Page) -> None:
    """The checks above are worth something only if axe runs with these rules and can fail."""
    page.goto(f"{server.url}/en/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=x>')")
    results = axe.run(page, options=AXE_OPTIONS)
    assert [violation["id"] for violation in results.response["violations"]] == ["image-alt"]
