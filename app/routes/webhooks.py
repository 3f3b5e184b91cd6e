"""Twilio webhooks: texts to the service number, and delivery reports for texts we sent.

Both check `X-Twilio-Signature` against PUBLIC_BASE_URL + path with the account's auth token and
answer 403 otherwise; there is no switch to turn the check off. Control characters in the fields
are dropped (`signed_form`). They answer quickly (no provider calls: replies go back as TwiML)
and never log the number or what the message said.

A text is handled once: its `MessageSid` is noted with what it causes (app/sms/inbound.py), and a
second delivery gets an empty answer. A reply is in the keyword's language, else in that of the
number's last request, else English (words: app/sms/replies.py).
"""

import logging
from datetime import datetime, timedelta
from typing import Annotated

import phonenumbers
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from app.callbacks.phones import PhoneNumberError, normalise_mobile
from app.callbacks.requests import (
    CallbackDetails,
    confirmation,
    create_callback,
    is_opted_out,
    number_limit,
    phone_hash,
)
from app.callbacks.routing import team_availability
from app.content import SOURCE_LANGUAGE
from app.context import AppContext, ContextDep, EngineDep, KeysDep, NowDep, SettingsDep
from app.directory.hours import OpeningState
from app.models import Team
from app.rate_limit import Limit
from app.request_guard import strip_control_characters
from app.sms import replies
from app.sms.delivery import apply_status, set_opt_out
from app.sms.inbound import AlreadyHandledError, last_request, record_inbound
from app.sms.keywords import OPT_OUT_WORDS, OPT_WORDS, keyword_language, normalise

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks/twilio")


async def signed_form(request: Request, settings: SettingsDep) -> FormData:
    """The request's form fields, if Twilio signed them (403 otherwise), without control characters.

    The body's size limit is app/request_guard.py's, as for every request. A text may hold anything,
    so its control characters (NUL...) are not refused but dropped, after the signature check (which
    is over what Twilio sent): none reaches the database, and PostgreSQL refuses NUL in text.
    """
    signature = request.headers.get("x-twilio-signature", "")
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    form = await request.form()
    # Signed over the public URL Twilio called, not the one a proxy passed on to us.
    url = settings.public_base_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    if not (token and signature and RequestValidator(token).validate(url, form, signature)):
        raise HTTPException(status_code=403, detail="Forbidden")
    return FormData(
        [
            (key, strip_control_characters(value) if isinstance(value, str) else value)
            for key, value in form.multi_items()
        ]
    )


SignedForm = Annotated[FormData, Depends(signed_form)]


def _twiml(text: str | None) -> Response:
    reply = MessagingResponse()
    if text:
        reply.message(text)
    return Response(str(reply), media_type="application/xml")


def _e164(raw: str) -> str:
    """Twilio sends E.164 already; normalise anyway, so hashes match the web form's."""
    try:
        number = phonenumbers.parse(raw.strip(), None)
    except phonenumbers.NumberParseException:
        return raw.strip()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@router.post("/sms", include_in_schema=False)
def inbound_sms(form: SignedForm, context: ContextDep, engine: EngineDep, now: NowDep) -> Response:
    sid = str(form.get("MessageSid") or "")
    if not sid:  # Twilio always sends one: without it a replay could not be told apart
        log.info("Inbound SMS: no MessageSid, ignored")
        return _twiml(None)
    word = normalise(str(form.get("Body") or ""))
    number = _e164(str(form.get("From") or ""))
    hashed = phone_hash(context.keys, number)
    try:
        if word in OPT_WORDS:
            # No reply: Twilio answers STOP and START itself, and blocks texts after a STOP.
            with Session(engine) as db:
                record_inbound(db, sid, now)
                set_opt_out(db, hashed, word in OPT_OUT_WORDS, now)
                db.commit()
            log.info("Inbound SMS: %s", "opt-out" if word in OPT_OUT_WORDS else "opt-in")
            return _twiml(None)
        with Session(engine) as db:
            opted_out = is_opted_out(db, hashed)
            last = last_request(db, hashed)
        keyword_lang = keyword_language(context.content.languages.values(), word)
        lang = keyword_lang or (last.lang if last else SOURCE_LANGUAGE)
        if lang not in context.content.languages:  # a language since taken off the list
            lang = SOURCE_LANGUAGE
        if keyword_lang:
            last_team = last.team_id if last else None
            text = _ask_for_callback(context, engine, number, lang, last_team, sid, now)
        else:
            log.info("Inbound SMS: other text")
            text = _other_text(context, engine, lang, sid, now)
    except AlreadyHandledError:
        log.info("Inbound SMS: already handled, ignored")
        return _twiml(None)
    # Nothing, not even a reply, goes to a number that said STOP.
    return _twiml(None if opted_out else text)


