"""The A4 print sheet: card sizes and positions, crop marks, the words on each side, its CSS.

Two sizes: business cards (85 by 55 mm, ten to a sheet, two columns of five) and A6 cards
(148 by 105 mm, landscape, two to a sheet). The cards sit edge to edge, centred on the page, so
one straight cut serves two cards; crop marks sit in the margin only, where cutting never shows
them, and so does anything meant for the printer only (the sheet's name, "Translation not yet
checked"). The back page uses the same positions: the block is centred, so printing
double-sided and flipping on the long edge puts each back behind its front.
"""

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from markdown_it.token import Token
from markupsafe import Markup

from app.content import MARKDOWN, Page

PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0  # A4, millimetres
MARK_GAP, MARK_LENGTH = 2.0, 5.0  # a mark starts this far from the cut line's end
SENTENCE_END = (".", "!", "?", "۔", "؟", "।")  # noqa: RUF001 - Urdu, Arabic and Bengali stops
CSS_PATH = Path(__file__).resolve().parent.parent / "static" / "print-sheet.css"


@dataclass(frozen=True)
class CardSize:
    """One size of printed card and how many sit on an A4 sheet."""

    code: str
    name: str
    width: float
    height: float
    columns: int
    rows: int

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    @property
    def left(self) -> float:
        return round((PAGE_WIDTH - self.columns * self.width) / 2, 2)

    @property
    def top(self) -> float:
        return round((PAGE_HEIGHT - self.rows * self.height) / 2, 2)


BUSINESS_CARD = CardSize("card", "business cards, 85 × 55 mm", 85.0, 55.0, 2, 5)  # noqa: RUF001
A6 = CardSize("a6", "A6 cards, 148 × 105 mm", 148.0, 105.0, 1, 2)  # noqa: RUF001
SIZES = {size.code: size for size in (BUSINESS_CARD, A6)}


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


def crop_marks(size: CardSize = BUSINESS_CARD) -> list[Line]:
    """Short lines in the margin continuing every cut, in millimetres from the page's corner."""
    left, top = size.left, size.top
    right = left + size.columns * size.width
    bottom = top + size.rows * size.height
    marks: list[Line] = []
    for column in range(size.columns + 1):
        x = round(left + column * size.width, 2)
        marks.append(Line(x, top - MARK_GAP - MARK_LENGTH, x, top - MARK_GAP))
        marks.append(Line(x, bottom + MARK_GAP, x, bottom + MARK_GAP + MARK_LENGTH))
    for row in range(size.rows + 1):
        y = round(top + row * size.height, 2)
        marks.append(Line(left - MARK_GAP - MARK_LENGTH, y, left - MARK_GAP, y))
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


def print_style(size: CardSize, colour: str) -> PrintStyle:
    """The sheet's stylesheet for one card size and the operator's colour, and a policy allowing
    only it (the positions depend on the size, so they are written here, not in the file)."""
    sized = (
        f":root{{--brand:{colour}}}"
        f".cards{{left:{size.left}mm;top:{size.top}mm;"
        f"grid-template-columns:repeat({size.columns},{size.width}mm);"
        f"grid-auto-rows:{size.height}mm}}"
        f".card{{width:{size.width}mm;height:{size.height}mm}}"
        # The printer's notes above the crop marks, where the guillotine cuts them off.
        f".sheet>h2,.sheet>.unchecked{{top:{max(size.top - MARK_GAP - MARK_LENGTH - 7, 1.5)}mm}}"
    )
    css = CSS_PATH.read_text(encoding="utf-8").strip() + "\n" + sized
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    csp = (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    return PrintStyle(Markup(css), csp)  # noqa: S704 - our own stylesheet file, not user input
