"""A directory that tells the truth: chat links, cost, accessibility, the youth team's callback
link, and addresses that are never shown.

Revision ID: 0007_directory_truth
Revises: 0006_security
Create Date: 2026-12-01 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_directory_truth"
down_revision: str | None = "0006_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("address_hidden", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("chat_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch_op.add_column(
            sa.Column("cost", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("accessibility", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch_op.add_column(
            sa.Column("offers_callback", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_column("offers_callback")
        batch_op.drop_column("accessibility")
        batch_op.drop_column("cost")
        batch_op.drop_column("chat_url")

    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.drop_column("address_hidden")
