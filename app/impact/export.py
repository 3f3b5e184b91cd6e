"""The impact report as CSV and JSON, for the admin's download and `python -m app report`.

Both are made from the same `Report` as the page, so every figure is already safe to share
(`app/impact/safe.py`): hidden counts are written "fewer than 5", rounded totals "about 15".
"""

import csv
import json
from datetime import date, timedelta
from io import StringIO
from typing import Any

from app.impact.report import Labelled, Report
from app.settings import ConfigurationError, Settings

CSV_COLUMNS = ("section", "item", "detail", "value")


def _rows(report: Report) -> list[tuple[str, str, str, str]]:
    rows = [("period", report.first.isoformat(), report.last.isoformat(), "")]
    rows += [("batch chosen", label, "", "") for label in report.batches]

    def section(name: str, labelled: Labelled, detail: str = "") -> None:
        rows.extend((name, label, detail, figure.text) for label, figure in labelled)

    section("totals", report.totals)
    for week in report.weeks:
        rows.append(("scans per week", f"week of {week.monday.isoformat()}", "", week.scans.text))
        rows.append(("views per week", f"week of {week.monday.isoformat()}", "", week.views.text))
    section("page views by page", report.pages)
    section("page views by language", report.languages)
    section("directory searches by need", report.needs)
    section("directory searches by area", report.areas)
    section("listings opened", report.listings)
    section("callback requests by team", report.requests_by_team)
    section("callback requests by need", report.requests_by_need)
    section("callback requests by language", report.requests_by_language)
    for row in report.funnel:
        where = f"{row.team}, {row.month:%B %Y}"
        for name, value in (
            ("requests", row.requests.text),
            ("claimed", row.claimed.text),
            ("first contact attempt", row.attempted.text),
            ("spoke with them", row.spoke.text),
            ("outcome recorded", row.closed.text),
            ("median time to first attempt", row.median),
            ("90th percentile time to first attempt", row.p90),
            ("reached in time", row.in_time),
        ):
            rows.append(("callback funnel", where, name, value))
        section("callback outcomes", row.outcomes, where)
    for batch in report.batch_rows:
        rows.append(("scans by batch", f"{batch.label} ({batch.code})", "scans", batch.scans.text))
        printed = "" if batch.printed is None else str(batch.printed)
        rows.append(("scans by batch", f"{batch.label} ({batch.code})", "cards printed", printed))
        rows.append(
            ("scans by batch", f"{batch.label} ({batch.code})", "scans per card", batch.per_card)
        )
    return rows


def report_csv(report: Report) -> str:
    output = StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in _rows(report):
        # Batch labels are typed by staff: a spreadsheet must not run one as a formula.
        writer.writerow([_cell(value) for value in row])
    return output.getvalue()


def _cell(text: str) -> str:
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def report_json(report: Report) -> str:
    def labelled(items: Labelled) -> list[dict[str, str]]:
        return [{"item": label, "value": figure.text} for label, figure in items]

    document: dict[str, Any] = {
        "period": {"from": report.first.isoformat(), "to": report.last.isoformat()},
        "batches": report.batches,
        "totals": labelled(report.totals),
        "weeks": [
            {"week_of": w.monday.isoformat(), "scans": w.scans.text, "views": w.views.text}
            for w in report.weeks
        ],
        "pages": labelled(report.pages),
        "languages": labelled(report.languages),
        "needs_searched": labelled(report.needs),
        "areas_searched": labelled(report.areas),
        "listings_opened": labelled(report.listings),
        "callback_requests": {
            "by_team": labelled(report.requests_by_team),
            "by_need": labelled(report.requests_by_need),
            "by_language": labelled(report.requests_by_language),
        },
        "callback_funnel": [
            {
                "team": row.team,
                "month": f"{row.month:%Y-%m}",
                "requests": row.requests.text,
                "claimed": row.claimed.text,
                "first_contact_attempt": row.attempted.text,
                "spoke": row.spoke.text,
                "outcome_recorded": row.closed.text,
                "median_time_to_first_attempt": row.median,
                "p90_time_to_first_attempt": row.p90,
                "reached_in_time": row.in_time,
                "outcomes": labelled(row.outcomes),
            }
            for row in report.funnel
        ],
        "batches_compared": [
            {
                "code": b.code,
                "label": b.label,
                "scans": b.scans.text,
                "cards_printed": b.printed,
                "scans_per_card": b.per_card,
            }
            for b in report.batch_rows
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def command_output(
    settings: Settings, first: date | None, last: date | None, form: str, codes: list[str]
) -> str:
    """What `python -m app report` prints: last calendar month unless a period is given."""
    from sqlmodel import Session

    from app.cards.scans import london_day
    from app.content import load_content
    from app.database import make_engine, migrate
    from app.directory.files import read_listing_files
    from app.impact.report import build_report
    from app.models import utcnow

    today = london_day(utcnow())
    month_start = today.replace(day=1)
    last = last or (month_start - timedelta(days=1) if first is None else today)
    first = first or last.replace(day=1)
    if last < first:
        raise ConfigurationError("--to must be on or after --from")
    content = load_content(settings.content_dir)
    needs, _listings = read_listing_files(settings.content_dir / "services")
    engine = make_engine(settings.database_url)
    migrate(engine)
    try:
        with Session(engine) as db:
            report = build_report(db, content, needs, first, last, codes or None)
    finally:
        engine.dispose()
    return report_json(report) if form == "json" else report_csv(report)
