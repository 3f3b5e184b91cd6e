"""Admin pages for printed card batches: create and retire, QR codes, print sheet and numbers.

Admins only. Every page is drawn on the server; charts are inline SVG, with their numbers in a
table too, so nothing here needs JavaScript.
"""

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.admin.access import NO_STORE, Admin, AdminPost, admin_page, now, redirect
from app.admin.audit import record
from app.cards import stats
from app.cards.batches import KINDS, all_batches, check_batch_form, create_batch, retire_batch
from app.cards.charts import Chart, bar_chart
from app.cards.print_sheet import CARDS_PER_SHEET, crop_marks, key_messages, print_style
from app.cards.qr import card_url, qr_inline_svg, qr_png, qr_svg, typed_url
from app.cards.scans import london_day
from app.content import CARD, HELP_NOW, SOURCE_LANGUAGE
from app.database import SessionDep
from app.models import UNKNOWN_BUCKET, CardBatch

router = APIRouter(prefix="/admin")
DAYS_SHOWN = 30
WEEKS_SHOWN = 12
PRINT_STYLE = print_style()


def _batch(db: SessionDep, batch_id: str) -> CardBatch:
    batch = db.get(CardBatch, int(batch_id)) if batch_id.isdigit() else None
    if batch is None:
        raise HTTPException(status_code=404)
    return batch


def _today(request: Request) -> date:
    return london_day(now(request))


def _url(request: Request, batch: CardBatch) -> str:
    return card_url(request.app.state.settings.public_base_url, batch.code)


def _daily_chart(title: str, daily: list[tuple[date, int]]) -> Chart:
    # A label under each Monday: one a week stays readable on a phone-width admin page.
    points = [
        (
            f"{day.day} {day:%b}" if day.weekday() == 0 else "",
            f"{day:%a} {day.day} {day:%b %Y}",
            scans,
        )
        for day, scans in daily
    ]
    return bar_chart(title, points)


def _weekly_chart(title: str, weekly: list[tuple[date, int]]) -> Chart:
    points = [
        (f"{monday.day} {monday:%b}", f"Week from {monday:%a} {monday.day} {monday:%b %Y}", scans)
        for monday, scans in weekly
    ]
    return bar_chart(title, points)


def _weeks_ending(today: date) -> list[date]:
    first = stats.week_start(today) - timedelta(weeks=WEEKS_SHOWN - 1)
    return [first + timedelta(days=offset) for offset in range((today - first).days + 1)]


def _csv(body: str, filename: str) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/batches", include_in_schema=False)
def batches_page(request: Request, db: SessionDep, staff: Admin) -> Response:
    days = stats.days_ending(_today(request), DAYS_SHOWN)
    by_code = stats.scans_by_code(db)
    return admin_page(
        request,
        "admin/batches.html",
        staff,
        batches=all_batches(db),
        kinds=KINDS,
        by_code=by_code,
        total=sum(by_code.values()),
        unknown=by_code.get(UNKNOWN_BUCKET, 0),
        by_kind=stats.totals_by(db, "kind"),
        by_area=stats.totals_by(db, "area"),
        daily=_daily_chart(
            f"Scans per day, all cards, last {DAYS_SHOWN} days", stats.per_day(db, None, days)
        ),
    )


def _new_form(
    request: Request, staff: Admin, errors: list[tuple[str, str]], status: int = 200, **values: str
) -> Response:
    return admin_page(
        request,
        "admin/batch_new.html",
        staff,
        status,
        errors=errors,
        kinds=KINDS,
        languages=list(request.app.state.content.languages.values()),
        form={"label": "", "kind": "", "area": "", "default_lang": "", **values},
    )


@router.get("/batches/new", include_in_schema=False)
def new_batch_page(request: Request, staff: Admin) -> Response:
    return _new_form(request, staff, [])


