"""Translation review: reviewers' checks and suggestions, and the languages a reviewer checks.

Revision ID: 0010_translation_review
Revises: 0007_directory_truth
Create Date: 2026-12-01 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_translation_review"
down_revision: str | None = "0007_directory_truth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "translation_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lang", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("text_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_user.id"],
            name=op.f("fk_translation_check_user_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translation_check")),
    )
    with op.batch_alter_table("translation_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_translation_check_lang"), ["lang"], unique=False)

    op.create_table(
        "translation_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lang", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("text_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("was", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("proposed", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["staff_user.id"],
            name=op.f("fk_translation_suggestion_decided_by_staff_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_user.id"],
            name=op.f("fk_translation_suggestion_user_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translation_suggestion")),
    )
    with op.batch_alter_table("translation_suggestion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_translation_suggestion_lang"), ["lang"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_translation_suggestion_status"), ["status"], unique=False
        )

    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "languages",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_column("languages")

    with op.batch_alter_table("translation_suggestion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_translation_suggestion_status"))
        batch_op.drop_index(batch_op.f("ix_translation_suggestion_lang"))

    op.drop_table("translation_suggestion")
    with op.batch_alter_table("translation_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_translation_check_lang"))

    op.drop_table("translation_check")
