"""Checking a submitted listing or organisation: clean values, or each problem by field id.

The rules are those of the listing files (`app.directory.files`), so a listing edited here would
also be a valid listing file. Field ids in the errors are the ids of the form's inputs, so each
message in the error summary links to its field.
"""

import re
import uuid
from collections.abc import Iterable
from datetime import time

from babel import Locale, UnknownLocaleError

from app.admin.listings import (
    Choices,
    HoursFields,
    ListingForm,
    ListingValues,
    OpeningHours,
    PhoneFields,
    PhoneLine,
    TextFields,
    TranslatedText,
)
from app.days import DAY_CODES
from app.directory.files import PHONE_NUMBER
from app.directory.search import postcode_district

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WEB_ADDRESS = re.compile(r"^https://[^\s/]+\.[^\s]+$")
CLOCK_TIME = re.compile(r"^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])(?::[0-5][0-9])?$")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
PHONE_TYPES = ("voice", "sms")
MIDNIGHT = time(0)
MAX_AGE = 120
MAX_TEXT = 10_000
Errors = list[tuple[str, str]]


def check_length(errors: Errors, field_id: str, value: str, limit: int, what: str) -> None:
    if len(value) > limit:
        errors.append((field_id, f"{what} must be {limit} characters or fewer"))


def _age(errors: Errors, field_id: str, value: str, what: str) -> int | None:
    if not value:
        return None
    # An ASCII pattern, not str.isdigit(), which also accepts digits like '²' that int() refuses.
    if not re.fullmatch(r"[0-9]{1,3}", value) or int(value) > MAX_AGE:
        errors.append((field_id, f"Enter the {what} as a whole number from 0 to {MAX_AGE}"))
        return None
    return int(value)


def _clock(errors: Errors, field_id: str, value: str, message: str) -> time | None:
    match = CLOCK_TIME.match(value)
    if not match:
        errors.append((field_id, message))
        return None
    return time(int(match.group(1)), int(match.group(2)))


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;\n]", value) if part.strip()]


def _areas(errors: Errors, value: str) -> tuple[str, ...]:
    districts = []
    for part in _split(value):
        district = postcode_district(part)
        if district is None:
            errors.append(("areas", f"“{part[:20]}” is not a postcode district: use ones like LU1"))
            return ()
        districts.append(district)
    return tuple(sorted(set(districts)))


def _languages(errors: Errors, form: ListingForm, choices: Choices) -> tuple[str, ...]:
    ticked = [code for code in choices.spoken if code in form.languages]
    others = []
    for part in _split(form.other_languages):
        code = part.lower()
        try:
            known = bool(LANGUAGE_CODE.match(code)) and Locale.parse(code) is not None
        except (ValueError, UnknownLocaleError):
            known = False
        if not known:
            errors.append(
                ("other_languages", f"“{part[:20]}” is not a language code, like tr or so")
            )
            return tuple(ticked)
        others.append(code)
    return tuple(dict.fromkeys(ticked + sorted(set(others) - set(ticked))))


def _phones(errors: Errors, rows: Iterable[PhoneFields]) -> tuple[PhoneLine, ...]:
    phones = []
    for index, row in enumerate(rows):
        where, n = f"phone-{index}", index + 1
        if not row.number and not row.description:
            continue
        if not row.number:
            errors.append((f"{where}-number", f"Phone {n}: enter the number, or clear the row"))
        elif not PHONE_NUMBER.match(row.number):
            errors.append(
                (
                    f"{where}-number",
                    f"Phone {n}: enter the number with digits and spaces only, like 0800 1111",
                )
            )
        if row.type not in PHONE_TYPES:
            errors.append((f"{where}-type-voice", f"Phone {n}: choose calls or text messages"))
        check_length(
            errors, f"{where}-description", row.description, 255, f"Phone {n}: the description"
        )
        phones.append(PhoneLine(row.number, row.type, row.description or None))
    return tuple(phones)


