"""media durations: an audio's or video's length in whole seconds, read from the file as
it is downloaded (media/durations.py), for the formats that show it (whatspie's
``file.seconds``); null when it could not be read

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: no SQLite table rebuild (which would cost the
    # media table's rows a copy for a nullable column).
    op.add_column("media", sa.Column("duration_s", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.drop_column("duration_s")
