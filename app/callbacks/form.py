"""The public callback form: reading what was typed into validated details, with plain errors.

Abuse defences live here too: a hidden field people never fill in (bots do), a signed time stamp
that must be a few seconds old, and limits per number and per (daily-salted, hashed) client address.
"""

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from app.callbacks.phones import PhoneNumberError, normalise_mobile
from app.callbacks.requests import BEST_TIMES, CallbackDetails
from app.directory.search import postcode_district

MIN_FILL_SECONDS = 3
MAX_FORM_AGE_SECONDS = 6 * 3600
NAME_MAX = 40
Gettext = Callable[[str], str]


@dataclass(frozen=True)
class FormResult:
    details: CallbackDetails | None
    errors: list[tuple[str, str]]


def form_token(secret: str, now: float | None = None) -> str:
    stamp = str(int(now if now is not None else time.time()))
    signature = hmac.new(secret.encode(), f"form:{stamp}".encode(), hashlib.sha256).hexdigest()
    return f"{stamp}.{signature[:32]}"


def _token_age(secret: str, token: str, now: float) -> float | None:
    stamp, _, signature = token.partition(".")
    if not stamp.isdigit():
        return None
    expected = form_token(secret, float(stamp)).partition(".")[2]
    if not hmac.compare_digest(expected, signature):
        return None
    return now - int(stamp)


def read_form(
    form: Mapping[str, str],
    *,
    lang: str,
    languages: list[str],
    needs: list[str],
    countries: list[str],
    mobile_only: bool,
    secret: str,
    now: float,
    _: Gettext,
    drama_ok: bool = False,
) -> FormResult:
    if form.get("website", ""):
        return FormResult(None, [("phone", _("Sorry, we could not send this. Please try again."))])
    age = _token_age(secret, form.get("started", ""), now)
    if age is None or age > MAX_FORM_AGE_SECONDS:
        message = _("This form was open too long. Please check your answers and send it again.")
        return FormResult(None, [("phone", message)])
    if age < MIN_FILL_SECONDS:
        message = _("That was very quick. Please check your answers and send it again.")
        return FormResult(None, [("phone", message)])

    errors: list[tuple[str, str]] = []
    phone = ""
    try:
        phone = normalise_mobile(form.get("phone", ""), countries, mobile_only, drama_ok=drama_ok)
    except PhoneNumberError as error:
        messages = {
            "missing": _("Enter your mobile number"),
            "invalid": _("Enter a mobile number, like 07700 900 982"),
            "not-allowed": _("Enter a UK mobile number, like 07700 900 982"),
            "not-mobile": _("Enter a mobile number, like 07700 900 982"),
        }
        errors.append(("phone", messages[str(error)]))
    name = " ".join(form.get("name", "").split())
    if len(name) > NAME_MAX:
        errors.append(("name", _("Enter a name of 40 characters or fewer")))
    best_time = form.get("best_time", "")
    if best_time not in BEST_TIMES:
        errors.append(("best_time-today", _("Choose when is best to contact you")))
    need = form.get("need", "") or None
    if need is not None and need not in needs:
        need = None
    area_text = form.get("area", "").strip()
    area = postcode_district(area_text) if area_text else None
    if area_text and area is None:
        errors.append(
            ("area", _("Enter the first part of a postcode, like LU1, or leave it empty"))
        )
    call_lang = form.get("call_lang", lang)
    if call_lang not in languages:
        call_lang = lang
    choices = {}
    for field, message in (
        ("text_ok", _("Choose if it is safe for us to text you")),
        ("say_who", _("Choose if we can say who we are when we call")),
    ):
        value = form.get(field, "")
        if value not in ("yes", "no"):
            errors.append((f"{field}-yes", message))
        choices[field] = value == "yes"
    if errors:
        return FormResult(None, errors)
    details = CallbackDetails(
        phone=phone,
        name=name,
        best_time=best_time,
        need=need,
        area=area,
        lang=lang,
        call_lang=call_lang,
        text_ok=choices["text_ok"],
        say_who=choices["say_who"],
    )
    return FormResult(details, [])
