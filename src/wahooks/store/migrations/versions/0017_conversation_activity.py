"""conversation activity: an index in the conversation list's order (newest activity first,
COALESCE(last_message_at, created_at) then id), so its pages are read in index order
instead of sorting all of a tenant's conversations; it replaces (tenant_id,
last_message_at), which no query's order matched. And a contact's conversations by waId.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_conversations_tenant_recent", table_name="conversations")
    op.create_index("ix_conversations_tenant_contact", "conversations", ["tenant_id", "wa_id"])
    op.create_index(
        "ix_conversations_tenant_activity",
        "conversations",
        ["tenant_id", sa.text("COALESCE(last_message_at, created_at)"), "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_tenant_activity", table_name="conversations")
    op.drop_index("ix_conversations_tenant_contact", table_name="conversations")
    op.create_index(
        "ix_conversations_tenant_recent", "conversations", ["tenant_id", "last_message_at"]
    )
