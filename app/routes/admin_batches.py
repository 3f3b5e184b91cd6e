"""Admin pages for printed card batches: create and retire, QR codes, print sheet and numbers.

Admins only. Every page is drawn on the server; charts are inline SVG, with their numbers in a
table too, so nothing here needs JavaScript. In production a sheet is never printed with an
address phones cannot reach (`base_url_problem`, the readiness check's rule): the batch page
says why instead.
"""

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.admin.access import NO_STORE, Admin, AdminPost, Staff, admin_page, redirect, saved
from app.cards import stats
from app.cards.batches import KINDS, all_batches, check_batch_form, create_batch, retire_batch
from app.cards.charts import Chart, bar_chart
from app.cards.print_sheet import BUSINESS_CARD, SIZES, crop_marks, key_messages, print_style
from app.cards.qr import card_url, qr_inline_svg, qr_png, qr_svg, typed_url
from app.cards.scans import london_day
from app.content import CARD, HELP_NOW, SOURCE_LANGUAGE, Content
from app.context import ContextDep, SessionDep, SettingsDep
from app.models import UNKNOWN_BUCKET, CardBatch
from app.settings import Settings, base_url_problem

router = APIRouter(prefix="/admin")
DAYS_SHOWN = 30
WEEKS_SHOWN = 12


def _batch(db: SessionDep, batch_id: str) -> CardBatch:
    batch = db.get(CardBatch, int(batch_id)) if batch_id.isdigit() else None
    if batch is None:
        raise HTTPException(status_code=404)
    return batch


def _url(settings: Settings, batch: CardBatch) -> str:
    return card_url(settings.public_base_url, batch.code)


def _print_refusal(settings: Settings) -> str | None:
    """Why no sheet may be printed now, or None: a production card must reach real phones.

    Production already refuses to start with such an address (`Settings`); a sheet checks again,
    since cards printed with it could never be recalled.
    """
    if settings.app_env != "production":
        return None
    problem = base_url_problem(settings.public_base_url)
    if problem is None:
        return None
    return (
        f"Cards cannot be printed: PUBLIC_BASE_URL {problem}, so a printed code would lead "
        "nowhere. Ask whoever runs the server to set it to the service's public https:// "
        "address, then restart it."
    )


def _is_reviewed(content: Content, lang: str) -> bool:
    """Whether the words a card prints in `lang` have been checked by a fluent speaker."""
    pages = (content.required_page(lang, CARD), content.required_page(lang, HELP_NOW))
    return all(page.lang == lang and page.reviewed for page in pages)


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
    days = stats.days_ending(london_day(staff.now), DAYS_SHOWN)
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
    request: Request,
    content: Content,
    staff: Staff,
    errors: list[tuple[str, str]],
    status: int = 200,
    **values: str,
) -> Response:
    return admin_page(
        request,
        "admin/batch_new.html",
        staff,
        status,
        errors=errors,
        kinds=KINDS,
        languages=list(content.languages.values()),
        form={"label": "", "kind": "", "area": "", "default_lang": "", **values},
    )


@router.get("/batches/new", include_in_schema=False)
def new_batch_page(request: Request, context: ContextDep, staff: Admin) -> Response:
    return _new_form(request, context.content, staff, [])


