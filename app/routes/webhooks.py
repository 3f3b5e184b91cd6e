"""Twilio webhooks: texts to the service number, and delivery reports for texts we sent.

Both check `X-Twilio-Signature` against PUBLIC_BASE_URL + path with the account's auth token and
answer 403 otherwise; there is no switch to turn the check off. They answer quickly (no provider
calls: replies go back as TwiML) and never log the number or what the message said.
"""

import logging
from datetime import timedelta
from typing import Annotated

import phonenumbers
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
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
from app.context import ContextDep, EngineDep, KeysDep, NowDep, SettingsDep
from app.rate_limit import Limit
from app.sms.delivery import apply_status, set_opt_out

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks/twilio")

# Twilio's standard opt-out and opt-in words; the whole message must be the word.
OPT_OUT_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
OPT_IN_WORDS = {"START", "YES", "UNSTOP"}
MAX_FORM_BYTES = 64 * 1024  # Twilio's forms are a few hundred bytes
REPLY_LANG = "en"


async def signed_form(request: Request, settings: SettingsDep) -> FormData:
    """The request's form fields, if Twilio signed them; 403 otherwise."""
    length = request.headers.get("content-length", "0")
    if not length.isdigit() or int(length) > MAX_FORM_BYTES:
        raise HTTPException(status_code=413 if length.isdigit() else 400)
    signature = request.headers.get("x-twilio-signature", "")
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    form = await request.form()
    # Signed over the public URL Twilio called, not the one a proxy passed on to us.
    url = settings.public_base_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    if not (token and signature and RequestValidator(token).validate(url, form, signature)):
        raise HTTPException(status_code=403, detail="Forbidden")
    return form


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
    settings, keys = context.settings, context.keys
    # The catalog compiled at start-up for the public pages serves the replies too.
    _ = context.renderer.plain_gettext[REPLY_LANG]
    word = str(form.get("Body") or "").strip().strip(".!").strip().upper()
    number = _e164(str(form.get("From") or ""))
    hashed = phone_hash(keys, number)
    if word in OPT_OUT_WORDS or word in OPT_IN_WORDS:
        with Session(engine) as db:
            set_opt_out(db, hashed, word in OPT_OUT_WORDS, now)
            db.commit()
        log.info("Inbound SMS: %s", "opt-out" if word in OPT_OUT_WORDS else "opt-in")
        return _twiml(None)
    with Session(engine) as db:
        opted_out = is_opted_out(db, hashed)

    def reply(text: str) -> Response:
        # Nothing, not even a reply, goes to a number that said STOP.
        return _twiml(None if opted_out else text)

    help_now = _("In danger call 999. Childline 0800 1111 (free).")
    card_reply = f"{settings.public_base_url}/{REPLY_LANG}/ {help_now}"
    if word not in settings.sms_keyword_list:
        log.info("Inbound SMS: other text")
        return reply(card_reply)
    try:
        phone = normalise_mobile(
            number,
            settings.callback_country_list,
            settings.callback_mobile_only,
            drama_ok=settings.drama_numbers_ok,
        )
    except PhoneNumberError:  # not a number we can call back: still point them to help
        log.info("Inbound SMS: keyword from a number we cannot call back")
        return reply(card_reply)
    details = _sms_details(phone)
    # One transaction, as for the web form: the per-number limit (shared with the form) counted,
    # the request and its team alert written. The reply below is the young person's
    # confirmation, so no confirmation text is queued.
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
    )
    if isinstance(outcome, Limit):
        log.info("Inbound SMS: keyword over the per-number limit")
        limited = _("We already have your request and will be in touch soon.")
        return reply(f"{limited} {help_now}")
    log.info("Inbound SMS: keyword, callback request %s", outcome.reference)
    thanks = confirmation(details, outcome.reference, settings.public_base_url, _)
    return reply(f"{thanks} {settings.public_base_url}/{REPLY_LANG}/")


def _sms_details(phone: str) -> CallbackDetails:
    return CallbackDetails(
        phone=phone,
        name="",
        best_time="any",
        need=None,
        area=None,
        lang=REPLY_LANG,
        call_lang=REPLY_LANG,
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
