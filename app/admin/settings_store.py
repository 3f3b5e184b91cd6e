"""Settings that admins change in the admin, stored in the database (shared by every instance)."""

from sqlmodel import Session

from app.models import AppSetting

ADMINS_NEED_TWO_FACTOR = "admins_need_two_factor"
# One-person teams: whoever proposed a change to a public listing may approve it too (default off).
APPROVE_OWN_DRAFTS = "approve_own_drafts"


def get_flag(db: Session, key: str) -> bool:
    setting = db.get(AppSetting, key)
    return setting is not None and setting.value == "yes"


def set_flag(db: Session, key: str, value: bool) -> None:
    setting = db.get(AppSetting, key) or AppSetting(key=key)
    setting.value = "yes" if value else "no"
    db.add(setting)
