"""Scan numbers for the admin: per day, per ISO week, totals by kind and area, and CSV export.

Queries stay portable between SQLite and PostgreSQL: the database sums, Python fills in the days
without scans and groups days into weeks.
"""

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from io import StringIO

from sqlmodel import Session, col, func, select

from app.cards.batches import KINDS
from app.models import UNKNOWN_BUCKET, CardBatch, ScanCount

CSV_COLUMNS = ("day", "code", "label", "kind", "area", "scans")
# A spreadsheet runs a cell starting with one of these as a formula: labels are typed by staff.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Total:
    name: str
    batches: int
    scans: int


def days_ending(last: date, count: int) -> list[date]:
    return [last - timedelta(days=offset) for offset in range(count - 1, -1, -1)]


def per_day(db: Session, buckets: list[str] | None, days: list[date]) -> list[tuple[date, int]]:
    """Scans on each of `days` (zero when none) for `buckets`, or for every bucket when None."""
    query = (
        select(col(ScanCount.day), func.sum(ScanCount.scans))
        .where(col(ScanCount.day) >= days[0], col(ScanCount.day) <= days[-1])
        .group_by(col(ScanCount.day))
    )
    if buckets is not None:
        query = query.where(col(ScanCount.bucket).in_(buckets))
    counts = {day: int(scans) for day, scans in db.exec(query).all()}
    return [(day, counts.get(day, 0)) for day in days]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def per_week(daily: Iterable[tuple[date, int]]) -> list[tuple[date, int]]:
    """Group daily numbers into ISO weeks (Monday to Sunday), keyed by each week's Monday."""
    weeks: dict[date, int] = defaultdict(int)
    for day, scans in daily:
        weeks[week_start(day)] += scans
    return sorted(weeks.items())


def total_scans(db: Session, buckets: list[str] | None = None) -> int:
    query = select(func.coalesce(func.sum(ScanCount.scans), 0))
    if buckets is not None:
        query = query.where(col(ScanCount.bucket).in_(buckets))
    return int(db.exec(query).one())


def scans_by_code(db: Session) -> dict[str, int]:
    rows = db.exec(select(ScanCount.bucket, func.sum(ScanCount.scans)).group_by(ScanCount.bucket))
    return {bucket: int(scans) for bucket, scans in rows.all()}


def totals_by(db: Session, field: str) -> list[Total]:
    """Batches and scans per kind of distribution point (`field="kind"`) or per area."""
    column = col(CardBatch.kind) if field == "kind" else col(CardBatch.area)
    scans = func.coalesce(func.sum(ScanCount.scans), 0)
    rows = db.exec(
        select(column, func.count(func.distinct(CardBatch.id)), scans)
        .select_from(CardBatch)
        .join(ScanCount, col(ScanCount.bucket) == col(CardBatch.code), isouter=True)
        .group_by(column)
        .order_by(scans.desc(), column)
    ).all()
    totals = []
    for name, batches, count in rows:
        shown = KINDS.get(str(name), str(name)) if field == "kind" else name or "No area given"
        totals.append(Total(str(shown), int(batches), int(count)))
    return totals


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def scans_csv(db: Session, batch: CardBatch | None = None) -> str:
    """One row per code per day with scans, oldest first; all codes (and "unknown") or one batch."""
    query = (
        select(ScanCount, CardBatch)
        .join(CardBatch, col(CardBatch.code) == col(ScanCount.bucket), isouter=True)
        .order_by(col(ScanCount.day), col(ScanCount.bucket))
    )
    if batch is not None:
        query = query.where(col(ScanCount.bucket) == batch.code)
    output = StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for count, known in db.exec(query).all():
        if known is None:
            row = [count.day.isoformat(), UNKNOWN_BUCKET, "", "", "", count.scans]
        else:
            row = [
                count.day.isoformat(),
                known.code,
                known.label,
                known.kind,
                known.area,
                count.scans,
            ]
        writer.writerow([_cell(value) for value in row])
    return output.getvalue()
