"""Every public page, in every language, is safe, private and small."""

import gzip

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from tests.conftest import EXIT_URL
from tests.helpers import CONTENT, LANGUAGES, PUBLIC_PAGES, PageParts

CARD_BUDGET_BYTES = 14 * 1024
RESOURCE_ATTRIBUTES = {
    "script": "src",
    "link": "href",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
    "embed": "src",
    "object": "data",
    "form": "action",
}


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_page_shows_help_now_and_the_exit_link_first(
    public_client: TestClient, path: str
) -> None:
    response = public_client.get(path)

    assert response.status_code == 200
    page = PageParts(response.text)
    links = [attributes.get("href", "") for attributes in page.all("a")]
    assert "tel:999" in links
    assert "tel:08001111" in links
    assert "55" in "".join(page.text)
    exit_links = [a for a in page.all("a") if "data-exit" in a]
    assert exit_links and exit_links[0]["href"] == EXIT_URL
    # Help comes before the page's own content: the first tel: link precedes the heading.
    order = [name for name, _ in page.tags]
    first_call = next(
        i for i, (name, a) in enumerate(page.tags) if a.get("href", "").startswith("tel:")
    )
    assert first_call < order.index("h1")


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_page_has_one_heading_a_skip_link_and_landmarks(
    public_client: TestClient, path: str
) -> None:
    page = PageParts(public_client.get(path).text)

    assert len(page.all("h1")) == 1
    assert page.all("a")[0]["href"] == "#main"
    assert page.first("main")["id"] == "main"
    assert page.all("header") and page.all("footer") and page.all("nav")


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_pages_carry_the_language_and_direction_of_their_url(
    public_client: TestClient, path: str
) -> None:
    lang = path.split("/")[1]
    html = PageParts(public_client.get(path).text).first("html")

    assert html["lang"] == lang
    assert html["dir"] == CONTENT.languages[lang].dir


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_pages_load_nothing_from_another_site_and_run_no_inline_script(
    public_client: TestClient, path: str
) -> None:
    page = PageParts(public_client.get(path).text)

    for tag, attribute in RESOURCE_ATTRIBUTES.items():
        for attributes in page.all(tag):
            address = attributes.get(attribute, "")
            assert not address.startswith(("http:", "https:", "//")), (tag, address)
    assert page.inline_scripts == 0
    assert not any("style" in attributes for _, attributes in page.tags)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_card_fits_in_one_round_trip_in_every_language(
    public_client: TestClient, lang: str
) -> None:
    response = public_client.get(f"/{lang}/", headers={"Accept-Encoding": "gzip"})

    assert response.headers["content-encoding"] == "gzip"
    compressed = int(response.headers["content-length"])
    assert compressed <= CARD_BUDGET_BYTES
    assert len(gzip.compress(response.content)) >= compressed * 0.9  # really the page, compressed


def test_pages_are_served_with_brotli_gzip_or_plain_as_the_phone_asks(
    public_client: TestClient,
) -> None:
    plain = public_client.get("/en/", headers={"Accept-Encoding": "identity"})
    zipped = public_client.get("/en/", headers={"Accept-Encoding": "gzip;q=1, br;q=0"})
    brotli = public_client.get("/en/", headers={"Accept-Encoding": "gzip, br"})

    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert brotli.headers["content-encoding"] == "br"
    assert plain.text == zipped.text == brotli.text


def test_a_page_already_held_by_the_phone_is_not_sent_again(public_client: TestClient) -> None:
    first = public_client.get("/en/the-law", headers={"Accept-Encoding": "gzip"})
    again = public_client.get(
        "/en/the-law", headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]}
    )
    changed = public_client.get("/en/the-law", headers={"If-None-Match": '"something-else"'})

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert changed.status_code == 200


def test_head_requests_get_headers_without_a_body(public_client: TestClient) -> None:
    response = public_client.head("/en/")

    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) > 0


def test_the_exit_script_is_one_cacheable_file_on_this_site(public_client: TestClient) -> None:
    page = PageParts(public_client.get("/en/").text)
    script = page.first("script")["src"]

    response = public_client.get(script)

    assert script.startswith("/static/exit.")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "immutable" in response.headers["cache-control"]
    assert "location.replace" in response.text
    assert "Shift" in response.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_card_leads_to_every_topic_once_in_one_list(
    public_client: TestClient, lang: str
) -> None:
    html = public_client.get(f"/{lang}/").text
    main = PageParts(html[html.index("<main") : html.index("</main>")])
    hrefs = [a["href"].removeprefix(f"/{lang}/") for a in main.all("a")]

    # The card's own words link the four consequences; the list below offers the other topics.
    assert sorted(slug for slug in hrefs if slug in CONTENT.topic_slugs) == sorted(
        CONTENT.topic_slugs
    )
    assert len(main.all("nav")) == 1


def test_topic_pages_say_where_their_facts_come_from(public_client: TestClient) -> None:
    for slug in CONTENT.topic_slugs:
        page = CONTENT.pages[("en", slug)]
        html = public_client.get(f"/en/{slug}").text
        for source in page.sources:
            assert str(escape(source.title)) in html
