"""Settings that admins change in the admin, stored in the database (shared by every instance),
and the rule they feed: who must use a second factor.

Admins and caseworkers (who can reveal young people's phone numbers) always must; editors must
too unless an admin relaxes it on the settings page (`EDITORS_NEED_TWO_FACTOR`, on by default).
"""

from sqlmodel import Session

from app.admin.roles import Role
from app.models import AppSetting

EDITORS_NEED_TWO_FACTOR = "editors_need_two_factor"
# Roles that can never go without: they see personal data or change who can.
ALWAYS_TWO_FACTOR = (Role.ADMIN, Role.CASEWORKER)


def get_flag(db: Session, key: str, default: bool = False) -> bool:
    setting = db.get(AppSetting, key)
    return default if setting is None else setting.value == "yes"


def set_flag(db: Session, key: str, value: bool) -> None:
    setting = db.get(AppSetting, key) or AppSetting(key=key)
    setting.value = "yes" if value else "no"
    db.add(setting)


def editors_need_two_factor(db: Session) -> bool:
    return get_flag(db, EDITORS_NEED_TWO_FACTOR, default=True)


def needs_two_factor(db: Session, role: str) -> bool:
    """Whether someone with `role` must have a second factor (the one place this is decided)."""
    return role in ALWAYS_TWO_FACTOR or (role == Role.EDITOR and editors_need_two_factor(db))
