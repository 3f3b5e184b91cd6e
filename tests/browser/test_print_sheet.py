"""The printed card as a print shop and a young person get it: Chromium's PDF, read back.

Every code on every sheet must scan (zxing-cpp on the PDF rendered at 300 dpi) to the batch's
address and be at least 25 mm wide with its quiet zone; every word must sit inside its card at
9 pt or more; an unchecked translation is marked where the guillotine cuts it off.
"""

from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlalchemy import Engine

from app.cards.print_sheet import A6, BUSINESS_CARD, SIZES, CardSize
from app.cards.qr import modules
from app.main import create_app
from app.settings import Settings
from tests.admin_helpers import signed_in
from tests.app_context import no_sign_in_delay
from tests.browser.print_helpers import codes_on, open_sheet, print_sheet
from tests.card_helpers import add_batch, short_address
from tests.conftest import make_settings
from tests.helpers import LANGUAGES

PT_PER_MM = 72 / 25.4
TEXT_NUMBER = "+447700900001"  # Ofcom's drama range


# Every element showing text on a card: smaller than 9 pt (12 CSS px), or reaching outside it.
TOO_SMALL_OR_OUTSIDE = """() => {
    const found = [];
    for (const card of document.querySelectorAll('.card')) {
        const box = card.getBoundingClientRect();
        for (const element of card.querySelectorAll('*')) {
            const style = getComputedStyle(element);
            if (style.display === 'none' || !element.getClientRects().length) continue;
            const words = element.textContent.slice(0, 40);
            const own = [...element.childNodes].some(
                node => node.nodeType === 3 && node.textContent.trim());
            if (own && parseFloat(style.fontSize) < 12) {
                found.push(`${element.tagName} ${style.fontSize}: ${words}`);
            }
            const r = element.getBoundingClientRect();
            if (r.left < box.left - 0.5 || r.right > box.right + 0.5 ||
                r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) {
                found.push(`${element.tagName} outside its card: ${words}`);
            }
        }
    }
    return [...new Set(found)];
}"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path,
        public_base_url="https://card.example.org",
        sms_backend="twilio",
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="token",
        twilio_from_number=TEXT_NUMBER,
    )


@pytest.fixture
def admin(settings: Settings, migrated_engine: Engine) -> Iterator[TestClient]:
    """Signed in as an admin, over https like the address on the cards (cookies are Secure)."""
    app = create_app(settings)
    with TestClient(app, base_url=settings.public_base_url, follow_redirects=False) as client:
        no_sign_in_delay(client)
        signed_in(client, "admin@example.org")
        yield client


@pytest.mark.parametrize("size", list(SIZES.values()), ids=list(SIZES))
@pytest.mark.parametrize("lang", ["en", "ur"])
def test_every_printed_code_scans_to_the_batch_and_is_at_least_25_mm_wide(
    browser: Browser, admin: TestClient, size: CardSize, lang: str
) -> None:
    batch = add_batch(admin)
    address = short_address(admin, batch.code)

    printed = print_sheet(
        browser, admin, f"/admin/batches/{batch.id}/print?lang={lang}&size={size.code}"
    )

    assert len(printed.pages) == 2  # fronts, then backs
    fronts = codes_on(printed.pages[0])
    assert [text for text, _ in fronts] == [address] * size.per_sheet
    total = modules(address)  # with the 4-module quiet zone on each side
    for _, symbol_mm in fronts:
        assert symbol_mm * total / (total - 8) >= 25
    assert codes_on(printed.pages[1]) == []


@pytest.mark.parametrize("size", list(SIZES.values()), ids=list(SIZES))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_printed_word_fits_its_card_at_9_pt_or_more(
    browser: Browser, admin: TestClient, size: CardSize, lang: str
) -> None:
    batch = add_batch(admin)
    path = f"/admin/batches/{batch.id}/print?lang={lang}&size={size.code}"
    page = open_sheet(browser, admin, path)
    page.emulate_media(media="print")

    problems = page.evaluate(TOO_SMALL_OR_OUTSIDE)

    assert problems == []


def test_the_card_says_who_runs_it_how_to_get_help_and_which_languages_it_comes_in(
    browser: Browser, admin: TestClient
) -> None:
    batch = add_batch(admin)

    printed = print_sheet(browser, admin, f"/admin/batches/{batch.id}/print?size=card")

    front, back = printed.text
    assert "scan me" in front.lower() and "card.example.org/c/" + batch.code in front
    assert printed.page.locator(".front .logo").first.get_attribute("alt") == "Example council"
    assert "Call 999" in back and "Childline 0800 1111" in back and "SHOUT to 85258" in back
    assert "text HELP to 07700 900001" in " ".join(back.split())
    for name in ("اردو", "Polski", "Română", "Português"):
        assert name in front
    assert "Translation not yet checked" not in front + back


@pytest.mark.parametrize("size", [BUSINESS_CARD, A6], ids=["card", "a6"])
def test_an_unchecked_translation_is_marked_on_the_sheet_outside_the_cards(
    browser: Browser, admin: TestClient, size: CardSize
) -> None:
    batch = add_batch(admin)

    printed = print_sheet(
        browser, admin, f"/admin/batches/{batch.id}/print?lang=pl&size={size.code}"
    )

    document = pymupdf.open(stream=printed.pdf, filetype="pdf")
    for pdf_page in document:
        marks = pdf_page.search_for("Translation not yet checked")
        assert marks, "no mark on a page"
        for mark in marks:
            # Above the top row of cards: cut away with the margin.
            assert mark.y1 < size.top * PT_PER_MM