@router.post("/batches/new", include_in_schema=False)
def new_batch(
    request: Request,
    db: SessionDep,
    staff: AdminPost,
    label: Annotated[str, Form(max_length=1000)] = "",
    kind: Annotated[str, Form(max_length=100)] = "",
    area: Annotated[str, Form(max_length=100)] = "",
    default_lang: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    form = check_batch_form(label, kind, area, default_lang, request.app.state.language_codes)
    if form.errors:
        values = {"label": label, "kind": kind, "area": area, "default_lang": default_lang}
        return _new_form(request, staff, form.errors, 400, **values)
    batch = create_batch(db, form, staff.user.id)
    record(
        db,
        "card-batch-created",
        user=staff.user,
        staff_session=staff.session,
        entity="card_batch",
        entity_id=batch.id,
        detail=f"{batch.code}: {batch.label} ({batch.kind})",
    )
    db.commit()
    return redirect(f"/admin/batches/{batch.id}?created=1")


@router.get("/batches/stats.csv", include_in_schema=False)
def all_stats_csv(db: SessionDep, staff: Admin) -> Response:
    return _csv(stats.scans_csv(db), "card-scans.csv")


@router.get("/batches/{batch_id}", include_in_schema=False)
def batch_page(request: Request, db: SessionDep, staff: Admin, batch_id: str) -> Response:
    batch = _batch(db, batch_id)
    today = _today(request)
    daily = stats.per_day(db, [batch.code], stats.days_ending(today, DAYS_SHOWN))
    weekly = stats.per_week(stats.per_day(db, [batch.code], _weeks_ending(today)))
    url = _url(request, batch)
    languages = request.app.state.content.languages
    return admin_page(
        request,
        "admin/batch.html",
        staff,
        batch=batch,
        kind=KINDS.get(batch.kind, batch.kind),
        language=languages.get(batch.default_lang) if batch.default_lang else None,
        url=url,
        url_typed=typed_url(url),
        total=stats.total_scans(db, [batch.code]),
        daily=_daily_chart(f"Scans per day, last {DAYS_SHOWN} days", daily),
        weekly=_weekly_chart(f"Scans per week, last {WEEKS_SHOWN} weeks", weekly),
        created=request.query_params.get("created") == "1",
    )


@router.post("/batches/{batch_id}/retire", include_in_schema=False)
def retire(db: SessionDep, staff: AdminPost, batch_id: str) -> Response:
    batch = _batch(db, batch_id)
    if not batch.retired:
        retire_batch(db, batch)
        record(
            db,
            "card-batch-retired",
            user=staff.user,
            staff_session=staff.session,
            entity="card_batch",
            entity_id=batch.id,
            detail=f"{batch.code}: {batch.label}",
        )
        db.commit()
    return redirect(f"/admin/batches/{batch_id}")


@router.get("/batches/{batch_id}/qr.svg", include_in_schema=False)
def batch_qr_svg(request: Request, db: SessionDep, staff: Admin, batch_id: str) -> Response:
    batch = _batch(db, batch_id)
    disposition = f'inline; filename="card-{batch.code}.svg"'
    return Response(
        qr_svg(_url(request, batch)),
        media_type="image/svg+xml",
        headers={**NO_STORE, "Content-Disposition": disposition},
    )


@router.get("/batches/{batch_id}/qr.png", include_in_schema=False)
def batch_qr_png(request: Request, db: SessionDep, staff: Admin, batch_id: str) -> Response:
    batch = _batch(db, batch_id)
    disposition = f'inline; filename="card-{batch.code}.png"'
    return Response(
        qr_png(_url(request, batch)),
        media_type="image/png",
        headers={**NO_STORE, "Content-Disposition": disposition},
    )


@router.get("/batches/{batch_id}/print", include_in_schema=False)
def print_sheet(
    request: Request,
    db: SessionDep,
    staff: Admin,
    batch_id: str,
    lang: Annotated[str, Query(max_length=16)] = SOURCE_LANGUAGE,
) -> Response:
    batch = _batch(db, batch_id)
    content = request.app.state.content
    if lang not in content.languages:
        lang = SOURCE_LANGUAGE
    card, help_page = content.page(lang, CARD), content.page(lang, HELP_NOW)
    items, paragraphs = key_messages(card)
    url = _url(request, batch)
    html = request.app.state.site.renderer.render(
        SOURCE_LANGUAGE,
        "admin/batch_print.html",
        "",
        print_css=PRINT_STYLE.css,
        batch=batch,
        print_language=content.languages[lang],
        card=card,
        card_dir=content.languages[card.lang].dir,
        help_page=help_page,
        help_dir=content.languages[help_page.lang].dir,
        help_lines=help_page.help_lines,
        list_messages=items,
        other_messages=paragraphs,
        qr=qr_inline_svg(url, f"QR code for {typed_url(url)}"),
        url_typed=typed_url(url),
        cards=CARDS_PER_SHEET,
        marks=crop_marks(),
    )
    # Its own stylesheet, allowed by its own hash: the public pages' policy allows only theirs.
    headers = {**NO_STORE, "Content-Security-Policy": PRINT_STYLE.csp}
    return HTMLResponse(html, headers=headers)


@router.get("/batches/{batch_id}/stats.csv", include_in_schema=False)
def batch_stats_csv(db: SessionDep, staff: Admin, batch_id: str) -> Response:
    batch = _batch(db, batch_id)
    return _csv(stats.scans_csv(db, batch), f"card-scans-{batch.code}.csv")
