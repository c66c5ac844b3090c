"""conversations and activations know the user's business-scoped user id (BSUID); groups

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "state = 'active'"


def upgrade() -> None:
    # NULL until a message of the user carries one: conversations and activations made
    # before are found by phone number, and learn the BSUID from the user's next message.
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("user_id", sa.Text(), nullable=True))
        # A group's conversation: wa_id is the group id, replies go to the group.
        batch.add_column(
            sa.Column("is_group", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ix_conversations_user_id", "conversations", ["tenant_id", "number_id", "user_id"]
    )
    with op.batch_alter_table("activations") as batch:
        batch.add_column(sa.Column("user_id", sa.Text(), nullable=True))
    op.create_index(
        "ix_activations_user_id",
        "activations",
        ["number_id", "user_id"],
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("ix_activations_user_id", table_name="activations")
    with op.batch_alter_table("activations") as batch:
        batch.drop_column("user_id")
    op.drop_index("ix_conversations_user_id", table_name="conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("is_group")
        batch.drop_column("user_id")
