"""Helpers for the card batch tests: adding batches, reading scan counts, decoding QR symbols."""

from datetime import date
from io import BytesIO

import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.cards.batches import BatchForm, create_batch
from app.cards.qr import card_url
from app.models import CardBatch, ScanCount
from tests.app_context import context

URL = "https://card.example.org/c/ABCD2345"
PHONE = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)


def engine_of(client: TestClient) -> Engine:
    return context(client).engine


def add_batch(
    client_or_engine: TestClient | Engine,
    label: str = "Year 9",
    kind: str = "school",
    area: str | None = None,
    retired: bool = False,
) -> CardBatch:
    engine = (
        client_or_engine if isinstance(client_or_engine, Engine) else engine_of(client_or_engine)
    )
    with Session(engine) as db:
        batch = create_batch(db, BatchForm(label, kind, area, None, []), None)
        batch.retired = retired
        db.commit()
        db.refresh(batch)
        db.expunge(batch)
        return batch


def counts(engine: Engine) -> dict[tuple[str, date], int]:
    with Session(engine) as db:
        return {(row.bucket, row.day): row.scans for row in db.exec(select(ScanCount)).all()}


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def rasterise(svg: bytes, width: int = 400) -> Image.Image:
    """Render SVG with cairo (the system's libcairo, loaded only by the tests that need it)."""
    import cairosvg

    return Image.open(BytesIO(cairosvg.svg2png(bytestring=svg, output_width=width)))


def short_address(client: TestClient, code: str) -> str:
    settings = context(client).settings
    return card_url(settings.public_base_url, code)
