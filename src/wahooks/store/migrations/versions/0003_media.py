"""media: stored copies of inbound files, their fetch jobs and expiry

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "state = 'pending'"
HELD = "hold IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("number_id", sa.Text(), nullable=True),
        sa.Column("message_seq", sa.BigInteger(), nullable=True),
        sa.Column("graph_media_id", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("blob_key", sa.Text(), nullable=True),
        sa.Column("mime_type", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=True),
        sa.Column("byte_size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["message_seq"], ["messages.seq"]),
        sa.ForeignKeyConstraint(["number_id"], ["numbers.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    with op.batch_alter_table("media") as batch_op:
        batch_op.create_index("ix_media_expires", ["expires_at"], unique=False)
        batch_op.create_index("ix_media_message", ["message_seq"], unique=False)
        batch_op.create_index(
            "ix_media_pending",
            ["next_attempt_at"],
            unique=False,
            sqlite_where=sa.text(PENDING),
            postgresql_where=sa.text(PENDING),
        )
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.create_index(
            "ix_deliveries_hold",
            ["hold"],
            unique=False,
            sqlite_where=sa.text(HELD),
            postgresql_where=sa.text(HELD),
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_index(
            "ix_deliveries_hold", sqlite_where=sa.text(HELD), postgresql_where=sa.text(HELD)
        )
    op.drop_table("media")
