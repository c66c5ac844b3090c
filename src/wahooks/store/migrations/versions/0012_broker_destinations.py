"""broker destinations: where a nats, redis or amqp destination publishes (its URL,
credentials, stream/subject, exchange/routing key, stream key/maxlen), one JSON value
encrypted with the keyring like every destination secret, since the URL may carry a
password

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: webhook and socket destinations have none.
    with op.batch_alter_table("destinations") as batch:
        batch.add_column(sa.Column("broker", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("destinations") as batch:
        batch.drop_column("broker")
