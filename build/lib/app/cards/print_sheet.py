"""The A4 print sheet: card positions, crop marks, the words on each side and the sheet's CSS.

Ten credit-card-sized cards (85.6 by 54 mm, ISO/IEC 7810 ID-1) sit edge to edge in two columns
of five, centred on the page, so one straight cut serves two cards. Crop marks sit in the margin
only, where cutting never shows them. The back page uses the same positions: the block is centred,
so printing double-sided and flipping on the long edge puts each back behind its front.
"""

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from markdown_it.token import Token
from markupsafe import Markup

from app.content import MARKDOWN, Page

PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0  # A4, millimetres
CARD_WIDTH, CARD_HEIGHT = 85.6, 54.0
COLUMNS, ROWS = 2, 5
CARDS_PER_SHEET = COLUMNS * ROWS
LEFT = (PAGE_WIDTH - COLUMNS * CARD_WIDTH) / 2
TOP = (PAGE_HEIGHT - ROWS * CARD_HEIGHT) / 2
MARK_GAP, MARK_LENGTH = 2.0, 5.0  # a mark starts this far from the cut line's end
SENTENCE_END = (".", "!", "?", "۔", "؟", "।")  # noqa: RUF001 - Urdu, Arabic and Bengali stops
CSS_PATH = Path(__file__).resolve().parent.parent / "static" / "print-sheet.css"


Runs = list[tuple[str, bool]]  # text with whether it is bold


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class PrintStyle:
    css: Markup
    csp: str


def crop_marks() -> list[Line]:
    """Short lines in the margin continuing every cut, in millimetres from the page's corner."""
    right = LEFT + COLUMNS * CARD_WIDTH
    bottom = TOP + ROWS * CARD_HEIGHT
    marks: list[Line] = []
    for column in range(COLUMNS + 1):
        x = round(LEFT + column * CARD_WIDTH, 2)
        marks.append(Line(x, TOP - MARK_GAP - MARK_LENGTH, x, TOP - MARK_GAP))
        marks.append(Line(x, bottom + MARK_GAP, x, bottom + MARK_GAP + MARK_LENGTH))
    for row in range(ROWS + 1):
        y = round(TOP + row * CARD_HEIGHT, 2)
        marks.append(Line(LEFT - MARK_GAP - MARK_LENGTH, y, LEFT - MARK_GAP, y))
        marks.append(Line(right + MARK_GAP, y, right + MARK_GAP + MARK_LENGTH, y))
    return marks


def _runs(inline: Token, in_list: bool) -> Runs:
    """Text of one paragraph as (text, bold) runs; links become their words.

    A link that closes a list item after a full stop ("… prison. What the law says") points to
    a page on the website: on paper it means nothing, so it is left out.
    """
    runs: list[tuple[str, bool]] = []
    bold = False
    link: list[str] | None = None
    for child in inline.children or []:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type == "link_open":
            link = []
        elif child.type == "link_close":
            before = "".join(text for text, _ in runs).rstrip()
            trailing = child is (inline.children or [])[-1]
            if not (in_list and trailing and before.endswith(SENTENCE_END)):
                runs.append(("".join(link or []), bold))
            link = None
        elif child.type in ("text", "code_inline"):
            if link is not None:
                link.append(child.content)
            else:
                runs.append((child.content, bold))
        elif child.type in ("softbreak", "hardbreak"):
            runs.append((" ", bold))
    if runs:
        runs[-1] = (runs[-1][0].rstrip(), runs[-1][1])
    return [run for run in runs if run[0]]


def key_messages(card: Page) -> tuple[list[Runs], list[Runs]]:
    """The back of a printed card: the card's list, and the paragraphs that follow it.

    The opening paragraph introduces the list on screen; on a small card the list says it.
    A card written without a list gives all of its paragraphs.
    """
    items: list[Runs] = []
    after: list[Runs] = []
    paragraphs: list[Runs] = []
    depth = 0
    for token in MARKDOWN.parse(card.markdown):
        if token.type == "bullet_list_open":
            depth += 1
        elif token.type == "bullet_list_close":
            depth -= 1
        elif token.type == "inline":
            runs = _runs(token, depth > 0)
            if depth > 0:
                items.append(runs)
            elif items:
                after.append(runs)
            paragraphs.append(runs)
    return (items, after) if items else ([], paragraphs)


def print_style() -> PrintStyle:
    """The sheet's own stylesheet and a Content-Security-Policy that allows only it."""
    css = CSS_PATH.read_text(encoding="utf-8").strip()
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    csp = (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    return PrintStyle(Markup(css), csp)  # noqa: S704 - our own stylesheet file, not user input
