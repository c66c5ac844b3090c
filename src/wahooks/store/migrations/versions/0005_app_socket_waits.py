"""an App's socket destination queues nothing until the App's first socket connection

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing destinations keep queueing as before (false): only new Apps wait.
    with op.batch_alter_table("destinations") as batch:
        batch.add_column(
            sa.Column("waiting_for_socket", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("destinations") as batch:
        batch.drop_column("waiting_for_socket")
