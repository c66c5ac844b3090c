"""tenancy: operator keys, Apps, pool activations, notices, destination options and health,
conversation labels/notes, recovery jobs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTIVE = "state = 'active'"
PENDING = "state = 'pending'"


def upgrade() -> None:
    op.create_table(
        "operator_keys",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("revoked_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prefix"),
    )
    op.create_table(
        "apps",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("key_prefix", sa.Text(), nullable=True),
        sa.Column("key_hash", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("deleted_at", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
        sa.UniqueConstraint("key_prefix"),
    )
    op.create_index("ix_apps_tenant", "apps", ["tenant_id"])
    with op.batch_alter_table("api_keys") as batch_op:
        batch_op.add_column(sa.Column("label", sa.Text(), nullable=True))
    with op.batch_alter_table("numbers") as batch_op:
        batch_op.alter_column("tenant_id", existing_type=sa.Text(), nullable=True)
        batch_op.add_column(sa.Column("verify_token_hash", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("app_id", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("display_name", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("health", sa.Text(), nullable=False, server_default="unknown")
        )
        batch_op.add_column(sa.Column("health_detail", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("health_checked_at", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", sa.Double(), nullable=True))
        batch_op.create_foreign_key("fk_numbers_app", "apps", ["app_id"], ["id"])
        batch_op.create_index("ix_numbers_verify_token_hash", ["verify_token_hash"])
    op.create_table(
        "activations",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("number_id", sa.Text(), nullable=False),
        sa.Column("code_hash", sa.Text(), nullable=False),
        sa.Column("code_expires_at", sa.Double(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("wa_id", sa.Text(), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("activated_at", sa.Double(), nullable=True),
        sa.Column("deactivated_at", sa.Double(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.ForeignKeyConstraint(["number_id"], ["numbers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number_id", "code_hash", name="uq_activations_code"),
    )
    op.create_index(
        "uq_activations_sender",
        "activations",
        ["number_id", "wa_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )
    op.create_index("ix_activations_tenant", "activations", ["tenant_id", "created_at"])
    op.create_table(
        "notices",
        sa.Column("seq", SEQ, nullable=False),
        sa.Column("number_id", sa.Text(), nullable=False),
        sa.Column("wa_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.Double(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["number_id"], ["numbers.id"]),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index(
        "ix_notices_due",
        "notices",
        ["next_attempt_at"],
        sqlite_where=sa.text(PENDING),
        postgresql_where=sa.text(PENDING),
    )
    op.create_index("ix_notices_recipient", "notices", ["number_id", "wa_id", "kind", "created_at"])
    with op.batch_alter_table("destinations") as batch_op:
        batch_op.add_column(sa.Column("app_id", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("activation_id", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("max_rate", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("max_in_flight", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("ordered", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("previous_secret", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("previous_secret_until", sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("failing_since", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("disabled_at", sa.Double(), nullable=True))
        batch_op.create_foreign_key("fk_destinations_app", "apps", ["app_id"], ["id"])
        batch_op.create_foreign_key(
            "fk_destinations_activation", "activations", ["activation_id"], ["id"]
        )
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.add_column(sa.Column("activation_id", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("external_user_id", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("labels", sa.Text(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("last_message_at", sa.Double(), nullable=True))
        batch_op.drop_constraint("uq_conversations_number_contact", type_="unique")
        batch_op.create_unique_constraint(
            "uq_conversations_tenant_number_contact", ["tenant_id", "number_id", "wa_id"]
        )
        batch_op.create_foreign_key(
            "fk_conversations_activation", "activations", ["activation_id"], ["id"]
        )
        batch_op.create_index("ix_conversations_tenant_recent", ["tenant_id", "last_message_at"])
    op.execute("UPDATE conversations SET last_message_at = last_inbound_at")
    op.create_table(
        "conversation_notes",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("conversation_id", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_conversation_notes_conversation",
        "conversation_notes",
        ["conversation_id", "created_at"],
    )
    op.create_table(
        "recovery_jobs",
        sa.Column("seq", SEQ, nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("destination_id", sa.Text(), nullable=True),
        sa.Column("since", sa.Double(), nullable=False),
        sa.Column("until", sa.Double(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("recovered", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("cursor_seq", sa.BigInteger(), nullable=True),
        sa.Column("lease_until", sa.Double(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("finished_at", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.ForeignKeyConstraint(["destination_id"], ["destinations.id"]),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    op.create_index("ix_recovery_jobs_tenant", "recovery_jobs", ["tenant_id", "seq"])


def downgrade() -> None:
    op.drop_table("recovery_jobs")
    op.drop_table("conversation_notes")
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.drop_index("ix_conversations_tenant_recent")
        batch_op.drop_constraint("fk_conversations_activation", type_="foreignkey")
        batch_op.drop_constraint("uq_conversations_tenant_number_contact", type_="unique")
        batch_op.create_unique_constraint("uq_conversations_number_contact", ["number_id", "wa_id"])
        for column in ("last_message_at", "labels", "external_user_id", "activation_id"):
            batch_op.drop_column(column)
    with op.batch_alter_table("destinations") as batch_op:
        batch_op.drop_constraint("fk_destinations_activation", type_="foreignkey")
        batch_op.drop_constraint("fk_destinations_app", type_="foreignkey")
        for column in (
            "disabled_at",
            "failing_since",
            "consecutive_failures",
            "previous_secret_until",
            "previous_secret",
            "ordered",
            "max_in_flight",
            "max_rate",
            "activation_id",
            "app_id",
        ):
            batch_op.drop_column(column)
    op.drop_table("notices")
    op.drop_table("activations")
    with op.batch_alter_table("numbers") as batch_op:
        batch_op.drop_index("ix_numbers_verify_token_hash")
        batch_op.drop_constraint("fk_numbers_app", type_="foreignkey")
        for column in (
            "deleted_at",
            "updated_at",
            "health_checked_at",
            "health_detail",
            "health",
            "display_name",
            "app_id",
            "verify_token_hash",
        ):
            batch_op.drop_column(column)
        batch_op.alter_column("tenant_id", existing_type=sa.Text(), nullable=False)
    with op.batch_alter_table("api_keys") as batch_op:
        batch_op.drop_column("label")
    op.drop_table("apps")
    op.drop_table("operator_keys")
