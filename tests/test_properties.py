"""Property tests (hypothesis) for the parsers that read what people and browsers send us:
phone numbers, the callback form, and the Accept-Language header."""

import string

import phonenumbers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.callbacks.form import MAX_FORM_AGE_SECONDS, MIN_FILL_SECONDS, form_token, read_form
from app.callbacks.phones import PhoneNumberError, normalise_mobile
from app.callbacks.requests import BEST_TIMES
from app.i18n import negotiate

PROPERTY_SETTINGS = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# --- phone numbers -------------------------------------------------------------------------------

COUNTRIES = st.lists(st.sampled_from(["GB", "IE", "FR", "US", "IN", "PK", "XX"]), max_size=3)
PHONE_CHARACTERS = string.digits + " +-().#*x"
phone_like = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=PHONE_CHARACTERS, max_size=45),
    st.from_regex(r"\A(\+44|0044|0|\+353|\+1|\+)?\s?7\d{3}\s?\d{3}\s?\d{3}\Z"),
    st.integers(min_value=447000000000, max_value=447999999999).map(lambda n: f"+{n}"),
    st.integers(min_value=7700900000, max_value=7700900999).map(lambda n: f"0{n}"),
    st.text(alphabet="٠١٢٣٤٥٦٧٨٩０１２３４５６７８９ +", max_size=20),  # non-ASCII digits
)


@PROPERTY_SETTINGS
@given(raw=phone_like, countries=COUNTRIES, mobile_only=st.booleans())
def test_normalise_mobile_returns_e164_that_round_trips_or_says_why_not(
    raw: str, countries: list[str], mobile_only: bool
) -> None:
    try:
        e164 = normalise_mobile(raw, countries, mobile_only)
    except PhoneNumberError as error:
        reason = str(error)
    else:
        reason = ""
    if reason:
        assert reason in {"missing", "invalid", "not-allowed", "not-mobile"}
        return
    # Anything else raised fails the test, with the input that caused it.
    assert e164.startswith("+") and e164[1:].isdigit(), e164
    assert 8 <= len(e164) <= 16, e164
    parsed = phonenumbers.parse(e164, None)
    assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == e164
    assert normalise_mobile(e164, countries, mobile_only) == e164


@PROPERTY_SETTINGS
@given(number=st.integers(min_value=7700900000, max_value=7700900999), spacing=st.booleans())
def test_drama_range_numbers_are_accepted_in_any_format(number: int, spacing: bool) -> None:
    national = f"0{number}"
    raw = f"{national[:5]} {national[5:]}" if spacing else national
    assert normalise_mobile(raw, ["GB"], drama_ok=True) == f"+44{number}"


# --- Accept-Language -----------------------------------------------------------------------------

LANGUAGES = ["en", "ar", "bn", "pa", "pl", "pt", "ro", "ur", "cy", "so"]
available_codes = st.lists(st.sampled_from(LANGUAGES), min_size=1, unique=True)
QUALITIES = st.integers(min_value=1, max_value=1000).map(lambda n: n / 1000)
header_like = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.tuples(
            st.one_of(
                st.sampled_from([*LANGUAGES, "*", "en-GB", "pt-BR", "ur-PK", "xx"]), st.text()
            ),
            st.one_of(st.none(), QUALITIES.map(str), st.text(max_size=8)),
        ),
        max_size=8,
    ).map(lambda items: ", ".join(tag if q is None else f"{tag};q={q}" for tag, q in items)),
)


@PROPERTY_SETTINGS
@given(header=st.one_of(st.none(), header_like), available=available_codes, data=st.data())
def test_negotiate_always_returns_one_of_the_available_languages(
    header: str | None, available: list[str], data: st.DataObject
) -> None:
    default = data.draw(st.sampled_from(available))
    assert negotiate(header, available, default) in available


