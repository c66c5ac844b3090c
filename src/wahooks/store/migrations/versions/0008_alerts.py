"""alert e-mails: the conditions to tell of, queued with the change that raised them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "state = 'pending'"


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("alert_email", sa.Text(), nullable=True))
    op.create_table(
        "alerts",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("id", sa.Text(), nullable=False, unique=True),
        sa.Column("tenant_id", sa.Text(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),  # destination_disabled
        sa.Column("subject", sa.Text(), nullable=False),  # what it is about: a destination id
        sa.Column("data", sa.Text(), nullable=False),  # JSON: the condition's context
        sa.Column("state", sa.Text(), nullable=False),  # pending, sent, suppressed, failed
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.Double(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("sent_at", sa.Double(), nullable=True),
    )
    op.create_index(
        "ix_alerts_due",
        "alerts",
        ["next_attempt_at"],
        sqlite_where=sa.text(PENDING),
        postgresql_where=sa.text(PENDING),
    )
    op.create_index("ix_alerts_subject", "alerts", ["kind", "subject", "sent_at"])


def downgrade() -> None:
    op.drop_table("alerts")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("alert_email")
