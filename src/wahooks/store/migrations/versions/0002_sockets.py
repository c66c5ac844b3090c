"""socket delivery: destination method and event filter, socket leases and fallback

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_DELIVERY = "state IN ('pending', 'leased', 'failed')"
DEFAULT_EVENTS_JSON = '["message:in:new", "message:update", "message:reaction"]'


def upgrade() -> None:
    with op.batch_alter_table("destinations") as batch_op:
        batch_op.add_column(
            sa.Column("method", sa.Text(), nullable=False, server_default="webhook")
        )
        batch_op.add_column(
            sa.Column("events", sa.Text(), nullable=False, server_default=DEFAULT_EVENTS_JSON)
        )
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(sa.Column("data", sa.Text(), nullable=True))
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.add_column(sa.Column("offered_to_socket_at", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("lease_owner", sa.Text(), nullable=True))
        batch_op.create_index(
            "ix_deliveries_tenant_open",
            ["tenant_id", "seq"],
            unique=False,
            sqlite_where=sa.text(OPEN_DELIVERY),
            postgresql_where=sa.text(OPEN_DELIVERY),
        )
    with op.batch_alter_table("attempts") as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.Text(), nullable=False, server_default="webhook")
        )


def downgrade() -> None:
    with op.batch_alter_table("attempts") as batch_op:
        batch_op.drop_column("channel")
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_index(
            "ix_deliveries_tenant_open",
            sqlite_where=sa.text(OPEN_DELIVERY),
            postgresql_where=sa.text(OPEN_DELIVERY),
        )
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("offered_to_socket_at")
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_column("data")
    with op.batch_alter_table("destinations") as batch_op:
        batch_op.drop_column("events")
        batch_op.drop_column("method")
