"""A help listing and its rules, written once: the model listing files and the editor both check.

`Listing` is what a listing says and every rule it keeps: lengths, web and email addresses, ages,
postcode districts, language codes, phone numbers, opening hours, and the rules between fields.
`app.directory.files` reads listing files with it (adding each file's ids and organisation), and
`app.admin.listing_checks` checks the editor's form with it, turning each error into the form's own
words. So a value one refuses, the other refuses too.

Errors the editor tells apart have their own `type` (a `PydanticCustomError`); their messages are
for people who write listing files. Validation context, both optional: `needs`, the need codes a
listing may use; `today`, the last day `assured_date` may be (by default, today in London).

`assured_date` is the day a listing's details were last confirmed, so a verified listing has one,
never after today, and an unverified listing has none (it would say nothing true).
"""

import re
from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from babel import Locale, UnknownLocaleError
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.days import DAY_CODES, Day
from app.directory.hours import LONDON
from app.directory.search import postcode_district

PHONE_NUMBER = re.compile(r"^\+?[0-9][0-9 ]{1,20}$")
WEB_ADDRESS = re.compile(r"^https://[^\s/]+\.[^\s]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CLOCK_TIME = re.compile(r"^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])(?::[0-5][0-9])?$")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
# ASCII digits, not str.isdigit(), which also accepts digits like '²' that int() refuses.
WHOLE_NUMBER = re.compile(r"[0-9]{1,3}")
MAX_AGE = 120
MAX_TEXT = 10_000
MAX_ADDRESS = 500
FULL_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _web_address(value: str) -> str:
    if not WEB_ADDRESS.match(value):
        raise PydanticCustomError(
            "web_address", "a web address starts https://, like https://example.org"
        )
    return value


def _email(value: str) -> str:
    if not EMAIL.match(value):
        raise PydanticCustomError("email", "an email address looks like name@example.org")
    return value


def _whole_number(value: object) -> object:
    # int() would also take '+12', ' 12' or '١٢', and YAML's `true` is not an age.
    if isinstance(value, bool) or (isinstance(value, str) and not WHOLE_NUMBER.fullmatch(value)):
        raise PydanticCustomError("age", "an age is a whole number from 0 to 120")
    return int(value) if isinstance(value, str) else value


def clock_time(value: object) -> time | None:
    """'9:30', '09.30' or '09:30:00' → 09:30; anything else → None."""
    if isinstance(value, time) and value.tzinfo is None:
        return value.replace(second=0, microsecond=0)
    match = CLOCK_TIME.match(value) if isinstance(value, str) else None
    return time(int(match.group(1)), int(match.group(2))) if match else None


def _clock(value: object) -> time:
    # YAML reads an unquoted 17:00 as the number 1020, which would otherwise become 00:17.
    found = clock_time(value)
    if found is None:
        raise PydanticCustomError("clock_time", 'a time is written like "09:30", in quotes')
    return found


def _district(value: str) -> str:
    district = postcode_district(value)
    if district is None:
        raise PydanticCustomError(
            "postcode_district", "'{text}' is not a postcode district like LU1", {"text": value}
        )
    return district


def _language(value: str) -> str:
    code = value.lower()
    try:
        known = bool(LANGUAGE_CODE.match(code)) and Locale.parse(code) is not None
    except (ValueError, UnknownLocaleError):
        known = False
    if not known:
        raise PydanticCustomError(
            "language_code", "'{text}' is not a language code like en or pl", {"text": value}
        )
    return code


WebAddress = Annotated[str, Field(max_length=MAX_ADDRESS), AfterValidator(_web_address)]
Email = Annotated[str, Field(max_length=255), AfterValidator(_email)]
Age = Annotated[int, BeforeValidator(_whole_number), Field(ge=0, le=MAX_AGE)]
ClockTime = Annotated[time, BeforeValidator(_clock)]
District = Annotated[str, AfterValidator(_district)]
LanguageCode = Annotated[str, AfterValidator(_language)]


class ListingPhone(Strict):
    number: str = Field(min_length=1)
    type: Literal["voice", "sms"] = "voice"
    description: str | None = Field(default=None, max_length=255)

    @field_validator("number")
    @classmethod
    def _number(cls, value: str) -> str:
        if not PHONE_NUMBER.match(value):
            raise PydanticCustomError(
                "phone_number", "a phone number has digits and spaces only, like '0800 1111'"
            )
        return value


class ListingHours(Strict):
    """Opening hours for some days. `closes` before `opens` runs past midnight; equal: 24 hours."""

    days: list[Day] = Field(min_length=1)
    opens: ClockTime
    closes: ClockTime
    description: str | None = Field(default=None, max_length=255)

    @property
    def ordered_days(self) -> tuple[Day, ...]:
        """Each day once, Monday first."""
        return tuple(day for day in DAY_CODES if day in self.days)


class ListingArea(Strict):
    code: District
    name: str | None = Field(default=None, max_length=255)


def _area_form(value: object) -> str:
    return "code" if isinstance(value, str) else "area"


# An area is a postcode district ('LU1'), or one with a name ({code: LU1, name: Luton town}).
AreaEntry = Annotated[
    Annotated[ListingArea, Tag("area")] | Annotated[District, Tag("code")],
    Discriminator(_area_form),
]


