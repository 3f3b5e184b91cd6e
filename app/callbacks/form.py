"""The public callback form: reading what was typed into validated details, with plain errors.

The safe-contact questions (voicemail, text first, who might answer, age band, about whom) are
optional: a question skipped is stored as None, so a caseworker can tell "no" from "not asked".

Abuse defences live here too: a hidden field people never fill in (bots do), a signed time stamp
that must be a few seconds old, and limits per number and per (daily-salted, hashed) client address.
"""

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from app.callbacks.phones import PhoneNumberError, normalise_mobile
from app.callbacks.requests import BEST_TIMES, CallbackDetails
from app.directory.search import postcode_district

# Optional questions: the answers a form may send and what is stored for each.
YES_NO = {"yes": True, "no": False}
# "Not sure" is stored as True: the caseworker must plan for someone else picking up, so the
# safe reading of "not sure" is the same as "yes" (the column holds only yes or no).
OTHERS_MAY_ANSWER = {"yes": True, "not-sure": True, "no": False}
AGE_BANDS = ("under-13", "13-15", "16-17", "18-24", "not-said")
ABOUT = ("me", "someone-else")
MIN_FILL_SECONDS = 3
MAX_FORM_AGE_SECONDS = 6 * 3600
NAME_MAX = 40
Gettext = Callable[[str], str]
T = TypeVar("T")


@dataclass(frozen=True)
class SafeContact:
    """The optional answers about contacting someone safely; None for a question skipped."""

    voicemail_ok: bool | None
    text_first: bool | None
    others_may_answer: bool | None
    age_band: str | None
    about: str | None


@dataclass(frozen=True)
class FormResult:
    details: CallbackDetails | None
    errors: list[tuple[str, str]]


def form_token(secret: str, now: float | None = None, nonce: str | None = None) -> str:
    """A signed "stamp.nonce.signature": when the form was made, and a random part, so two forms
    opened in the same second still have different tokens (each token is good for one request)."""
    stamp = str(int(now if now is not None else time.time()))
    nonce = nonce if nonce is not None else secrets.token_urlsafe(9)
    signed = f"form:{stamp}.{nonce}".encode()
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"{stamp}.{nonce}.{signature[:32]}"


def _token_age(secret: str, token: str, now: float) -> float | None:
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1]:
        return None
    stamp, nonce, signature = parts
    expected = form_token(secret, float(stamp), nonce).rpartition(".")[2]
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
    safe = _read_safe_contact(form, errors, _)
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
        voicemail_ok=safe.voicemail_ok,
        text_first=safe.text_first,
        others_may_answer=safe.others_may_answer,
        age_band=safe.age_band,
        about=safe.about,
    )
    return FormResult(details, [])


def _choice(
    form: Mapping[str, str],
    field: str,
    allowed: Mapping[str, T],
    message: str,
    errors: list[tuple[str, str]],
) -> T | None:
    """An optional radio answer: None when skipped, an error (named after the first choice, the
    id the error summary links to) when it is not one of the choices."""
    value = form.get(field, "")
    if not value:
        return None
    if value not in allowed:
        errors.append((f"{field}-{next(iter(allowed))}", message))
        return None
    return allowed[value]


def _read_safe_contact(
    form: Mapping[str, str], errors: list[tuple[str, str]], _: Gettext
) -> SafeContact:
    """The optional safe-contact answers, adding an error for each one that is not a choice."""
    text_first = _choice(
        form,
        "text_first",
        YES_NO,
        _("Choose yes or no for a text before we call, or skip this question"),
        errors,
    )
    # A text before the call would reach a phone they told us is not safe to text.
    if text_first and form.get("text_ok") == "no":
        message = _(
            "You said it is not safe to text you, so we cannot text before we call. "
            "Choose No here, or change your answer about texting."
        )
        errors.append(("text_first-yes", message))
    return SafeContact(
        voicemail_ok=_choice(
            form,
            "voicemail_ok",
            YES_NO,
            _("Choose yes or no for a voicemail, or skip this question"),
            errors,
        ),
        text_first=text_first,
        others_may_answer=_choice(
            form,
            "others_may_answer",
            OTHERS_MAY_ANSWER,
            _("Choose yes, no or not sure, or skip this question"),
            errors,
        ),
        age_band=_choice(
            form,
            "age_band",
            {band: band for band in AGE_BANDS},
            _("Choose your age from the list, or skip this question"),
            errors,
        ),
        about=_choice(
            form,
            "about",
            {about: about for about in ABOUT},
            _("Choose if this is about you or someone else, or skip this question"),
            errors,
        ),
    )
