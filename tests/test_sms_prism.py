"""A second opinion on our Twilio requests: Stoplight Prism serving Twilio's description.

Prism (`@stoplight/prism-cli` from npm) answers 422 to any request the description does not allow.
Skipped unless a `prism` executable is on PATH or named by PRISM_BIN, e.g.
`npm install --prefix /tmp/prism @stoplight/prism-cli@5` and
`PRISM_BIN=/tmp/prism/node_modules/.bin/prism`. The in-process fake checks the same rules always.
"""

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import Engine

from app.settings import Settings
from app.sms.providers import TwilioProvider
from app.sms.sender import Sender
from tests.sms_fake import SPEC_PATH
from tests.sms_support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    DUTY_1,
    NOW,
    add_fallback_team,
    outbox,
    request_callback,
    twilio_settings,
)

PRISM = os.environ.get("PRISM_BIN") or shutil.which("prism")
pytestmark = pytest.mark.skipif(not PRISM, reason="Prism not installed (see module docstring)")


@pytest.fixture(scope="module")
def prism_url() -> Iterator[str]:
    assert PRISM is not None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # -d: made-up answers from the schema, so each message gets its own SID.
    process = subprocess.Popen(
        [PRISM, "mock", "-d", "-h", "127.0.0.1", "-p", str(port), str(SPEC_PATH)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(url + "/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
def settings(tmp_path: Path, prism_url: str) -> Settings:
    return twilio_settings(tmp_path, prism_url)


def test_prism_accepts_every_text_the_sender_sends(
    migrated_engine: Engine, settings: Settings
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    request_callback(migrated_engine, settings)
    provider = TwilioProvider(settings, timeout=5)
    report = Sender.from_settings(migrated_engine, settings, provider).run_once(NOW)
    rows = outbox(migrated_engine)
    assert (report.sent, [row.error_code for row in rows]) == (2, [None, None])
    assert [row.status for row in rows] == ["sent", "sent"]
    assert len({row.provider_sid for row in rows if row.provider_sid}) == 2


def test_prism_refuses_what_the_description_does_not_allow(prism_url: str) -> None:
    url = f"{prism_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    response = httpx.post(url, data={"Body": "no To"}, auth=(ACCOUNT_SID, AUTH_TOKEN))
    assert response.status_code == 422