def _hours(errors: Errors, rows: Iterable[HoursFields]) -> tuple[OpeningHours, ...]:
    hours = []
    for index, row in enumerate(rows):
        where, n = f"hours-{index}", index + 1
        if not (row.days or row.opens or row.closes or row.all_day):
            continue
        days = tuple(day for day in DAY_CODES if day in row.days)
        if not days or len(days) != len(set(row.days)):
            errors.append((f"{where}-days-MO", f"Opening hours {n}: choose the days"))
        if row.all_day:
            opens: time | None = MIDNIGHT
            closes: time | None = MIDNIGHT
        else:
            opens = _clock(
                errors,
                f"{where}-opens",
                row.opens,
                f"Opening hours {n}: enter when it opens, like 09:30",
            )
            closes = _clock(
                errors,
                f"{where}-closes",
                row.closes,
                f"Opening hours {n}: enter when it closes, like 17:00",
            )
            # Equal times mean 24 hours in the data, which is easy to type by mistake.
            if opens is not None and opens == closes:
                errors.append(
                    (
                        f"{where}-closes",
                        f"Opening hours {n}: it cannot open and close at the same time. "
                        "If it is open all day, tick “Open 24 hours”",
                    )
                )
        if days and opens is not None and closes is not None:
            hours.append(OpeningHours(days, opens, closes))
    return tuple(sorted(hours, key=lambda item: item.sort_key))


def _translations(errors: Errors, form: ListingForm, choices: Choices) -> dict[str, TranslatedText]:
    translations = {}
    for lang, (language_name, _direction) in choices.translations.items():
        text = form.translations.get(lang, TextFields())
        check_length(
            errors, f"translation-{lang}-name", text.name, 255, f"The name in {language_name}"
        )
        check_length(
            errors,
            f"translation-{lang}-summary",
            text.summary,
            300,
            f"The summary in {language_name}",
        )
        check_length(
            errors,
            f"translation-{lang}-description",
            text.description,
            MAX_TEXT,
            f"The description in {language_name}",
        )
        if text.name or text.summary or text.description:
            translations[lang] = TranslatedText(text.name, text.summary, text.description)
    return translations


def validate(form: ListingForm, choices: Choices) -> tuple[ListingValues | None, Errors]:
    """Check a submitted listing. Returns clean values, or None and each problem by field id."""
    errors: Errors = []
    if form.organization_id not in choices.organizations:
        errors.append(("organization_id", "Choose the organisation that runs this service"))
    if not form.name:
        errors.append(("name", "Enter the name of the service"))
    check_length(errors, "name", form.name, 255, "The name")
    if not form.summary:
        errors.append(("summary", "Enter a one-line summary of what the service does"))
    check_length(errors, "summary", form.summary, 300, "The summary")
    check_length(errors, "description", form.description, MAX_TEXT, "The description")
    if form.url and (not WEB_ADDRESS.match(form.url) or len(form.url) > 500):
        errors.append(
            ("url", "Enter the website address starting https://, like https://example.org")
        )
    if form.email and (not EMAIL.match(form.email) or len(form.email) > 255):
        errors.append(("email", "Enter an email address like name@example.org"))
    low = _age(errors, "minimum_age", form.minimum_age, "youngest age")
    high = _age(errors, "maximum_age", form.maximum_age, "oldest age")
    if low is not None and high is not None and low > high:
        errors.append(("minimum_age", "The youngest age must not be above the oldest age"))
    if form.verified and not form.verification_source:
        errors.append(("verification_source", "Say how the details were checked"))
    check_length(errors, "verification_source", form.verification_source, 500, "How it was checked")
    unknown = [code for code in form.needs if code not in choices.needs]
    if unknown:
        errors.append((f"needs-{next(iter(choices.needs), '')}", "Choose needs from the list"))
    areas = _areas(errors, form.areas)
    languages = _languages(errors, form, choices)
    phones = _phones(errors, form.phones)
    hours = _hours(errors, form.hours)
    # The same rule as the listing files: never show an unchecked number to a young person.
    if not form.verified and (phones or hours):
        errors.append(
            (
                "verified",
                "Tick “Details verified” to show phone numbers or opening hours, or remove them",
            )
        )
    translations = _translations(errors, form, choices)
    if errors:
        return None, errors
    return ListingValues(
        organization_id=uuid.UUID(form.organization_id),
        name=form.name,
        summary=form.summary,
        description=form.description,
        url=form.url or None,
        email=form.email or None,
        minimum_age=low,
        maximum_age=high,
        verified=form.verified,
        verification_source=form.verification_source or None,
        needs=tuple(code for code in choices.needs if code in form.needs),
        areas=areas,
        languages=languages,
        phones=phones,
        hours=hours,
        translations=translations,
    ), []
