"""The impact report: anonymous daily usage counts, and how many cards a batch printed.

Revision ID: 0009_impact_counts
Revises: 0008_listing_workflow
Create Date: 2026-12-01 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_impact_counts"
down_revision: str | None = "0008_listing_workflow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_count",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "kind", "subject", "detail", name=op.f("pk_usage_count")),
    )
    with op.batch_alter_table("card_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cards_printed", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("card_batch", schema=None) as batch_op:
        batch_op.drop_column("cards_printed")

    op.drop_table("usage_count")
