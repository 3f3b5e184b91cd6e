"""The impact report (admins and viewers), its CSV and the cards-printed field of a batch.

What is counted is explained to the public by the content page `what-we-count` (app/pages.py).

Every figure shown or downloaded comes from `build_report`, already made safe to share
(`app/impact/safe.py`). The page has its own print stylesheet (`app/static/report.css`), allowed
by this response's Content-Security-Policy beside the admin's own.
"""

import base64
import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlmodel import col, select

from app.admin.access import AdminPost, Viewer, admin_page, saved
from app.cards.charts import Chart, bar_chart
from app.cards.scans import london_day
from app.context import ContextDep, SessionDep
from app.impact.export import report_csv
from app.impact.report import Report, build_report
from app.models import CardBatch

router = APIRouter()
CSS = (Path(__file__).resolve().parent.parent / "static" / "report.css").read_text().strip()
MOST_DAYS = 400  # a year and a bit: enough for an annual report, not a full history at once
PRINTED_MOST = 1_000_000


def _style_hash(css: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()


@dataclass(frozen=True)
class Choice:
    """The period and batches asked for, with what was wrong with the request."""

    first: date
    last: date
    codes: list[str] | None
    errors: list[tuple[str, str]]


def last_month(today: date) -> tuple[date, date]:
    """The calendar month before `today`'s: what a monthly partnership meeting looks at."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def read_choice(request: Request, today: date, known_codes: set[str]) -> Choice:
    params = request.query_params
    first, last = last_month(today)
    errors: list[tuple[str, str]] = []
    try:
        if params.get("from"):
            first = date.fromisoformat(params["from"])
        if params.get("to"):
            last = date.fromisoformat(params["to"])
    except ValueError:
        errors.append(("from", "Enter dates like 2026-11-01"))
        first, last = last_month(today)
    if last < first:
        errors.append(("to", "The end of the period must be on or after its start"))
        first, last = last, first
    if (last - first).days >= MOST_DAYS:
        errors.append(("to", f"Choose a period of at most {MOST_DAYS} days"))
        first = last - timedelta(days=MOST_DAYS - 1)
    codes = [code for code in params.getlist("batch") if code in known_codes]
    return Choice(first, last, codes or None, errors)


def _chart(title: str, report: Report, scans: bool) -> Chart:
    # A hidden count is drawn as no bar; the table beside the chart says "fewer than 5".
    points = []
    for week in report.weeks:
        figure = week.scans if scans else week.views
        points.append(
            (f"{week.monday:%-d %b}", f"Week of {week.monday:%-d %B %Y}", figure.value or 0)
        )
    return bar_chart(title, points)


@router.get("/admin/report", include_in_schema=False)
def report_page(request: Request, context: ContextDep, db: SessionDep, staff: Viewer) -> Response:
    batches = list(db.exec(select(CardBatch).order_by(col(CardBatch.label))).all())
    choice = read_choice(request, london_day(staff.now), {batch.code for batch in batches})
    report = build_report(
        db, context.content, context.needs, choice.first, choice.last, choice.codes
    )
    response = admin_page(
        request,
        "admin/report.html",
        staff,
        report=report,
        choice=choice,
        batches=batches,
        operator=context.content.operator,
        made_on=london_day(staff.now),
        scans_chart=_chart("Card scans per week", report, scans=True),
        views_chart=_chart("Page views per week", report, scans=False),
        report_css=Markup(CSS),  # noqa: S704 - our own stylesheet file, not user input
        query=request.url.query,
    )
    styles = f"'{context.renderer.style_hash}' '{_style_hash(CSS)}'"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {styles}; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    return response


@router.get("/admin/report.csv", include_in_schema=False)
def report_download(
    request: Request, context: ContextDep, db: SessionDep, staff: Viewer
) -> Response:
    codes = set(db.exec(select(CardBatch.code)).all())
    choice = read_choice(request, london_day(staff.now), codes)
    report = build_report(
        db, context.content, context.needs, choice.first, choice.last, choice.codes
    )
    name = f"impact-report-{choice.first.isoformat()}-to-{choice.last.isoformat()}.csv"
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


@router.post("/admin/batches/{batch_id}/printed", include_in_schema=False)
def cards_printed(
    request: Request,
    db: SessionDep,
    staff: AdminPost,
    batch_id: str,
    printed: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """How many cards of a batch were printed: the report divides its scans by this."""
    batch = db.get(CardBatch, int(batch_id)) if batch_id.isdigit() else None
    if batch is None:
        raise HTTPException(status_code=404)
    text = printed.strip().replace(",", "")
    if text and (not text.isdigit() or not 0 < int(text) <= PRINTED_MOST):
        message = (
            "Enter the number of cards printed as a whole number, like 300, or leave it empty."
        )
        return admin_page(
            request, "admin/error.html", staff, 400, heading="Check the number", message=message
        )
    batch.cards_printed = int(text) if text else None
    db.add(batch)
    return saved(
        db,
        staff,
        f"/admin/batches/{batch.id}",
        "card-batch-printed",
        entity="card_batch",
        entity_id=batch.id,
        detail=f"{batch.code}: {batch.cards_printed or 'not given'}",
    )
