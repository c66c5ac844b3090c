"""statuses of messages sent elsewhere wait, then are published as external

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "external_state = 'waiting'"


def upgrade() -> None:
    # NULL: a status of ours (or not judged yet); waiting, matched (ours after all) or
    # published (as sent elsewhere). Statuses stored before stay NULL: never re-published.
    with op.batch_alter_table("message_statuses") as batch:
        batch.add_column(sa.Column("external_state", sa.Text(), nullable=True))
    op.create_index(
        "ix_message_statuses_waiting",
        "message_statuses",
        ["created_at"],
        sqlite_where=sa.text(WAITING),
        postgresql_where=sa.text(WAITING),
    )


def downgrade() -> None:
    op.drop_index("ix_message_statuses_waiting", table_name="message_statuses")
    with op.batch_alter_table("message_statuses") as batch:
        batch.drop_column("external_state")