@router.post("/batches/new", include_in_schema=False)
def new_batch(
    request: Request,
    context: ContextDep,
    db: SessionDep,
    staff: AdminPost,
    label: Annotated[str, Form(max_length=1000)] = "",
    kind: Annotated[str, Form(max_length=100)] = "",
    area: Annotated[str, Form(max_length=100)] = "",
    default_lang: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    form = check_batch_form(label, kind, area, default_lang, context.language_codes)
    if form.errors:
        values = {"label": label, "kind": kind, "area": area, "default_lang": default_lang}
        return _new_form(request, context.content, staff, form.errors, 400, **values)
    batch = create_batch(db, form, staff.user.id, now=staff.now)
    return saved(
        db,
        staff,
        f"/admin/batches/{batch.id}?created=1",
        "card-batch-created",
        entity="card_batch",
        entity_id=batch.id,
        detail=f"{batch.code}: {batch.label} ({batch.kind})",
    )


@router.get("/batches/stats.csv", include_in_schema=False)
def all_stats_csv(db: SessionDep, staff: Admin) -> Response:
    return _csv(stats.scans_csv(db), "card-scans.csv")


@router.get("/batches/{batch_id}", include_in_schema=False)
def batch_page(
    request: Request, context: ContextDep, db: SessionDep, staff: Admin, batch_id: str
) -> Response:
    batch = _batch(db, batch_id)
    today = london_day(staff.now)
    daily = stats.per_day(db, [batch.code], stats.days_ending(today, DAYS_SHOWN))
    weekly = stats.per_week(stats.per_day(db, [batch.code], _weeks_ending(today)))
    url = _url(context.settings, batch)
    languages = context.content.languages
    language = languages.get(batch.default_lang) if batch.default_lang else None
    return admin_page(
        request,
        "admin/batch.html",
        staff,
        batch=batch,
        kind=KINDS.get(batch.kind, batch.kind),
        language=language,
        sizes=list(SIZES.values()),
        refusal=_print_refusal(context.settings),
        unchecked=language is not None and not _is_reviewed(context.content, language.code),
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
        return saved(
            db,
            staff,
            f"/admin/batches/{batch_id}",
            "card-batch-retired",
            entity="card_batch",
            entity_id=batch.id,
            detail=f"{batch.code}: {batch.label}",
        )
    return redirect(f"/admin/batches/{batch_id}")


QR_FORMATS = {"svg": (qr_svg, "image/svg+xml"), "png": (qr_png, "image/png")}


@router.get("/batches/{batch_id}/qr.{extension}", include_in_schema=False)
def batch_qr(
    settings: SettingsDep, db: SessionDep, staff: Admin, batch_id: str, extension: str
) -> Response:
    """The batch's QR code as SVG (for print designers) or PNG (for documents)."""
    if extension not in QR_FORMATS:
        raise HTTPException(status_code=404)
    batch = _batch(db, batch_id)
    draw, media_type = QR_FORMATS[extension]
    disposition = f'inline; filename="card-{batch.code}.{extension}"'
    return Response(
        draw(_url(settings, batch)),
        media_type=media_type,
        headers={**NO_STORE, "Content-Disposition": disposition},
    )


@router.get("/batches/{batch_id}/print", include_in_schema=False)
def print_sheet(
    request: Request,
    context: ContextDep,
    db: SessionDep,
    staff: Admin,
    batch_id: str,
    lang: Annotated[str, Query(max_length=16)] = SOURCE_LANGUAGE,
    size: Annotated[str, Query(max_length=16)] = BUSINESS_CARD.code,
) -> Response:
    batch = _batch(db, batch_id)
    content = context.content
    refusal = _print_refusal(context.settings)
    if refusal is not None:
        heading = "Cards cannot be printed yet"
        return admin_page(request, "admin/error.html", staff, 409, heading=heading, message=refusal)
    if lang not in content.languages:
        lang = SOURCE_LANGUAGE
    card_size = SIZES.get(size, BUSINESS_CARD)
    card, help_page = content.required_page(lang, CARD), content.required_page(lang, HELP_NOW)
    items, _paragraphs = key_messages(card)
    url = _url(context.settings, batch)
    renderer = context.renderer
    language = content.languages[lang]
    style = print_style(card_size, content.operator.colour)
    # Rendered in the card's language, so its few printed words ("Scan me") are in it too.
    html = renderer.render(
        lang,
        "admin/batch_print.html",
        "",
        print_css=style.css,
        batch=batch,
        size=card_size,
        sizes=list(SIZES.values()),
        print_language=language,
        reviewed=_is_reviewed(content, lang),
        card=card,
        card_dir=content.languages[card.lang].dir,
        help_page=help_page,
        help_dir=content.languages[help_page.lang].dir,
        help_lines=help_page.help_lines,
        list_messages=items,
        print_text_offer=renderer.text_offers[lang],
        other_languages=[other for other in content.languages.values() if other.code != lang],
        qr=qr_inline_svg(url, f"QR code for {typed_url(url)}"),
        url_typed=typed_url(url),
        marks=crop_marks(card_size),
    )
    # Its own stylesheet, allowed by its own hash: the public pages' policy allows only theirs.
    headers = {**NO_STORE, "Content-Security-Policy": style.csp}
    return HTMLResponse(html, headers=headers)


@router.get("/batches/{batch_id}/stats.csv", include_in_schema=False)
def batch_stats_csv(db: SessionDep, staff: Admin, batch_id: str) -> Response:
    batch = _batch(db, batch_id)
    return _csv(stats.scans_csv(db, batch), f"card-scans-{batch.code}.csv")