def _other_text(context: AppContext, engine: Engine, lang: str, sid: str, now: datetime) -> str:
    """Note the text as handled; the reply points to the card and help now."""
    with Session(engine) as db:
        record_inbound(db, sid, now)
        db.commit()
    _ = context.renderer.plain_gettext[lang]
    return replies.other_text(context.settings.public_base_url, lang, _)


def _ask_for_callback(
    context: AppContext,
    engine: Engine,
    number: str,
    lang: str,
    last_team_id: int | None,
    sid: str,
    now: datetime,
) -> str:
    """Store a callback request for the number, if it can be called back; the reply."""
    settings, keys = context.settings, context.keys
    _ = context.renderer.plain_gettext[lang]
    try:
        phone = normalise_mobile(
            number,
            settings.callback_country_list,
            settings.callback_mobile_only,
            drama_ok=settings.drama_numbers_ok,
        )
    except PhoneNumberError:  # not a number we can call back: still point them to help
        log.info("Inbound SMS: keyword from a number we cannot call back")
        return _other_text(context, engine, lang, sid, now)
    details = _sms_details(phone, lang)
    # One transaction, as for the web form: the text noted as handled, the per-number limit
    # (shared with the form) counted, the request and its team alert written. The reply below
    # is the young person's confirmation, so no confirmation text is queued.
    outcome = create_callback(
        engine,
        [number_limit(keys, phone_hash(keys, phone))],
        details,
        keys,
        now,
        timedelta(hours=settings.callback_overdue_hours),
        settings.public_base_url,
        _,
        confirm_by_text=False,
        before=lambda db: record_inbound(db, sid, now),
    )
    if isinstance(outcome, Limit):
        log.info("Inbound SMS: keyword over the per-number limit")
        return replies.already_asked(_away(engine, last_team_id, now), lang, _)
    log.info("Inbound SMS: keyword, callback request %s", outcome.reference)
    thanks = confirmation(details, outcome.reference, settings.public_base_url, _)
    away = _away(engine, outcome.team_id, now)
    return replies.request_taken(thanks, outcome.reference, away, settings.public_base_url, lang, _)


def _away(engine: Engine, team_id: int | None, now: datetime) -> OpeningState | None:
    """The team's hours if it is not at work now (None: at work, or no team known)."""
    with Session(engine) as db:
        team = db.get(Team, team_id) if team_id is not None else None
    state = team_availability(team, now) if team is not None else None
    return state if state is not None and not state.open_now else None


def _sms_details(phone: str, lang: str) -> CallbackDetails:
    return CallbackDetails(
        phone=phone,
        name="",
        best_time="any",
        need=None,
        area=None,
        lang=lang,
        call_lang=lang,
        text_ok=True,
        say_who=False,
        source="sms",
    )


@router.post("/status", include_in_schema=False)
def delivery_status(form: SignedForm, engine: EngineDep, keys: KeysDep, now: NowDep) -> Response:
    sid = str(form.get("MessageSid") or "")
    status = str(form.get("MessageStatus") or "")
    error_code = str(form.get("ErrorCode") or "") or None
    if sid and status:
        with Session(engine) as db:
            apply_status(db, keys, sid, status, error_code, now)
            db.commit()
    return Response(status_code=200)
