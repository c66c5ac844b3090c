"""gateway processes: the processes sharing the database, each seen by its heartbeat (so
each takes its share of a destination's maxInFlight and maxRate); and an index for the
oldest waiting delivery, which /metrics read by scanning every active one

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "state IN ('pending', 'leased')"


def upgrade() -> None:
    op.create_table(
        "gateway_processes",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("worker", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("seen_at", sa.Double(), nullable=False),
    )
    op.create_index(
        "ix_deliveries_active_created",
        "deliveries",
        ["created_at"],
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_active_created", table_name="deliveries")
    op.drop_table("gateway_processes")
