"""The public "call or text me back" form, its submission and the confirmation page."""

from datetime import timedelta
from functools import lru_cache

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.callbacks.form import form_token, read_form
from app.callbacks.requests import Keys, create_callback, find_by_reference, number_limit, seal
from app.callbacks.routing import team_availability
from app.database import SessionDep
from app.directory.hours import describe_state
from app.directory.present import needs_in
from app.models import Team
from app.rate_limit import Limit, bucket_key
from app.security import DataCipher
from app.web import current_time, renderer_for

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}
PER_CLIENT = (10, timedelta(hours=1))


@lru_cache(maxsize=4)
def _keys(data_key: str, secret: str) -> Keys:
    """The cipher and hash key, built once per key pair (not on every post)."""
    return Keys(DataCipher(data_key), secret)


def _form_page(
    request: Request,
    lang: str,
    values: dict[str, str],
    errors: list[tuple[str, str]],
    status: int = 200,
) -> Response:
    renderer = renderer_for(request, lang)
    settings = request.app.state.settings
    html = renderer.render(
        lang,
        "callback.html",
        "callback",
        values=values,
        errors=errors,
        needs=needs_in(request.app.state.needs, lang),
        started=form_token(
            settings.secret_key.get_secret_value(), current_time(request).timestamp()
        ),
        closed_days=settings.retention_closed_days,
        open_days=settings.retention_open_days,
    )
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


@router.get("/{lang}/callback", include_in_schema=False)
def callback_form(lang: str, request: Request) -> Response:
    return _form_page(request, lang, {"call_lang": lang}, [])


@router.post("/{lang}/callback", include_in_schema=False)
async def submit_callback(lang: str, request: Request) -> Response:
    # Reading the form is the only async part; the database work runs in a worker thread.
    form = {key: str(value)[:200] for key, value in (await request.form()).items()}
    return await run_in_threadpool(_submit, lang, request, form)


def _submit(lang: str, request: Request, form: dict[str, str]) -> Response:
    renderer = renderer_for(request, lang)
    settings = request.app.state.settings
    secret = settings.secret_key.get_secret_value()
    now = current_time(request)
    _ = renderer.gettext[lang]
    result = read_form(
        form,
        lang=lang,
        languages=list(renderer.content.languages),
        needs=[term.code for term in request.app.state.needs.terms],
        countries=settings.callback_country_list,
        mobile_only=settings.callback_mobile_only,
        secret=secret,
        now=now.timestamp(),
        _=_,
    )
    values = {key: value for key, value in form.items() if key not in ("started", "website")}
    if result.details is None:
        return _form_page(request, lang, values, result.errors, 400)
    keys = _keys(settings.data_key.get_secret_value(), secret)
    client = request.client.host if request.client else "unknown"
    sealed = seal(result.details, keys)
    limits = [
        Limit(bucket_key(secret, "callback-client", f"{now:%Y-%m-%d}:{client}"), *PER_CLIENT),
        number_limit(keys, sealed.phone_hash),
    ]
    # One transaction: both limits counted, the request and its texts written, one commit.
    outcome = create_callback(
        request.app.state.engine,
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
        message = _("You have sent a lot of requests. Please try again in an hour.")
        return _form_page(request, lang, values, [("phone", message)], 429)
    if isinstance(outcome, Limit):
        message = _("We already have requests from this number. A youth worker will be in touch.")
        return _form_page(request, lang, values, [("phone", message)], 429)
    reference = outcome.reference
    return RedirectResponse(
        f"/{lang}/callback/sent?ref={reference}", status_code=303, headers=NO_STORE
    )


@router.get("/{lang}/callback/sent", include_in_schema=False)
def callback_sent(lang: str, request: Request, db: SessionDep, ref: str = "") -> Response:
    renderer = renderer_for(request, lang)
    callback = find_by_reference(db, ref[:8]) if ref else None
    if callback is None:
        raise HTTPException(status_code=404)
    team = db.get(Team, callback.team_id)
    now = current_time(request)
    when = None
    if team is not None:
        state = team_availability(team, now)
        if not state.open_now:
            when = describe_state(state, now, lang, renderer.gettext[lang])
    html = renderer.render(
        lang, "callback_sent.html", "callback", reference=callback.reference, team_away=when
    )
    return HTMLResponse(html, headers=NO_STORE)
