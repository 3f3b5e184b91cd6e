"""Checking a submitted listing: clean values, or each problem by field id, in the form's words.

The rules are those of `app.directory.listing.Listing`, the model listing files are read with, so a
listing edited here is also a valid listing file and the other way round. This module only turns
the form into a listing (empty rows left out, "Open 24 hours" as midnight to midnight, the date of
the last check carried over or set to today) and each of the model's errors into a field id and a
message. Field ids are the ids of the form's inputs, so each message in the error summary links to
its field. One check is the form's own: equal opening and closing times, which in a listing mean
24 hours, are refused here, because the form has a box for that.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.admin.listings import (
    Choices,
    ListingForm,
    ListingValues,
    OpeningHours,
    PhoneLine,
    TranslatedText,
)
from app.directory.hours import LONDON
from app.directory.listing import MAX_AGE, Listing, clock_time

Errors = list[tuple[str, str]]
# Each field's message for a missing or wrong value, and what it is called when too long.
FIELD_WORDS = {
    "name": ("Enter the name of the service", "The name"),
    "summary": ("Enter a one-line summary of what the service does", "The summary"),
    "description": ("", "The description"),
    "url": ("Enter the website address starting https://, like https://example.org", ""),
    "email": ("Enter an email address like name@example.org", ""),
    "minimum_age": (f"Enter the youngest age as a whole number from 0 to {MAX_AGE}", ""),
    "maximum_age": (f"Enter the oldest age as a whole number from 0 to {MAX_AGE}", ""),
    "verification_source": ("Say how the details were checked", "How it was checked"),
    "chat_url": ("Enter the chat link starting https://, like https://example.org/chat", ""),
    "cost": ("Choose whether it is free", ""),
    "accessibility": ("", "The access details"),
}
# The address's parts: the form's field id and its message for a missing or wrong value.
ADDRESS_WORDS = {
    "street": ("street", "Enter the street address, like 1 High Street"),
    "town": ("town", "Enter the town"),
    "postcode": ("postcode", "Enter the full postcode, like LU1 2AB"),
}
# Rules between fields, by error type: the field the message is shown at, and the message.
BETWEEN_FIELDS = {
    "ages_reversed": ("minimum_age", "The youngest age must not be above the oldest age"),
    "unverified_contact": (
        "verified",
        "Tick “Details verified” to show phone numbers or opening hours, or remove them",
    ),
    # Only verified listings are public; one with no way in would be a dead end.
    "no_contact": (
        "verified",
        "A verified listing needs a way to reach the service before it can be shown: add a phone "
        "or text number, a website, an email, a chat link or an address you can visit",
    ),
}
# The editor sets the date itself, so the only way it can be wrong is a saved date after today.
LAST_CHECKED = (
    "verified",
    "The details were last checked on a date after today: check them, then use “Details checked "
    "today”",
)
# The order of the form, so the error summary lists problems from the top of the page down.
FORM_ORDER = (
    "organization_id",
    "name",
    "summary",
    "description",
    "url",
    "email",
    "chat_url",
    "street",
    "town",
    "postcode",
    "cost",
    "accessibility",
    "minimum_age",
    "maximum_age",
    "verification_source",
    "needs",
    "areas",
    "other_languages",
    "phone",
    "hours",
    "verified",
    "callback",
    "translation",
)


def check_length(errors: Errors, field_id: str, value: str, limit: int, what: str) -> None:
    if len(value) > limit:
        errors.append((field_id, _too_long(what, limit)))


def _too_long(what: str, limit: object) -> str:
    return f"{what} must be {limit} characters or fewer"


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;\n]", value) if part.strip()]


@dataclass(frozen=True)
class Submission:
    """The form as a listing to check, and where each of its rows came from on the form."""

    data: dict[str, object]
    phone_rows: list[int]  # the form's row of each phone in `data`
    hours_rows: list[int]
    ticked: int  # languages ticked on the form; the ones typed in follow them


def submission(form: ListingForm, choices: Choices, last_checked: date | None) -> Submission:
    phone_rows = [i for i, row in enumerate(form.phones) if row.number or row.description]
    hours_rows = [
        i for i, row in enumerate(form.hours) if row.days or row.opens or row.closes or row.all_day
    ]
    ticked = [code for code in choices.spoken if code in form.languages]
    phones = [form.phones[i] for i in phone_rows]
    hours = [form.hours[i] for i in hours_rows]
    data: dict[str, object] = {
        "name": form.name,
        "summary": form.summary,
        "description": form.description,
        "url": form.url or None,
        "email": form.email or None,
        "verified": form.verified,
        "assured_date": last_checked if form.verified else None,
        "verification_source": form.verification_source or None,
        "minimum_age": form.minimum_age or None,
        "maximum_age": form.maximum_age or None,
        "needs": form.needs,
        "areas": _split(form.areas),
        "languages": ticked + _split(form.other_languages),
        "phones": [
            {"number": row.number, "type": row.type, "description": row.description or None}
            for row in phones
        ],
        "hours": [
            {
                "days": row.days,
                "opens": "00:00" if row.all_day else row.opens,
                "closes": "00:00" if row.all_day else row.closes,
            }
            for row in hours
        ],
        "translations": {
            lang: {"name": text.name, "summary": text.summary, "description": text.description}
            for lang, text in form.translations.items()
            if lang in choices.translations and (text.name or text.summary or text.description)
        },
        "chat_url": form.chat_url or None,
        "cost": form.cost or None,
        "accessibility": form.accessibility or None,
        "callback": form.callback,
    }
    if form.street or form.town or form.postcode:
        data["address"] = {
            "street": form.street,
            "town": form.town,
            "postcode": form.postcode,
            "hidden": form.address_hidden,
        }
    return Submission(data, phone_rows, hours_rows, len(ticked))


def _field_error(error: ErrorDetails, sent: Submission, choices: Choices) -> tuple[str, str]:
    """The field id and the form's message for one of the model's errors."""
    kind, loc, typed = error["type"], error["loc"], str(error["input"])[:20]
    if kind in BETWEEN_FIELDS:
        return BETWEEN_FIELDS[kind]
    field = str(loc[0])
    if field == "assured_date":
        return LAST_CHECKED
    if field in FIELD_WORDS:
        wrong, called = FIELD_WORDS[field]
        too_long = kind == "string_too_long" and called
        return field, _too_long(called, error["ctx"]["max_length"]) if too_long else wrong
    if field == "address":
        return ADDRESS_WORDS[str(loc[1])] if len(loc) > 1 else ADDRESS_WORDS["street"]
    if field == "needs":
        return f"needs-{next(iter(choices.needs), '')}", "Choose needs from the list"
    if field == "areas":
        return "areas", f"“{typed}” is not a postcode district: use ones like LU1"
    if field == "languages":
        return "other_languages", f"“{typed}” is not a language code, like tr or so"
    if field == "phones":
        return _phone_error(error, sent.phone_rows[int(loc[1])])
    if field == "hours":
        return _hours_error(str(loc[2]), sent.hours_rows[int(loc[1])])
    if field == "translations":
        lang, part = str(loc[1]), str(loc[2])
        what = f"The {part} in {choices.translations[lang][0]}"
        return f"translation-{lang}-{part}", _too_long(what, error["ctx"]["max_length"])
    # Not reached while the form sends what `submission` builds; shown rather than lost if it is.
    return field, error["msg"]


def _phone_error(error: ErrorDetails, row: int) -> tuple[str, str]:
    where, n, part = f"phone-{row}", row + 1, str(error["loc"][2])
    if part == "type":
        return f"{where}-type-voice", f"Phone {n}: choose calls or text messages"
    if part == "description":
        return f"{where}-description", _too_long(f"Phone {n}: the description", 255)
    if error["type"] == "string_too_short":
        return f"{where}-number", f"Phone {n}: enter the number, or clear the row"
    return (
        f"{where}-number",
        f"Phone {n}: enter the number with digits and spaces only, like 0800 1111",
    )


def _hours_error(part: str, row: int) -> tuple[str, str]:
    where, n = f"hours-{row}", row + 1
    if part == "days":
        return f"{where}-days-MO", f"Opening hours {n}: choose the days"
    if part == "opens":
        return f"{where}-opens", f"Opening hours {n}: enter when it opens, like 09:30"
    return f"{where}-closes", f"Opening hours {n}: enter when it closes, like 17:00"


def _same_times(form: ListingForm, sent: Submission) -> Errors:
    errors = []
    for index in sent.hours_rows:
        row = form.hours[index]
        opens = clock_time(row.opens)
        if not row.all_day and opens is not None and opens == clock_time(row.closes):
            errors.append(
                (
                    f"hours-{index}-closes",
                    f"Opening hours {index + 1}: it cannot open and close at the same time. "
                    "If it is open all day, tick “Open 24 hours”",
                )
            )
    return errors


def _form_position(field_id: str) -> tuple[int, int]:
    prefix, _, rest = field_id.partition("-")
    row = rest.split("-", 1)[0] if prefix in ("phone", "hours") else "0"
    return FORM_ORDER.index(prefix), int(row)


def validate(
    form: ListingForm, choices: Choices, saved: ListingValues | None, at: datetime
) -> tuple[ListingValues | None, Errors]:
    """Check a submitted listing. Returns clean values, or None and each problem by field id.

    `saved` is the listing as it was (None for a new one); `at` is now. Ticking "Details verified"
    on a listing that was not verified dates the check today; an unticked listing has no date.
    """
    today = at.astimezone(LONDON).date()
    last_checked = saved.assured_date if saved and saved.verified else None
    sent = submission(form, choices, last_checked or today)
    errors: Errors = []
    if form.organization_id not in choices.organizations:
        errors.append(("organization_id", "Choose the organisation that runs this service"))
    listing = None
    try:
        listing = Listing.model_validate(
            sent.data, context={"needs": set(choices.needs), "today": today}
        )
    except ValidationError as error:
        errors += [_field_error(item, sent, choices) for item in error.errors()]
    errors += _same_times(form, sent)
    if errors or listing is None:
        shown: dict[str, str] = {}  # the first problem of each field, as the form did before
        for field_id, message in sorted(errors, key=lambda item: _form_position(item[0])):
            shown.setdefault(field_id, message)
        return None, list(shown.items())
    return _values(listing, form, choices, sent.ticked), []


def _values(listing: Listing, form: ListingForm, choices: Choices, ticked: int) -> ListingValues:
    languages = listing.languages
    hours = [OpeningHours(h.ordered_days, h.opens, h.closes) for h in listing.hours]
    return ListingValues(
        organization_id=uuid.UUID(form.organization_id),
        name=listing.name,
        summary=listing.summary,
        description=listing.description,
        url=listing.url,
        email=listing.email,
        minimum_age=listing.minimum_age,
        maximum_age=listing.maximum_age,
        verified=listing.verified,
        assured_date=listing.assured_date,
        verification_source=listing.verification_source,
        needs=tuple(code for code in choices.needs if code in listing.needs),
        areas=tuple(sorted({area.code for area in listing.area_codes})),
        languages=tuple(
            dict.fromkeys(
                languages[:ticked] + sorted(set(languages[ticked:]) - set(languages[:ticked]))
            )
        ),
        phones=tuple(PhoneLine(p.number, p.type, p.description) for p in listing.phones),
        hours=tuple(sorted(hours, key=lambda item: item.sort_key)),
        translations={
            lang: TranslatedText(text.name or "", text.summary or "", text.description or "")
            for lang, text in listing.translations.items()
        },
        chat_url=listing.chat_url,
        cost=listing.cost,
        accessibility=listing.accessibility,
        callback=listing.callback,
        address=listing.address,
    )
