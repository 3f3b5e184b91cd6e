"""The fake Twilio holds requests to Twilio's published description, so passing tests mean
something: it refuses what real Twilio would refuse."""

from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from app.sms.providers import TwilioProvider
from tests.conftest import make_settings
from tests.sms_fake import FakeTwilio, running
from tests.sms_support import ACCOUNT_SID, AUTH_TOKEN, STATUS_CALLBACK, YOUNG_PERSON

SERVICE_SID = "MG" + "abcdef0123456789" * 2
GOOD = {
    "To": YOUNG_PERSON,
    "From": "+447700900000",
    "Body": "Hello",
    "StatusCallback": STATUS_CALLBACK,
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilio]:
    yield from running(ACCOUNT_SID, AUTH_TOKEN)


def post(
    fake: FakeTwilio,
    fields: dict[str, str],
    auth: tuple[str, str] = (ACCOUNT_SID, AUTH_TOKEN),
    sid: str = ACCOUNT_SID,
) -> httpx.Response:
    url = f"{fake.base_url}/2010-04-01/Accounts/{sid}/Messages.json"
    return httpx.post(url, data=fields, auth=auth)


def test_a_well_formed_request_is_answered_like_twilio(fake: FakeTwilio) -> None:
    response = post(fake, GOOD)
    assert response.status_code == 201
    message = response.json()
    assert message["sid"].startswith("SM") and message["status"] == "queued"
    assert message["to"] == YOUNG_PERSON
    assert fake.received[-1].problems == []  # the answer itself fits the description


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"Colour": "blue"}, "Colour: not a parameter"),
        ({"StatusCallback": None}, "StatusCallback is missing"),
        ({"From": None}, "From or MessagingServiceSid is required"),
        ({"Body": None}, "Body is required"),
        ({"To": None}, "'To' is a required property"),
        ({"To": "07700 900123"}, "is not a 'phone-number'"),
        ({"StatusCallback": "not a url"}, "is not a 'uri'"),
        ({"MessagingServiceSid": "MG123"}, "MessagingServiceSid"),
        ({"SmartEncoded": "perhaps"}, "is not a boolean"),
        ({"ValidityPeriod": "soon"}, "is not a integer"),
        ({"TrafficType": "spam"}, "TrafficType"),
    ],
)
def test_a_request_outside_the_description_is_refused(
    fake: FakeTwilio, change: dict[str, str | None], problem: str
) -> None:
    fields = {key: value for key, value in {**GOOD, **change}.items() if value is not None}
    response = post(fake, fields)
    assert response.status_code == 400
    assert any(problem in text for text in fake.received[-1].problems), fake.received[-1]


def test_wrong_credentials_or_paths_are_refused(fake: FakeTwilio) -> None:
    assert post(fake, GOOD, auth=(ACCOUNT_SID, "wrong")).status_code == 401
    other = "AC" + "1" * 32
    assert post(fake, GOOD, auth=(other, AUTH_TOKEN), sid=other).status_code == 401
    assert httpx.post(f"{fake.base_url}/2010-04-01/Messages.json", data=GOOD).status_code == 404


def test_the_provider_can_send_through_a_messaging_service(
    tmp_path: Path, fake: FakeTwilio
) -> None:
    settings = make_settings(
        tmp_path,
        sms_backend="twilio",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_messaging_service_sid=SERVICE_SID,
        twilio_api_base=fake.base_url,
    )
    sid = TwilioProvider(settings, timeout=2).send(YOUNG_PERSON, "Hello", STATUS_CALLBACK)
    received = fake.received[-1]
    assert (received.outcome, received.sid, received.problems) == ("accepted", sid, [])
    assert received.field("MessagingServiceSid") == SERVICE_SID
    assert "From" not in received.fields
