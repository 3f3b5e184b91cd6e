"""The card as a young person meets it on a small phone: help first, exit always on screen, and
still there with no signal after one visit."""

import re

import pytest
from playwright.sync_api import Error, Page, expect

from tests.browser.conftest import EXIT_URL, NewPage, Server
from tests.helpers import LANGUAGES, TOPICS


@pytest.mark.parametrize("lang", LANGUAGES)
def test_help_now_and_the_callback_open_at_the_top_of_a_small_phone(
    server: Server, new_page: NewPage, lang: str
) -> None:
    page = new_page(viewport={"width": 360, "height": 640})
    page.goto(f"{server.url}/{lang}/")

    help_box = page.locator(".now").bounding_box()
    callback = page.locator(f"main a[href='/{lang}/callback']").first.bounding_box()
    switcher = page.locator("nav.switch").bounding_box()
    assert help_box is not None and callback is not None and switcher is not None
    assert help_box["y"] + help_box["height"] <= 640  # all of it, without scrolling
    assert callback["y"] - (help_box["y"] + help_box["height"]) < 40  # straight after it
    assert switcher["y"] < help_box["y"]  # the languages come first, each in its own words
    expect(page.locator("nav.switch a[hreflang=pl]")).to_have_text("Polski")
    expect(page.locator(".now a[href^='sms:85258']")).to_be_visible()
    expect(page.locator(".now a[href^='https://www.childline.org.uk']")).to_be_visible()


def _covered(page: Page, selector: str) -> bool:
    """Whether the sticky header lies over the element's top edge."""
    return bool(
        page.evaluate(
            """(selector) => {
                const element = document.querySelector(selector);
                const header = document.querySelector('header.top').getBoundingClientRect();
                return element.getBoundingClientRect().top < header.bottom;
            }""",
            selector,
        )
    )


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_exit_this_page_stays_on_screen_at_320_px_with_javascript_off(
    server: Server, new_page: NewPage, lang: str
) -> None:
    page = new_page(viewport={"width": 320, "height": 640}, java_script_enabled=False)
    page.context.route(
        re.compile(r"^https://www\.bbc\.co\.uk/"),
        lambda route: route.fulfill(status=200, content_type="text/html", body="<p>Weather</p>"),
    )
    page.goto(f"{server.url}/{lang}/the-law")
    exit_link = page.locator("a.exit")
    header = page.locator("header.top").bounding_box()
    assert header is not None and header["height"] <= 80  # a slim bar, not half the screen
    assert not _covered(page, "nav.switch")  # at rest it covers nothing

    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    box = exit_link.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 640
    # Moving focus back up never leaves it under the bar (scroll padding).
    page.locator(".now a").first.focus()
    assert not _covered(page, ".now a")

    exit_link.click()
    expect(page).to_have_url(EXIT_URL)


def test_the_card_opens_offline_after_one_visit(server: Server, new_page: NewPage) -> None:
    page = new_page(viewport={"width": 360, "height": 640})
    before_load: list[str] = []
    loaded: list[bool] = []
    page.on("load", lambda _: loaded.append(True))
    page.on("request", lambda request: None if loaded else before_load.append(request.url))

    page.goto(f"{server.url}/en/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function(
        "(paths) => Promise.all(paths.map(p => caches.match(p))).then(r => r.every(Boolean))",
        arg=["/en/", *(f"/en/{slug}" for slug in TOPICS)],
    )
    kept = page.evaluate(
        "caches.keys().then(names => Promise.all(names.map(n => caches.open(n)"
        ".then(c => c.keys())))).then(lists => lists.flat().map(r => new URL(r.url).pathname))"
    )

    # The worker waited for the page: nothing of it was on the first visit's critical path.
    assert not [url for url in before_load if "sw.js" in url]
    assert not [path for path in kept if not path.startswith(("/en/", "/static/"))]
    assert not [path for path in kept if path.startswith(("/en/callback", "/en/help"))]

    page.context.set_offline(True)
    page.goto(f"{server.url}/en/")
    expect(page.locator("h1")).to_have_text("What carrying a knife can cost")
    expect(page.locator(".now a[href='tel:999']").first).to_be_visible()
    page.goto(f"{server.url}/en/the-law")
    expect(page.locator("h1")).to_have_text("What the law says")
    with pytest.raises(Error):
        page.goto(f"{server.url}/en/callback")  # the form and its answers are never kept


def test_the_home_screen_manifest_names_the_card_with_the_operators_icon(
    server: Server, page: Page
) -> None:
    page.goto(f"{server.url}/pl/")
    href = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = page.request.get(f"{server.url}{href}").json()

    assert manifest["start_url"] == "/pl/" and manifest["lang"] == "pl"
    icon = manifest["icons"][0]
    assert icon["type"] == "image/svg+xml"
    assert page.request.get(server.url + icon["src"]).ok
