"""Staff sign-in and sessions: throttled failed attempts, timeouts, rotation and revocation; the
second factor's codes, each usable once; and the one throttle on every other password check.

Failed sign-ins are counted per keyed hash of the email address AND the client (`client_key`): a
client that guesses wrong five times waits 15 minutes for that account, while the account's owner,
elsewhere, can still sign in, so nobody can keep someone else's account locked. An unknown
address is throttled the same way as a real one, so the answer never reveals whether an account
exists.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlmodel import Session, col, delete, func, select, update

from app.admin.audit import record
from app.models import AdminSession, RateLimitHit, User
from app.rate_limit import allow, bucket_key
from app.security import keyed_hash, new_token, token_hash, verify_password

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
TOTP_PERIOD = 30  # seconds: a code's step
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    token: str | None
    locked: bool
    failures: int


def _failures(db: Session, bucket: str, now: datetime) -> int:
    since = now - LOCKOUT
    total = db.exec(
        select(func.coalesce(func.sum(RateLimitHit.hits), 0)).where(
            RateLimitHit.bucket == bucket, col(RateLimitHit.window_start) >= since
        )
    ).one()
    return int(total)


def _account_purpose(secret: str, email: str) -> str:
    # The account's part of its sign-in buckets: an admin can clear them all (`clear_sign_in`).
    return "sign-in:" + keyed_hash(secret, "sign-in:" + email.strip().lower())[:16]


def clear_sign_in_failures(db: Session, secret: str, email: str) -> None:
    """Forget an account's failed sign-ins from every client (an admin helping); not committed."""
    prefix = _account_purpose(secret, email) + ":"
    db.execute(delete(RateLimitHit).where(col(RateLimitHit.bucket).startswith(prefix)))


def sign_in(
    db: Session, secret: str, email: str, password: str, now: datetime, client: str
) -> SignInResult:
    """Check a sign-in and record it (session, failure count, audit); the caller commits.

    The caller commits whatever the result: a failed attempt must count towards the throttle.
    `client` is the client's `client_key`.
    """
    email = email.strip().lower()
    bucket = bucket_key(secret, _account_purpose(secret, email), client)
    user = db.exec(select(User).where(User.email == email)).first()
    if _failures(db, bucket, now) >= MAX_FAILED_ATTEMPTS:
        record(db, "sign-in-locked", at=now, user=user, detail="sign-in refused: locked")
        return SignInResult(None, None, True, MAX_FAILED_ATTEMPTS)
    valid = verify_password(user.password_hash if user else None, password)
    if not valid or user is None or not user.active:
        allow(db, bucket, MAX_FAILED_ATTEMPTS, timedelta(minutes=1), now, keep=LOCKOUT)
        failures = _failures(db, bucket, now)
        record(db, "sign-in-failed", at=now, user=user, detail=f"failed attempts: {failures}")
        return SignInResult(None, None, failures >= MAX_FAILED_ATTEMPTS, failures)
    token = new_token()
    staff_session = AdminSession(
        id=token_hash(token),
        user_id=user.id,  # type: ignore[arg-type]
        csrf_token=new_token(),
        second_factor_done=user.totp_secret is None,
        created_at=now,
        last_seen_at=now,
    )
    db.add_all([user, staff_session])
    record(db, "sign-in", at=now, user=user, staff_session=staff_session)
    return SignInResult(user, token, False, 0)


def session_for(db: Session, token: str | None, now: datetime) -> AdminSession | None:
    """The live session for a cookie token, or None if unknown, revoked, idle or too old.

    An idle or expired session is revoked, and a live one's last-seen time moved on (once a
    minute); the caller commits.
    """
    if not token:
        return None
    staff_session = db.get(AdminSession, token_hash(token))
    if staff_session is None or staff_session.revoked_at is not None:
        return None
    idle = now - staff_session.last_seen_at > IDLE_TIMEOUT
    expired = now - staff_session.created_at > ABSOLUTE_TIMEOUT
    if idle or expired:
        staff_session.revoked_at = now
        db.add(staff_session)
        return None
    if now - staff_session.last_seen_at > timedelta(minutes=1):
        staff_session.last_seen_at = now
        db.add(staff_session)
    return staff_session


def revoke_sessions(
    db: Session, user_id: int, now: datetime, only: str | None = None, keep: str | None = None
) -> None:
    """End one session (`only`), or every session of a user but `keep`; the caller commits."""
    statement = update(AdminSession).where(
        col(AdminSession.user_id) == user_id, col(AdminSession.revoked_at).is_(None)
    )
    if only is not None:
        statement = statement.where(col(AdminSession.id) == only)
    if keep is not None:
        statement = statement.where(col(AdminSession.id) != keep)
    db.execute(statement.values(revoked_at=now))


def password_confirmed(db: Session, secret: str, user: User, password: str, now: datetime) -> bool:
    """Check a signed-in person's own password (changing it, removing a second factor, an admin
    changing someone else's credentials): at most 5 tries per 15 minutes, so a stolen session
    cannot become a way to guess the password. Not committed: commit a wrong guess too."""
    bucket = bucket_key(secret, "confirm-password", str(user.id))
    if not allow(db, bucket, MAX_FAILED_ATTEMPTS, LOCKOUT, now):
        return False
    return verify_password(user.password_hash, password)


def accept_code(db: Session, user: User, secret: str, code: str, now: datetime) -> bool:
    """Whether `code` is the TOTP code for `secret` now (or one step either side) and its step is
    later than the last one this user used; if so that step is recorded (not committed), so the
    same code can never be used twice."""
    digits = code.replace(" ", "")
    if not (digits.isdigit() and len(digits) == 6):
        return False
    totp = pyotp.TOTP(secret, interval=TOTP_PERIOD)
    current = int(now.timestamp()) // TOTP_PERIOD
    for step in (current - 1, current, current + 1):
        if totp.verify(digits, for_time=step * TOTP_PERIOD, valid_window=0):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            db.add(user)
            return True
    return False
