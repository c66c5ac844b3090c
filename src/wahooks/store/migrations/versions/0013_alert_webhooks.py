"""alert webhooks: a tenant's alert webhook (URL and its signing secret, encrypted), and
each alert's channel (the e-mail, the operator's webhook, the tenant's webhook), so each is
sent, retried and suppressed on its own and none is sent twice

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("alert_webhook_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("alert_webhook_secret", sa.Text(), nullable=True))
    # Alerts queued before were e-mails only.
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("channel", sa.Text(), nullable=False, server_default="mail"))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("channel")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("alert_webhook_secret")
        batch.drop_column("alert_webhook_url")
