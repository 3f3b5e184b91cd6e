"""The SMS sender's heartbeat: when a sender last finished a tick without an error.

Written to the database (`app_setting`), at most once per `EVERY`, so `/metrics` on any instance
and the `worker` container's health check see it whichever process sends. As a health check:
`python -m app.sms.heartbeat [max-age-seconds]` exits 0 when a tick finished within that many
seconds (default 120), 1 otherwise.
"""

import sys
from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from app.models import AppSetting, utcnow

KEY = "sender_heartbeat"
EVERY = timedelta(seconds=10)  # a write every 10 s at most: not one per 2 s tick
HEALTHY_WITHIN = timedelta(seconds=120)


def beat(db: Session, now: datetime) -> None:
    """Record a finished tick (an upsert: several senders may beat at once). Caller commits."""
    insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.exec(
        insert(AppSetting)
        .values(key=KEY, value=now.isoformat())
        .on_conflict_do_update(index_elements=["key"], set_={"value": now.isoformat()})
    )


def last_tick(db: Session) -> datetime | None:
    setting = db.get(AppSetting, KEY)
    return datetime.fromisoformat(setting.value) if setting and setting.value else None


def main(argv: list[str]) -> int:
    from app.database import make_engine
    from app.settings import load_settings

    within = timedelta(seconds=float(argv[0])) if argv else HEALTHY_WITHIN
    engine = make_engine(load_settings().database_url)
    try:
        with Session(engine) as db:
            last = last_tick(db)
    finally:
        engine.dispose()
    if last is None or utcnow() - last > within:
        print(f"no sender tick within {within.total_seconds():.0f} s (last: {last})")
        return 1
    print(f"last sender tick {last.isoformat()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
