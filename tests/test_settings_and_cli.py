"""Settings and the command line: safe defaults, no unsafe production start, clear errors."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest

from app.settings import ConfigurationError, development_base_url, load_settings
from tests.conftest import TEST_DATABASE_URL

STRONG = "Zq8-hV3kP0xWm7Lr2NbT9cYs4GdJ6uEf1AoK"
OTHER_STRONG = "Rt5-Jw2yN8pQe6Hk0VbX3mLc9GsZ4uDf7AiP"


def run_app(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DATA_KEY", "APP_ENV", "DATABASE_URL", "PUBLIC_BASE_URL"}
    }
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_development_generates_secrets_once_and_keeps_them(tmp_path: Path) -> None:
    first = load_settings(var_dir=tmp_path / "var")
    second = load_settings(var_dir=tmp_path / "var")

    assert first.secret_key is not None and second.secret_key is not None
    assert first.secret_key.get_secret_value() == second.secret_key.get_secret_value()
    assert len(first.secret_key.get_secret_value()) >= 32
    assert (tmp_path / "var" / "data_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("environment", "missing"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": STRONG}, "DATA_KEY"),
        ({"SECRET_KEY": "short", "DATA_KEY": STRONG}, "SECRET_KEY"),
        ({"SECRET_KEY": STRONG, "DATA_KEY": OTHER_STRONG}, "PUBLIC_BASE_URL"),
    ],
)
def test_production_refuses_to_start_without_strong_secrets_or_its_public_address(
    tmp_path: Path, environment: dict[str, str], missing: str
) -> None:
    result = run_app(
        "migrate",
        env={"APP_ENV": "production", **environment, "VAR_DIR": str(tmp_path)},
        cwd=tmp_path,
    )

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert missing in lines[0] and "APP_ENV=production" in lines[0]
    assert not (tmp_path / "secret_key").exists()


def test_production_starts_with_its_secrets_and_public_address_given(tmp_path: Path) -> None:
    settings = load_settings(
        app_env="production",
        secret_key=STRONG,
        data_key=OTHER_STRONG,
        public_base_url="https://card.example.org/",
        var_dir=tmp_path,
    )

    assert settings.data_key is not None and settings.data_key.get_secret_value() == OTHER_STRONG
    assert settings.public_base_url == "https://card.example.org"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"public_base_url": "example.org"}, "PUBLIC_BASE_URL"),
        ({"exit_url": "http://example.org"}, "EXIT_URL"),
        ({"sms_backend": "pigeon"}, "SMS_BACKEND"),
        ({"sms_backend": "twilio"}, "TWILIO_ACCOUNT_SID"),
    ],
)
def test_bad_settings_give_a_one_line_reason(
    tmp_path: Path, overrides: dict[str, str], reason: str
) -> None:
    with pytest.raises(ConfigurationError, match=reason) as error:
        load_settings(var_dir=tmp_path, **overrides)

    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "args", [["serve", "--port", "eighty"], ["serve", "--workers", "0"], ["launch"], []]
)
def test_bad_arguments_give_a_one_line_error(tmp_path: Path, args: list[str]) -> None:
    result = run_app(*args, env={"VAR_DIR": str(tmp_path)}, cwd=tmp_path)

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error:")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    url: str
    output: str = ""  # what the server printed, once it has stopped


@contextmanager
def serving(tmp_path: Path, *, port: int) -> Iterator[Served]:
    """`python -m app serve` on `port` in `tmp_path`, with no PUBLIC_BASE_URL in its environment."""
    database_url = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'app.db'}"
    env = {key: value for key, value in os.environ.items() if key != "PUBLIC_BASE_URL"}
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**env, "VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": database_url},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    served = Served(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{served.url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield served
    finally:
        server.terminate()
        try:
            served.output, _ = server.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # its workers too
            served.output, _ = server.communicate()


def test_serve_migrates_and_serves_the_card_as_the_container_would(tmp_path: Path) -> None:
    with serving(tmp_path, port=free_port()) as server:
        card = httpx.get(f"{server.url}/en/")
        ready = httpx.get(f"{server.url}/readyz")

    assert card.status_code == 200
    assert "tel:999" in card.text
    assert ready.status_code == 200
    assert "GET /readyz 200" in server.output
    assert "127.0.0.1:" not in server.output.split("Listening at")[-1].split("\n", 1)[-1]


@pytest.mark.parametrize(
    ("dot_env", "expected"),
    [
        ("", "http://127.0.0.1:{port}"),
        ("PUBLIC_BASE_URL=https://card.example.org\n", "https://card.example.org"),
    ],
)
def test_links_lead_to_the_port_serve_was_started_on_unless_public_base_url_is_set(
    tmp_path: Path, dot_env: str, expected: str
) -> None:
    port = free_port()
    (tmp_path / ".env").write_text(dot_env)

    with serving(tmp_path, port=port) as server:
        about = httpx.get(f"{server.url}/api/v1/").json()

    assert about["openapi_url"] == expected.format(port=port) + "/api/v1/openapi.json"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("0.0.0.0", "http://127.0.0.1:8080"),
        ("::", "http://127.0.0.1:8080"),
        ("::1", "http://[::1]:8080"),
        ("192.168.1.20", "http://192.168.1.20:8080"),
        ("localhost", "http://localhost:8080"),
    ],
)
def test_serve_on_every_address_links_to_this_machine_and_on_one_address_to_that_one(
    host: str, expected: str
) -> None:
    assert development_base_url(host, 8080) == expected
