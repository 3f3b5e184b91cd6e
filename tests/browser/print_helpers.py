"""Printing a sheet as a print shop would: Chromium's PDF of the admin page, then pixels.

The admin page comes from a TestClient (signed in); Chromium asks for it, and for the logo it
shows, through a route that answers from that client, so no server is needed. PyMuPDF turns
each PDF page into an image at print resolution for zxing-cpp to read the codes.
"""

from dataclasses import dataclass
from typing import Any

import pymupdf
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from playwright.sync_api import Browser, Page, Route

ORIGIN = "http://admin.test"
DPI = 300
MM_PER_INCH = 25.4


@dataclass
class Printed:
    pdf: bytes
    pages: list[Image.Image]
    text: list[str]
    page: Page  # the sheet as Chromium laid it out, for measuring


def open_sheet(browser: Browser, client: TestClient, path: str) -> Page:
    context = browser.new_context(viewport={"width": 1000, "height": 1200})

    def answer(route: Route) -> None:
        response = client.get(route.request.url.removeprefix(ORIGIN))
        headers = {
            name: value
            for name, value in response.headers.items()
            if name.lower() in ("content-type", "content-security-policy")
        }
        route.fulfill(status=response.status_code, headers=headers, body=response.content)

    context.route(f"{ORIGIN}/**", answer)
    page = context.new_page()
    page.goto(ORIGIN + path)
    page.wait_for_load_state("networkidle")
    return page


def print_sheet(browser: Browser, client: TestClient, path: str) -> Printed:
    page = open_sheet(browser, client, path)
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    document: Any = pymupdf.open(stream=pdf, filetype="pdf")
    images, texts = [], []
    for pdf_page in document:
        pixmap = pdf_page.get_pixmap(dpi=DPI)
        images.append(Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples))
        texts.append(pdf_page.get_text())
    return Printed(pdf, images, texts, page)


def codes_on(image: Image.Image) -> list[tuple[str, float]]:
    """Every QR code found: its text and its width in millimetres on paper (symbol only)."""
    found = []
    for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        position = result.position
        width_px = abs(position.top_right.x - position.top_left.x)
        found.append((result.text, width_px / DPI * MM_PER_INCH))
    return found
