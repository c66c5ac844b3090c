"""circuits: a destination whose receiver fails is backed off as a whole, and a delivery's
in-place retries are counted apart from its schedule

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("destinations") as batch:
        batch.add_column(
            sa.Column("circuit_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("circuit_open_until", sa.Double(), nullable=True))
        batch.add_column(
            sa.Column("circuit_probes", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(
            sa.Column("retries_in_place", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("retries_in_place")
    with op.batch_alter_table("destinations") as batch:
        batch.drop_column("circuit_probes")
        batch.drop_column("circuit_open_until")
        batch.drop_column("circuit_failures")