class ListingAddress(Strict):
    """A walk-in address. `hidden`: a sensitive service's address, never shown to the public."""

    street: str = Field(min_length=1, max_length=255)
    town: str = Field(min_length=1, max_length=128)
    postcode: str = Field(min_length=1, max_length=16)
    hidden: bool = False

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str) -> str:
        if not FULL_POSTCODE.match(value.upper()):
            raise PydanticCustomError("postcode", "a postcode looks like LU1 2AB")
        return value.upper()

    @property
    def one_line(self) -> str:
        text = f"{self.street}, {self.town}, {self.postcode}"
        return f"{text} (not shown)" if self.hidden else text


def _unless(empty: object) -> Any:
    # Left out of a dump when empty, so listing files keep the fingerprint they had before the
    # field existed (`app.directory.importer.fingerprint`).
    return Field(default=empty, exclude_if=lambda value: value == empty)


class ListingTranslation(Strict):
    name: str | None = Field(default=None, max_length=255)
    summary: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=MAX_TEXT)


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context if isinstance(info.context, dict) else {}


class Listing(Strict):
    """A help listing. Rules between two fields are checked once both fields are right."""

    name: str = Field(min_length=1, max_length=255)
    summary: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=MAX_TEXT)
    url: WebAddress | None = None
    # Left out of a dump when empty, so listing files keep the fingerprint they had before
    # listings had an email (`app.directory.importer.fingerprint`).
    email: Annotated[Email | None, Field(exclude_if=lambda value: value is None)] = None
    verified: bool
    assured_date: date | None = Field(default=None, validate_default=True)
    verification_source: str | None = Field(default=None, max_length=500, validate_default=True)
    minimum_age: Age | None = None
    maximum_age: Age | None = None
    needs: list[str] = Field(default_factory=list)
    areas: list[AreaEntry] = Field(default_factory=list)
    languages: list[LanguageCode] = Field(default_factory=lambda: ["en"])
    phones: list[ListingPhone] = Field(default_factory=list)
    hours: list[ListingHours] = Field(default_factory=list)
    translations: dict[LanguageCode, ListingTranslation] = Field(default_factory=dict)
    chat_url: Annotated[WebAddress | None, _unless(None)]
    cost: Annotated[Literal["free", "paid"] | None, _unless(None)]
    accessibility: Annotated[str | None, Field(max_length=500), _unless(None)]
    address: Annotated[ListingAddress | None, _unless(None)]
    # The youth team's own listing: its page links to the callback form.
    callback: Annotated[bool, _unless(False)]

    @field_validator("assured_date")
    @classmethod
    def _checked_when_verified(cls, value: date | None, info: ValidationInfo) -> date | None:
        verified = info.data.get("verified")
        if verified and value is None:
            raise PydanticCustomError(
                "assured_date_missing",
                "a verified listing needs assured_date, the day its details were last confirmed",
            )
        if verified is False and value is not None:
            raise PydanticCustomError(
                "assured_date_unverified",
                "an unverified listing has no assured_date: remove it, or set verified: true",
            )
        today = _context(info).get("today") or datetime.now(LONDON).date()
        if value is not None and value > today:
            raise PydanticCustomError(
                "assured_date_future",
                "assured_date {date} is after today: it is the day the details were confirmed",
                {"date": value.isoformat()},
            )
        return value

    @field_validator("verification_source")
    @classmethod
    def _source_when_verified(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("verified") and not value:
            raise PydanticCustomError(
                "verification_source_missing",
                "a verified listing needs verification_source: where its details were confirmed",
            )
        return value

    @field_validator("maximum_age")
    @classmethod
    def _ages_in_order(cls, value: int | None, info: ValidationInfo) -> int | None:
        youngest = info.data.get("minimum_age")
        if youngest is not None and value is not None and youngest > value:
            raise PydanticCustomError("ages_reversed", "minimum_age is above maximum_age")
        return value

    @field_validator("needs")
    @classmethod
    def _known_needs(cls, value: list[str], info: ValidationInfo) -> list[str]:
        known = _context(info).get("needs")
        unknown = sorted(set(value) - set(known)) if known is not None else []
        if unknown:
            raise PydanticCustomError(
                "unknown_needs", "unknown needs {codes}", {"codes": str(unknown)}
            )
        return value

    @field_validator("phones", "hours")
    @classmethod
    def _contact_when_verified(cls, value: list[Any], info: ValidationInfo) -> list[Any]:
        # Never show an unchecked number or opening time to a young person.
        if value and info.data.get("verified") is False:
            raise PydanticCustomError(
                "unverified_contact", "an unverified listing must not give phone numbers or hours"
            )
        return value

    @model_validator(mode="after")
    def _reachable(self) -> "Listing":
        # A confirmed listing is shown to young people: it must never be a dead end.
        if self.verified and not self.ways_in:
            raise PydanticCustomError(
                "no_contact",
                "a verified listing needs a way to reach the service: a phone or text number, "
                "a chat link, a website, an email, an address to visit, or callback: true",
            )
        return self

    @property
    def ways_in(self) -> bool:
        shown_address = self.address is not None and not self.address.hidden
        return bool(
            self.phones or self.url or self.email or self.chat_url or shown_address or self.callback
        )

    @property
    def area_codes(self) -> list[ListingArea]:
        return [
            area if isinstance(area, ListingArea) else ListingArea(code=area) for area in self.areas
        ]
