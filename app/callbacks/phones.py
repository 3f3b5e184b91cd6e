"""Phone numbers people type: any format in, E.164 out, mobiles only unless configured.

One rule for every number that must get texts: young people's numbers (from the callback form and
inbound texts, limited to CALLBACK_COUNTRIES) and teams' duty phones (from any country).
"""

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
# Ofcom keeps 07700 900000-900999 for drama and tests: never a real person. Accepted outside
# production only (`drama_ok`): in production they would only ever be a way to use up limits.
DRAMA_RANGE = range(447700900000, 447700901000)


class PhoneNumberError(ValueError):
    """Why a number cannot be used, as a short key the form turns into words."""


def normalise_mobile(
    raw: str, countries: list[str] | None, mobile_only: bool = True, *, drama_ok: bool = False
) -> str:
    """The number in E.164 (+447700900123), or PhoneNumberError with a reason key.

    `countries`: where the number may be from (None: anywhere); a number typed without a country
    code is read as from the first of them (else the UK). `drama_ok`: accept Ofcom's drama range
    (pass `settings.drama_numbers_ok`: everywhere but production).
    """
    text = raw.strip()
    if not text or len(text) > 40:
        raise PhoneNumberError("missing" if not text else "invalid")
    try:
        number = phonenumbers.parse(text, countries[0] if countries else "GB")
    except NumberParseException:
        raise PhoneNumberError("invalid") from None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if int(e164.lstrip("+")) in DRAMA_RANGE and (countries is None or "GB" in countries):
        if drama_ok:
            return e164
        raise PhoneNumberError("invalid")
    if not phonenumbers.is_valid_number(number):
        raise PhoneNumberError("invalid")
    if countries is not None and phonenumbers.region_code_for_number(number) not in countries:
        raise PhoneNumberError("not-allowed")
    if mobile_only and phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise PhoneNumberError("not-mobile")
    return e164


def duty_numbers(stored: str) -> list[str]:
    """A team's duty phones as stored (E.164, comma-separated), in order, blanks left out."""
    return [number.strip() for number in stored.split(",") if number.strip()]


def display_number(stored: str) -> str:
    """A stored number as people see it on their phone: 01582 123456, or +48 ... from abroad."""
    try:
        number = phonenumbers.parse(stored, "GB")
    except NumberParseException:
        return stored
    if number.country_code != 44:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
