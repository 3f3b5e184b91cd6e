"""The impact report's figures for a period and a choice of batches, already made safe to share.

`build_report` reads the anonymous counts (scans, page views, searches, listing views), the
callback requests and the funnel, and returns only `Figure`s from `app/impact/safe.py`: the page,
its print, the CSV and `python -m app report` all show this one object, so none can leak a number
the others hide. Page views, searches and listings are not linked to batches (nothing links a
scan to what was read next), so the batch choice narrows the scans only.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from app.callbacks.casework import outcome_label
from app.cards.stats import week_start
from app.content import SOURCE_LANGUAGE, Content
from app.directory.files import NeedsFile
from app.impact.funnel import TeamMonth, funnel, london_start
from app.impact.safe import NOT_SHOWN, Figure, any_hidden, cell, enough, total
from app.models import CallbackRequest, CardBatch, ScanCount, Service, Team, UsageCount
from app.models.impact import ANY, LISTING, PAGE, SEARCH

Labelled = list[tuple[str, Figure]]


@dataclass(frozen=True)
class Week:
    monday: date
    scans: Figure
    views: Figure


@dataclass(frozen=True)
class BatchRow:
    code: str
    label: str
    scans: Figure
    printed: int | None
    per_card: str  # scans per card printed, or why not shown


@dataclass(frozen=True)
class FunnelRow:
    team: str
    month: date
    requests: Figure
    claimed: Figure
    attempted: Figure
    spoke: Figure
    closed: Figure
    median: str
    p90: str
    in_time: str
    outcomes: Labelled


@dataclass(frozen=True)
class Report:
    first: date
    last: date
    batches: list[str]  # the labels of the batches chosen; empty: all scans
    totals: Labelled
    weeks: list[Week]
    pages: Labelled
    languages: Labelled
    needs: Labelled
    areas: Labelled
    listings: Labelled
    requests_by_team: Labelled
    requests_by_need: Labelled
    requests_by_language: Labelled
    funnel: list[FunnelRow]
    batch_rows: list[BatchRow]


def _sorted(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _safe(counts: dict[str, int], rounded: bool = False) -> Labelled:
    return [(label, cell(count, rounded)) for label, count in _sorted(counts)]


def _grouped(rows: Iterable[tuple[str, int]], name: Callable[[str], str]) -> dict[str, int]:
    grouped: dict[str, int] = defaultdict(int)
    for key, count in rows:
        grouped[name(key)] += count
    return dict(grouped)


def hours_text(hours: float | None, count: int) -> str:
    if hours is None or not enough(count):
        return NOT_SHOWN if count else "none"
    if hours < 1:
        return f"{round(hours * 60)} minutes"
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"


def _funnel_row(row: TeamMonth) -> FunnelRow:
    in_time = (
        f"{round(100 * row.reached_in_time / row.requests)}%" if enough(row.requests) else NOT_SHOWN
    )
    outcomes = [(outcome_label(code), cell(count)) for code, count in _sorted(row.outcomes)]
    return FunnelRow(
        row.team,
        row.month,
        cell(row.requests),
        cell(row.claimed),
        cell(row.attempted),
        cell(row.spoke),
        total(row.closed, row.outcomes.values()),
        hours_text(row.median_hours, row.attempted),
        hours_text(row.p90_hours, row.attempted),
        in_time,
        outcomes,
    )


def build_report(
    db: Session,
    content: Content,
    needs_file: NeedsFile,
    first: date,
    last: date,
    batch_codes: list[str] | None = None,
) -> Report:
    """The report for London days `first` to `last`; `batch_codes` None means every scan."""
    usage = db.exec(
        select(UsageCount).where(col(UsageCount.day) >= first, col(UsageCount.day) <= last)
    ).all()
    scan_query = select(ScanCount).where(col(ScanCount.day) >= first, col(ScanCount.day) <= last)
    if batch_codes is not None:
        scan_query = scan_query.where(col(ScanCount.bucket).in_(batch_codes))
    scans = db.exec(scan_query).all()
    requests = db.exec(
        select(CallbackRequest.need, CallbackRequest.lang, Team.name)
        .join(Team, col(Team.id) == col(CallbackRequest.team_id))
        .where(
            col(CallbackRequest.created_at) >= london_start(first),
            col(CallbackRequest.created_at) < london_start(last + timedelta(days=1)),
        )
    ).all()

    def of_kind(kind: str) -> list[UsageCount]:
        return [row for row in usage if row.kind == kind]

    need_names = {term.code: term.name for term in needs_file.terms}

    def need_name(code: str) -> str:
        return "Any need" if code == ANY else need_names.get(code, code)

    def lang_name(code: str) -> str:
        language = content.languages.get(code)
        return f"{language.name} ({code})" if language else code

    def area_name(area: str) -> str:
        return "Any area" if area == ANY else area

    def page_name(slug: str) -> str:
        page = content.page(SOURCE_LANGUAGE, slug)
        return "The card" if slug == "card" else page.title if page else slug

    views, searches, opened = of_kind(PAGE), of_kind(SEARCH), of_kind(LISTING)
    pages = _grouped(((row.subject, row.count) for row in views), page_name)
    languages = _grouped(((row.detail, row.count) for row in views), lang_name)
    asked = _grouped(((row.subject, row.count) for row in searches), need_name)
    areas = _grouped(((row.detail, row.count) for row in searches), area_name)
    listing_names = _listing_names(db, {row.subject for row in opened})
    listings = _grouped(
        ((row.subject, row.count) for row in opened),
        lambda service_id: listing_names.get(service_id, "(removed)"),
    )
    by_team = _grouped(((team, 1) for _, _, team in requests), str)
    by_need = _grouped(((need or ANY, 1) for need, _, _ in requests), need_name)
    by_language = _grouped(((lang, 1) for _, lang, _ in requests), lang_name)

    weekly_scans: dict[date, int] = defaultdict(int)
    for scan in scans:
        weekly_scans[week_start(scan.day)] += scan.scans
    weekly_views: dict[date, int] = defaultdict(int)
    for view in views:
        weekly_views[week_start(view.day)] += view.count
    mondays = [week_start(first) + timedelta(weeks=n) for n in range(_weeks(first, last))]
    by_bucket = _grouped(((scan.bucket, scan.scans) for scan in scans), str)
    # Each count keeps exact cells in its first breakdown only (see app/impact/safe.py).
    scans_hidden = any_hidden(by_bucket.values(), weekly_scans.values())
    views_hidden = any_hidden(pages.values(), languages.values(), weekly_views.values())
    searches_hidden = any_hidden(asked.values(), areas.values())
    # Requests keep exact cells per team and month (the funnel); the rest is rounded if need be.
    team_months = funnel(db, first, last)
    requests_hidden = any_hidden(
        [row.requests for row in team_months],
        by_team.values(),
        by_need.values(),
        by_language.values(),
    )
    weeks = [
        Week(m, cell(weekly_scans[m], scans_hidden), cell(weekly_views[m], views_hidden))
        for m in mondays
    ]
    batch_rows = _batch_rows(db, by_bucket, batch_codes)
    totals = [
        ("Card scans", total(sum(by_bucket.values()), by_bucket.values(), weekly_scans.values())),
        ("Page views", total(sum(pages.values()), pages.values(), languages.values())),
        ("Directory searches", total(sum(asked.values()), asked.values(), areas.values())),
        ("Listings opened", total(sum(listings.values()), listings.values())),
        (
            "Callback requests",
            total(len(requests), by_team.values(), by_need.values(), by_language.values()),
        ),
    ]
    chosen = [] if batch_codes is None else [row.label for row in batch_rows]
    return Report(
        first=first,
        last=last,
        batches=chosen,
        totals=totals,
        weeks=weeks,
        pages=_safe(pages),
        languages=_safe(languages, views_hidden),
        needs=_safe(asked),
        areas=_safe(areas, searches_hidden),
        listings=_safe(listings),
        requests_by_team=_safe(by_team, requests_hidden),
        requests_by_need=_safe(by_need, requests_hidden),
        requests_by_language=_safe(by_language, requests_hidden),
        funnel=[_funnel_row(row) for row in team_months],
        batch_rows=batch_rows,
    )


def _weeks(first: date, last: date) -> int:
    return (week_start(last) - week_start(first)).days // 7 + 1


def _listing_names(db: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    wanted = [uuid.UUID(service_id) for service_id in ids]
    rows = db.exec(select(Service.id, Service.name).where(col(Service.id).in_(wanted))).all()
    return {str(service_id): name for service_id, name in rows}


def _batch_rows(
    db: Session, by_bucket: dict[str, int], batch_codes: list[str] | None
) -> list[BatchRow]:
    query = select(CardBatch).order_by(col(CardBatch.label))
    if batch_codes is not None:
        query = query.where(col(CardBatch.code).in_(batch_codes))
    rows = []
    for batch in db.exec(query).all():
        scans = by_bucket.get(batch.code, 0)
        figure = cell(scans)
        if not batch.cards_printed:
            per_card = "cards printed not given"
        elif figure.hidden:
            per_card = NOT_SHOWN
        else:
            per_card = f"{scans / batch.cards_printed:.2f}"
        rows.append(BatchRow(batch.code, batch.label, figure, batch.cards_printed, per_card))
    return rows
