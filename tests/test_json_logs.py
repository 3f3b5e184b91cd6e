"""LOG_FORMAT=json: one JSON object a line, with no client address or personal data in it."""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine

from app.logs import JsonFormatter
from app.settings import Settings


def test_a_json_line_has_the_message_and_where_an_error_was_raised_but_not_its_values() -> None:
    try:
        raise ValueError("duplicate key: phone=+447700900982 name=Sam")
    except ValueError:
        record = logging.LogRecord(
            "app.callbacks",
            logging.ERROR,
            __file__,
            1,
            "storing failed (%s)",
            ("ValueError",),
            sys.exc_info(),
        )

    line = JsonFormatter().format(record)

    parsed = json.loads(line)
    assert parsed["level"] == "ERROR"
    assert parsed["logger"] == "app.callbacks"
    assert parsed["message"] == "storing failed (ValueError)"
    assert parsed["exc_type"] == "ValueError"
    assert any("test_json_logs.py" in where for where in parsed["exc_where"])
    assert parsed["time"].endswith("+00:00")
    assert "447700900982" not in line and "Sam" not in line


def test_the_worker_logs_json_lines_when_asked(
    tmp_path: Path, settings: Settings, migrated_engine: Engine
) -> None:
    assert settings.secret_key is not None and settings.data_key is not None
    env = {
        **os.environ,
        "APP_ENV": "test",
        "LOG_FORMAT": "json",
        "DATABASE_URL": settings.database_url,
        "SECRET_KEY": settings.secret_key.get_secret_value(),
        "DATA_KEY": settings.data_key.get_secret_value(),
        "VAR_DIR": str(tmp_path / "var"),
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "app", "worker", "--interval", "0.1"],
            env=env,
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while "SMS sender running" not in log.read_text():
            assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    messages = [line["message"] for line in lines]
    assert "SMS sender running (console backend)" in messages
    assert "SMS sender stopped" in messages
    assert {line["level"] for line in lines} <= {"INFO", "WARNING"}
