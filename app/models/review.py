"""Translation review tables: a fluent speaker's "Reads right" and their suggested changes.

Both are keyed to the item (`lang`, `item`) and to `text_hash`, the hash of the English and the
translation as they read when the reviewer saw them: a later change to either text leaves the old
check behind, so the item shows "changed since checked".
"""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.base import optional_timestamp, timestamp

OPEN = "open"
APPROVED = "approved"
REJECTED = "rejected"


class TranslationCheck(SQLModel, table=True):
    """A reviewer read this English and this translation side by side and said it reads right."""

    __tablename__ = "translation_check"

    id: int | None = Field(default=None, primary_key=True)
    lang: str = Field(max_length=16, index=True)
    item: str = Field(max_length=300)
    text_hash: str = Field(max_length=64)
    user_id: int | None = Field(default=None, foreign_key="staff_user.id", ondelete="SET NULL")
    at: datetime = timestamp()


class TranslationSuggestion(SQLModel, table=True):
    """A reviewer's better wording for one item; an admin approves it (it goes live) or not."""

    __tablename__ = "translation_suggestion"

    id: int | None = Field(default=None, primary_key=True)
    lang: str = Field(max_length=16, index=True)
    item: str = Field(max_length=300)
    text_hash: str = Field(max_length=64)  # the texts the reviewer saw
    was: str = ""  # the translation the suggestion replaces: applied only while it still reads so
    proposed: str = ""
    note: str = Field(default="", max_length=1000)
    status: str = Field(default=OPEN, max_length=16, index=True)
    user_id: int | None = Field(default=None, foreign_key="staff_user.id", ondelete="SET NULL")
    created_at: datetime = timestamp()
    decided_by: int | None = Field(default=None, foreign_key="staff_user.id", ondelete="SET NULL")
    decided_at: datetime | None = optional_timestamp()
