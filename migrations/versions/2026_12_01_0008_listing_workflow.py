"""A publishing workflow: drafts waiting for approval, who approved each change, watched listings,
temporary closures and the days a listing shows.

Revision ID: 0008_listing_workflow
Revises: 0007_directory_truth
Create Date: 2026-12-01 03:22:44
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_listing_workflow"
down_revision: str | None = "0007_directory_truth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listing_draft",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_listing_draft_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_user.id"],
            name=op.f("fk_listing_draft_user_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_listing_draft")),
    )
    op.create_table(
        "listing_watch",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_listing_watch_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_user.id"],
            name=op.f("fk_listing_watch_user_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "service_id", name=op.f("pk_listing_watch")),
    )
    with op.batch_alter_table("listing_watch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_listing_watch_service_id"), ["service_id"], unique=False
        )

    with op.batch_alter_table("listing_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("approved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("approved_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_listing_change_approved_by_id_staff_user"),
            "staff_user",
            ["approved_by_id"],
            ["id"],
        )

    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_until", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("closed_message", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True)
        )
        batch_op.add_column(sa.Column("show_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("show_until", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_column("show_until")
        batch_op.drop_column("show_from")
        batch_op.drop_column("closed_message")
        batch_op.drop_column("closed_until")

    with op.batch_alter_table("listing_change", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_listing_change_approved_by_id_staff_user"), type_="foreignkey"
        )
        batch_op.drop_column("approved_by")
        batch_op.drop_column("approved_by_id")
        batch_op.drop_column("proposed_at")

    with op.batch_alter_table("listing_watch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_watch_service_id"))

    op.drop_table("listing_watch")
    op.drop_table("listing_draft")
