"""`python -m app rotate-data-key`: after it, the old key can be dropped from DATA_KEY and every
stored number, name and sign-in secret still reads; what no key reads is reported, never lost."""

import contextlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.__main__ import main
from app.callbacks.requests import CallbackDetails, Stored, create_callback
from app.models import CallbackRequest, OutboundSms, Team, User
from app.security import DataCipher, Keys
from app.settings import Settings
from tests.admin_helpers import NOON

OLD_KEY = "old-data-key-" + "a" * 32
NEW_KEY = "new-data-key-" + "b" * 32
LOST_KEY = "lost-data-key-" + "c" * 32
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
# Three requests (each with a team alert and a confirmation text), batches of two rows.
PEOPLE = [("+447700900101", "Sam"), ("+447700900102", ""), ("+447700900103", "Ali")]


def _same(text: str) -> str:
    return text


def store_under(engine: Engine, settings: Settings, key: str) -> None:
    """Personal data as the app stores it, all encrypted with `key`."""
    keys = Keys(DataCipher(key), settings.secret_key.get_secret_value())  # type: ignore[union-attr]
    with Session(engine) as db:
        db.add(Team(name="North", areas="LU1", duty_phones="+447700900900"))
        db.add(
            User(
                email="ana@example.org",
                password_hash="-",
                role="admin",
                totp_secret=keys.cipher.encrypt(TOTP_SECRET),
                created_at=NOON,
            )
        )
        db.commit()
        for phone, name in PEOPLE:
            details = CallbackDetails(
                phone=phone,
                name=name,
                best_time="today",
                need=None,
                area="LU1",
                lang="en",
                call_lang="en",
                text_ok=True,
                say_who=False,
            )
            stored = create_callback(
                engine, [], details, keys, NOON, timedelta(hours=24), "https://card.example", _same
            )
            assert isinstance(stored, Stored)


def rotate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: Settings, data_key: str
) -> int:
    """Run the command as an operator would, with DATA_KEY set; its exit status."""
    monkeypatch.chdir(tmp_path)  # no .env from the working directory
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SECRET_KEY", settings.secret_key.get_secret_value())  # type: ignore[union-attr]
    monkeypatch.setenv("DATA_KEY", data_key)
    try:
        main(["rotate-data-key", "--batch-size", "2"])
    except SystemExit as exit:
        return int(exit.code or 0)
    return 0


def stored_values(engine: Engine) -> list[str]:
    with Session(engine) as db:
        requests = db.exec(select(CallbackRequest)).all()
        texts = db.exec(select(OutboundSms)).all()
        users = db.exec(select(User)).all()
    values = [request.phone_encrypted for request in requests]
    values += [request.name_encrypted for request in requests]
    values += [text.to_encrypted for text in texts] + [user.totp_secret for user in users]
    return [value for value in values if value is not None]


def readable_with(key: str, values: list[str]) -> list[str]:
    cipher = DataCipher(key)
    readable = []
    for value in values:
        with contextlib.suppress(ValueError):
            readable.append(cipher.decrypt(value))
    return readable


def test_after_rotating_the_new_key_alone_reads_everything(
    migrated_engine: Engine,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store_under(migrated_engine, settings, OLD_KEY)
    before = readable_with(OLD_KEY, stored_values(migrated_engine))
    assert readable_with(NEW_KEY, stored_values(migrated_engine)) == []

    status = rotate(monkeypatch, tmp_path, settings, f"{NEW_KEY},{OLD_KEY}")

    after = stored_values(migrated_engine)
    assert status == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "re-encrypted 3 callback requests, 6 texts, 1 sign-in secret; 0 could not be read"
    )
    assert sorted(readable_with(NEW_KEY, after)) == sorted(before)
    assert readable_with(OLD_KEY, after) == []
    assert {phone for phone, _name in PEOPLE} | {"Sam", "Ali", TOTP_SECRET} <= set(before)


def test_a_value_no_key_reads_is_reported_and_kept(
    migrated_engine: Engine,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store_under(migrated_engine, settings, OLD_KEY)
    with Session(migrated_engine) as db:
        user = db.exec(select(User)).one()
        user.totp_secret = lost = DataCipher(LOST_KEY).encrypt(TOTP_SECRET)
        db.add(user)
        db.commit()
        user_id = user.id

    status = rotate(monkeypatch, tmp_path, settings, f"{NEW_KEY},{OLD_KEY}")

    output = capsys.readouterr()
    assert status == 1
    assert output.out.splitlines()[-1] == (
        "re-encrypted 3 callback requests, 6 texts, 0 sign-in secrets; 1 could not be read"
    )
    assert f"sign-in secret {user_id}: totp_secret" in output.err
    with Session(migrated_engine) as db:
        assert db.get_one(User, user_id).totp_secret == lost
    assert DataCipher(LOST_KEY).decrypt(lost) == TOTP_SECRET
