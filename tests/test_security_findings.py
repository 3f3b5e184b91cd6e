"""The outside review's findings, each reproduced: every one of these failed before its fix."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.callbacks.phones import PhoneNumberError, normalise_mobile
from app.main import create_app
from app.rate_limit import client_key
from app.security import password_problem
from app.settings import ConfigurationError, load_settings
from tests.admin_helpers import add_team, add_user, sign_in
from tests.conftest import make_settings

KEY_A = "Zq8-hV3kP0xWm7Lr2NbT9cYs4GdJ6uEf1AoK"
KEY_B = "Rt5-Jw2yN8pQe6Hk0VbX3mLc9GsZ4uDf7AiP"
PUBLIC = "https://card.example.org"


@pytest.fixture
def production(tmp_path: Path, migrated_engine: Engine) -> Iterator[TestClient]:
    settings = make_settings(
        tmp_path, app_env="production", secret_key=KEY_A, data_key=KEY_B, public_base_url=PUBLIC
    )
    with TestClient(create_app(settings), base_url=PUBLIC, follow_redirects=False) as client:
        yield client


def test_a_chunked_public_post_over_16_kib_is_refused_while_it_streams(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"name="
        for _ in range(40):
            yield b"a" * 1024

    response = client.post(
        "/en/callback",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 413
    assert "What you sent is too long" in response.text


def test_a_declared_body_over_the_webhook_limit_is_refused_before_it_is_read(
    client: TestClient,
) -> None:
    response = client.post("/webhooks/twilio/sms", content=b"x" * (65 * 1024))

    assert response.status_code == 413


def test_a_nul_byte_in_a_public_form_gets_a_clear_400(client: TestClient) -> None:
    response = client.post("/en/callback", data={"name": "Sam\x00", "phone": "07700900982"})

    assert response.status_code == 400
    assert "a character we cannot read" in response.text


def test_a_control_character_in_an_admin_form_gets_a_clear_400(client: TestClient) -> None:
    form = client.get("/admin/login")
    response = client.post("/admin/login", data={"email": "a\x00@example.org", "password": "x"})

    assert form.status_code == 200
    assert response.status_code == 400
    assert "control character" in response.text


def test_production_answers_only_its_own_host_and_sends_hsts(production: TestClient) -> None:
    own = production.get("/en/help")
    other = production.get("/en/help", headers={"host": "evil.example"})
    health = production.get("http://127.0.0.1:8000/healthz")

    assert own.status_code != 400
    assert own.headers.get("location", PUBLIC).startswith((PUBLIC, "/"))
    assert other.status_code == 400 and "location" not in other.headers
    assert health.status_code == 200
    card = production.get("/en/")
    assert card.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"data_key": f"x,{KEY_B}"}, "DATA_KEY"),
        ({"data_key": "a" * 40}, "DATA_KEY"),
        ({"secret_key": KEY_B}, "differ"),
        ({"public_base_url": "http://card.example.org"}, "https"),
        ({"public_base_url": "https://127.0.0.1"}, "loopback"),
        ({"forwarded_allow_ips": "*"}, "FORWARDED_ALLOW_IPS"),
    ],
)
def test_production_refuses_weak_equal_or_malformed_keys_and_addresses(
    tmp_path: Path, changes: dict[str, str], reason: str
) -> None:
    values = {"secret_key": KEY_A, "data_key": KEY_B, "public_base_url": PUBLIC, **changes}
    with pytest.raises(ConfigurationError, match=reason) as error:
        load_settings(app_env="production", var_dir=tmp_path, **values)

    assert "\n" not in str(error.value)


def test_ipv6_clients_are_counted_by_their_64_network() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9")
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("203.0.113.5") == "203.0.113.5"


def test_drama_numbers_are_accepted_only_outside_production() -> None:
    assert normalise_mobile("07700 900982", ["GB"], drama_ok=True) == "+447700900982"
    with pytest.raises(PhoneNumberError):
        normalise_mobile("07700 900982", ["GB"])


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaaaa", "abababababab", "password1234", "qwertyuiop12"]
)
def test_repeated_or_common_passwords_are_refused(password: str) -> None:
    assert password_problem(password) is not None


def test_a_caseworker_without_a_second_factor_is_sent_to_set_one_up_by_default(
    tmp_path: Path, migrated_engine: Engine
) -> None:
    settings = make_settings(tmp_path, app_env="development")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        add_team(client)
        add_user(client, "cas@example.org", "caseworker", team="North youth team")
        sign_in(client, "cas@example.org")

        assert client.get("/admin/").headers["location"] == "/admin/account/two-factor"
