"""QR symbols for a batch's short address, as an SVG file, a print-sized PNG and inline SVG.

Error correction level Q (a quarter of the symbol can be scuffed or folded and still scan) and
the standard 4-module quiet zone, which cheap phone cameras need to find the symbol.
"""

from io import BytesIO
from typing import Any

import qrcode
import qrcode.constants
from markupsafe import Markup
from qrcode.image.svg import SvgPathFillImage, SvgPathImage

QUIET_ZONE = 4
PNG_SIZE = 600  # pixels: about 500 dpi at the 30 mm the print sheet uses


def card_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/c/{code}"


def typed_url(url: str) -> str:
    """The address as a person types it: browsers add the https:// themselves."""
    return url.removeprefix("https://").removeprefix("http://")


def _symbol(url: str) -> qrcode.QRCode[Any]:
    symbol: qrcode.QRCode[Any] = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_Q, border=QUIET_ZONE
    )
    symbol.add_data(url)
    symbol.make(fit=True)
    return symbol


def modules(url: str) -> int:
    """Width of the symbol in modules, quiet zone included."""
    symbol = _symbol(url)
    return int(symbol.modules_count) + 2 * QUIET_ZONE


def qr_svg(url: str) -> bytes:
    """A standalone SVG file, one millimetre per module, on white.

    White, not transparent: a transparent symbol vanishes on dark backgrounds and in dark-mode
    image viewers, and a designer may place it on a coloured card.
    """
    image = _symbol(url).make_image(image_factory=SvgPathFillImage)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_png(url: str, size: int = PNG_SIZE) -> bytes:
    """A black-on-white PNG at least `size` pixels wide, in whole pixels per module."""
    symbol = _symbol(url)
    symbol.box_size = -(-size // (symbol.modules_count + 2 * QUIET_ZONE))
    buffer = BytesIO()
    symbol.make_image().get_image().save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def qr_inline_svg(url: str, label: str) -> Markup:
    """The symbol as an <svg> element for an HTML page, sized by its container.

    Built from the library's own path so it matches the SVG file, without the file's XML
    declaration and element id (a print sheet repeats the symbol, and ids must be unique).
    """
    image = _symbol(url).make_image(image_factory=SvgPathImage)
    path = image.path.get("d") if image.path is not None else ""
    side = image.units(image.pixel_size, text=False)
    return Markup(
        '<svg class="qr" viewBox="0 0 {side} {side}" role="img" aria-label="{label}"'
        ' xmlns="http://www.w3.org/2000/svg"><rect width="{side}" height="{side}" fill="#fff"/>'
        '<path d="{path}" fill="#000"/></svg>'
    ).format(side=side, label=label, path=path)
