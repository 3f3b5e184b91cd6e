"""Creating and changing staff accounts (used by the admin pages and `create-user`)."""

import re
from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session, select

from app.admin.roles import ROLES, Role
from app.models import Team, User, utcnow
from app.security import hash_password, password_problem

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """The account details are not acceptable; the message says which and why."""


def validate_account(db: Session, email: str, role: str, team_name: str | None) -> Team | None:
    if not EMAIL.match(email):
        raise AccountError("Enter an email address like name@example.org")
    if role not in ROLES:
        raise AccountError(f"Choose a role: {', '.join(ROLES)}")
    team = None
    if team_name:
        team = db.exec(select(Team).where(Team.name == team_name)).first()
        if team is None:
            raise AccountError(f"There is no team called {team_name!r}")
    if role == Role.CASEWORKER and team is None:
        raise AccountError("A caseworker must belong to a team")
    return team


def reviewer_languages(role: str, chosen: Collection[str], available: Collection[str]) -> str:
    """A reviewer's languages as stored ("pl,ur"), from the translations that exist; no other
    role has any."""
    if role != Role.REVIEWER:
        return ""
    unknown = sorted(set(chosen) - set(available))
    if unknown:
        raise AccountError(f"There is no translation with the code {', '.join(unknown)}")
    if not chosen:
        raise AccountError("Choose at least one language for a reviewer to check")
    return ",".join(sorted(set(chosen)))


def create_user(
    db: Session,
    email: str,
    role: str,
    password: str,
    team_name: str | None = None,
    must_change_password: bool = False,
    now: datetime | None = None,
    languages: str = "",
) -> User:
    email = email.strip().lower()
    team = validate_account(db, email, role, team_name)
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)
    if db.exec(select(User).where(User.email == email)).first() is not None:
        raise AccountError(f"There is already an account for {email}")
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        team_id=team.id if team else None,
        must_change_password=must_change_password,
        languages=languages,
        created_at=now or utcnow(),
    )
    db.add(user)
    db.flush()
    return user