@PROPERTY_SETTINGS
@given(
    pair=st.lists(st.sampled_from(LANGUAGES), min_size=2, max_size=2, unique=True),
    qualities=st.lists(QUALITIES, min_size=2, max_size=2, unique=True),
    region=st.sampled_from(["", "-GB", "-PK", "-Latn-BR"]),
    noise=st.sampled_from(["", "xx;q=1, ", "*;q=0.0005, ", "de;q=0, "]),
)
def test_negotiate_prefers_the_language_with_the_higher_q_value(
    pair: list[str], qualities: list[float], region: str, noise: str
) -> None:
    first, second = pair
    q_first, q_second = qualities
    header = f"{noise}{first}{region};q={q_first}, {second};q={q_second}"
    winner = first if q_first > q_second else second
    assert negotiate(header, [*LANGUAGES], "en") == winner
    # A language the browser refuses (q=0) is never chosen over the default.
    refused = f"{first};q=0, {second};q=0"
    assert negotiate(refused, [*LANGUAGES], "en") == "en"


# --- the callback form ---------------------------------------------------------------------------

SECRET = "property-secret"
NOW = 1_800_000_000.0
NEEDS = ["hurt-or-robbed", "pressured", "worried-about-someone"]
FIELDS = [
    "phone",
    "name",
    "best_time",
    "need",
    "area",
    "call_lang",
    "text_ok",
    "say_who",
    "website",
    "started",
]
field_values = {
    "phone": phone_like,
    "best_time": st.one_of(st.sampled_from(BEST_TIMES), st.text(max_size=10)),
    "need": st.one_of(st.sampled_from(NEEDS), st.text(max_size=10)),
    "area": st.one_of(st.sampled_from(["LU1", "lu1 2ab", "SW1A 1AA", "", " "]), st.text()),
    "call_lang": st.one_of(st.sampled_from(LANGUAGES), st.text(max_size=5)),
    "text_ok": st.one_of(st.sampled_from(["yes", "no"]), st.text(max_size=4)),
    "say_who": st.one_of(st.sampled_from(["yes", "no"]), st.text(max_size=4)),
    "website": st.one_of(st.just(""), st.text(max_size=10)),
    "started": st.one_of(
        st.integers(min_value=-60, max_value=MAX_FORM_AGE_SECONDS + 60).map(
            lambda age: form_token(SECRET, NOW - age)
        ),
        st.text(max_size=50),
    ),
}


@st.composite
def forms(draw: st.DrawFn) -> dict[str, str]:
    form = {}
    for field in FIELDS:
        if draw(st.integers(0, 9)) > 0:  # usually present, sometimes missing
            form[field] = draw(field_values.get(field, st.text(max_size=60)))
    form.update(draw(st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3)))
    return form


def identity(message: str) -> str:
    return message


@PROPERTY_SETTINGS
@given(form=forms(), lang=st.sampled_from(LANGUAGES), mobile_only=st.booleans())
def test_read_form_returns_either_details_or_errors_never_both(
    form: dict[str, str], lang: str, mobile_only: bool
) -> None:
    result = read_form(
        form,
        lang=lang,
        languages=LANGUAGES,
        needs=NEEDS,
        countries=["GB"],
        mobile_only=mobile_only,
        secret=SECRET,
        now=NOW,
        drama_ok=True,
        _=identity,
    )
    assert (result.details is None) == bool(result.errors)
    if result.details is not None:
        details = result.details
        assert details.phone.startswith("+44")
        assert details.best_time in BEST_TIMES
        assert details.need is None or details.need in NEEDS
        assert details.call_lang in LANGUAGES
        assert len(details.name) <= 40
        assert details.area is None or details.area == details.area.strip().upper()
    else:
        assert all(field and message for field, message in result.errors)


@PROPERTY_SETTINGS
@given(
    age=st.integers(min_value=MIN_FILL_SECONDS, max_value=MAX_FORM_AGE_SECONDS),
    phone=st.integers(min_value=7700900000, max_value=7700900999).map(lambda n: f"0{n}"),
    best_time=st.sampled_from(BEST_TIMES),
    text_ok=st.sampled_from(["yes", "no"]),
)
def test_a_well_filled_form_always_gives_details(
    age: int, phone: str, best_time: str, text_ok: str
) -> None:
    form = {
        "phone": phone,
        "best_time": best_time,
        "text_ok": text_ok,
        "say_who": "no",
        "started": form_token(SECRET, NOW - age),
    }
    result = read_form(
        form,
        lang="ur",
        languages=LANGUAGES,
        needs=NEEDS,
        countries=["GB"],
        mobile_only=True,
        secret=SECRET,
        now=NOW,
        drama_ok=True,
        _=identity,
    )
    assert result.errors == []
    assert result.details is not None and result.details.phone == "+44" + phone[1:]
