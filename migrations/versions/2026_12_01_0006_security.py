"""Security: the last TOTP step each staff member used, so a code cannot be used twice.

Also drops the second-factor attempt counters whose bucket names held part of SECRET_KEY (they
are now keyed hashes), and the texts' number hashes of requests already wiped by retention.

Revision ID: 0006_security
Revises: 0005_callbacks_work
Create Date: 2026-12-01 02:45:35.170459
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_security"
down_revision: str | None = "0005_callbacks_work"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.execute("DELETE FROM rate_limit_hit WHERE bucket LIKE 'code:%'")
    op.execute(
        "UPDATE outbound_sms SET to_hash = 'wiped' WHERE callback_id IN "
        "(SELECT id FROM callback_request WHERE wiped_at IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
