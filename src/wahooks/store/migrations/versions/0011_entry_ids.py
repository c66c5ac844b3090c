"""entry ids: the ``entry[].id`` Meta sent a message or status in, kept on its event so the
meta format passes Meta's own value through instead of the registered WABA id

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: events stored before it have none, and formats fall back to the
    # number's WABA id for them, as they did.
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("entry_id", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("entry_id")
