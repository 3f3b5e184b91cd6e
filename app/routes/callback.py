"""The public "call or text me back" form, its submission and the confirmation page.

The confirmation page is found by the request's reference alone (the public site sets no cookies),
so it says nothing personal, and only for a day after the request: a random six-character
reference is hard to guess, and the few made in one day are even harder to hit.
"""

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from app.callbacks.form import form_token, read_form
from app.callbacks.phones import display_number
from app.callbacks.requests import create_callback, find_by_reference, number_limit, seal
from app.callbacks.timing import back_at_work, before_sending, promise, working_hours
from app.context import AppContext, ContextDep, EngineDep, NowDep, PublicRendererDep, SessionDep
from app.directory.present import needs_in
from app.models import Team
from app.pages import Renderer
from app.rate_limit import Limit, bucket_key, client_key

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}
PER_CLIENT = (10, timedelta(hours=1))
CONFIRMATION_SHOWN_FOR = timedelta(days=1)


def _form_page(
    context: AppContext,
    db: Session,
    now: datetime,
    lang: str,
    values: dict[str, str],
    errors: list[tuple[str, str]],
    status: int = 200,
) -> Response:
    settings, renderer = context.settings, context.renderer
    before = before_sending(db.exec(select(Team)).all())
    html = renderer.render(
        lang,
        "callback.html",
        "callback",
        values=values,
        errors=errors,
        needs=needs_in(context.needs, lang),
        started=form_token(context.keys.hash_secret, now.timestamp()),
        closed_days=settings.retention_closed_days,
        open_days=settings.retention_open_days,
        team_hours=working_hours(before.hours_of, lang, renderer.gettext[lang]),
        calls_from=display_number(before.calls_from) if before.calls_from else None,
    )
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


@router.get("/{lang}/callback", include_in_schema=False)
def callback_form(
    lang: str, renderer: PublicRendererDep, context: ContextDep, db: SessionDep, now: NowDep
) -> Response:
    return _form_page(context, db, now, lang, {"call_lang": lang}, [])


@router.post("/{lang}/callback", include_in_schema=False)
async def submit_callback(
    lang: str,
    request: Request,
    renderer: PublicRendererDep,
    context: ContextDep,
    engine: EngineDep,
    now: NowDep,
) -> Response:
    # Reading the form is the only async part; the database work runs in a worker thread.
    form = {key: str(value)[:200] for key, value in (await request.form()).items()}
    client = client_key(request.client.host if request.client else None)
    return await run_in_threadpool(_submit, lang, context, renderer, engine, now, client, form)


def _submit(
    lang: str,
    context: AppContext,
    renderer: Renderer,
    engine: Engine,
    now: datetime,
    client: str,
    form: dict[str, str],
) -> Response:
    settings, keys = context.settings, context.keys
    secret = keys.hash_secret
    _ = renderer.gettext[lang]
    result = read_form(
        form,
        lang=lang,
        languages=list(renderer.content.languages),
        needs=[term.code for term in context.needs.terms],
        countries=settings.callback_country_list,
        mobile_only=settings.callback_mobile_only,
        secret=secret,
        now=now.timestamp(),
        _=_,
        drama_ok=settings.drama_numbers_ok,
    )
    values = {key: value for key, value in form.items() if key not in ("started", "website")}
    if result.details is None:
        return _answer_again(context, engine, now, lang, values, result.errors, 400)
    sealed = seal(result.details, keys)
    # The form's signed start token is good for one request: a replayed post is refused.
    token = form.get("started", "")
    issued = datetime.fromtimestamp(int(token.partition(".")[0]), UTC)
    limits = [
        Limit(bucket_key(secret, "form-token", token), 1, timedelta(hours=6), start=issued),
        Limit(bucket_key(secret, "callback-client", f"{now:%Y-%m-%d}:{client}"), *PER_CLIENT),
        number_limit(keys, sealed.phone_hash),
    ]
    # One transaction: both limits counted, the request and its texts written, one commit.
    outcome = create_callback(
        engine,
        limits,
        result.details,
        keys,
        now,
        timedelta(hours=settings.callback_overdue_hours),
        settings.public_base_url,
        renderer.plain_gettext[lang],
        sealed=sealed,
    )
    if outcome is limits[0]:
        message = _("This form was open too long. Please check your answers and send it again.")
        return _answer_again(context, engine, now, lang, values, [("phone", message)], 400)
    if outcome is limits[1]:
        message = _("You have sent a lot of requests. Please try again in an hour.")
        return _answer_again(context, engine, now, lang, values, [("phone", message)], 429)
    if isinstance(outcome, Limit):
        message = _("We already have requests from this number. A youth worker will be in touch.")
        return _answer_again(context, engine, now, lang, values, [("phone", message)], 429)
    reference = outcome.reference
    return RedirectResponse(
        f"/{lang}/callback/sent?ref={reference}", status_code=303, headers=NO_STORE
    )


def _answer_again(
    context: AppContext,
    engine: Engine,
    now: datetime,
    lang: str,
    values: dict[str, str],
    errors: list[tuple[str, str]],
    status: int,
) -> Response:
    """The form again, every answer kept, with what to change."""
    with Session(engine) as db:
        return _form_page(context, db, now, lang, values, errors, status)


@router.get("/{lang}/callback/sent", include_in_schema=False)
def callback_sent(
    lang: str, renderer: PublicRendererDep, db: SessionDep, now: NowDep, ref: str = ""
) -> Response:
    callback = find_by_reference(db, ref[:8]) if ref else None
    if callback is None or now - callback.created_at > CONFIRMATION_SHOWN_FOR:
        raise HTTPException(status_code=404)
    team = db.get(Team, callback.team_id)
    _ = renderer.gettext[lang]
    calls_from = team.calls_from.strip() if team is not None else ""
    html = renderer.render(
        lang,
        "callback_sent.html",
        f"callback/sent?ref={callback.reference}",
        reference=callback.reference,
        promise=promise(team, callback.due_at, now, lang, _),
        team_away=back_at_work(team, now, lang, _),
        text_first=bool(callback.text_first and callback.text_ok),
        text_ok=callback.text_ok,
        calls_from=display_number(calls_from) if calls_from else None,
    )
    return HTMLResponse(html, headers=NO_STORE)
