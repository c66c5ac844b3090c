"""delivery heads: each delivery knows whether it is the head of its conversation's queue to
its destination (for an unordered destination every active delivery is), so a claim reads
heads by destination instead of walking whole queues

The flag is kept by triggers, on both databases, at the only moments it can change: a
delivery leaving the active states (pending, leased) passes the head to the next active one
of its queue; one coming back (re-sent, recovered, re-enabled) takes it from a later one.
Inserts compute it too. On PostgreSQL, processes may finish a head while another inserts
the next delivery of its conversation: both take a transaction lock on the conversation
first and then look with a fresh snapshot, so neither misses the other's change (a delivery
left thinking it is not the head would wait forever).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "state IN ('pending', 'leased')"
HEAD = "state IN ('pending', 'leased') AND head"
# An earlier active delivery of the same queue (NEW's conversation, NEW's destination).
EARLIER = f"""EXISTS (
        SELECT 1 FROM deliveries e
        WHERE e.destination_id = NEW.destination_id AND e.conversation_id = NEW.conversation_id
          AND e.seq < NEW.seq AND e.{ACTIVE})"""
ORDERED = "(SELECT ordered FROM destinations WHERE id = NEW.destination_id)"

# A later migration that recreates `deliveries` on SQLite (batch mode) drops these: it must
# create them again.
SQLITE_TRIGGERS = (
    # Inserted behind an active delivery of its queue: not the head.
    f"""
    CREATE TRIGGER deliveries_head_on_insert AFTER INSERT ON deliveries
    WHEN NEW.conversation_id IS NOT NULL AND NEW.{ACTIVE}
    BEGIN
      UPDATE deliveries SET head = 0 WHERE seq = NEW.seq AND {ORDERED} AND {EARLIER};
    END
    """,
    # The head is done (succeeded, failed, dropped): the next active one is the head.
    f"""
    CREATE TRIGGER deliveries_head_passes AFTER UPDATE OF state ON deliveries
    WHEN OLD.{ACTIVE} AND NOT NEW.{ACTIVE} AND NEW.conversation_id IS NOT NULL AND OLD.head
    BEGIN
      UPDATE deliveries SET head = 1 WHERE seq = (
        SELECT MIN(seq) FROM deliveries
        WHERE destination_id = NEW.destination_id AND conversation_id = NEW.conversation_id
          AND {ACTIVE});
    END
    """,
    # Active again: the head if nothing earlier is active, and then no later one is.
    f"""
    CREATE TRIGGER deliveries_head_returns AFTER UPDATE OF state ON deliveries
    WHEN NOT OLD.{ACTIVE} AND NEW.{ACTIVE} AND NEW.conversation_id IS NOT NULL
    BEGIN
      UPDATE deliveries SET head = 0
      WHERE destination_id = NEW.destination_id AND conversation_id = NEW.conversation_id
        AND {HEAD} AND seq > NEW.seq AND {ORDERED};
      UPDATE deliveries SET head = NOT ({ORDERED} AND {EARLIER}) WHERE seq = NEW.seq;
    END
    """,
)

POSTGRES_FUNCTIONS = (
    f"""
    CREATE FUNCTION deliveries_head_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtextextended('head:' || NEW.conversation_id, 0));
      NEW.head := NOT ({ORDERED} AND {EARLIER});
      RETURN NEW;
    END $$
    """,
    f"""
    CREATE FUNCTION deliveries_head_moves() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtextextended('head:' || NEW.conversation_id, 0));
      IF NEW.{ACTIVE} THEN
        UPDATE deliveries SET head = false
        WHERE destination_id = NEW.destination_id AND conversation_id = NEW.conversation_id
          AND {HEAD} AND seq > NEW.seq AND {ORDERED};
        UPDATE deliveries SET head = NOT ({ORDERED} AND {EARLIER}) WHERE seq = NEW.seq;
      ELSIF OLD.head THEN
        UPDATE deliveries SET head = true WHERE seq = (
          SELECT MIN(seq) FROM deliveries
          WHERE destination_id = NEW.destination_id AND conversation_id = NEW.conversation_id
            AND {ACTIVE});
      END IF;
      RETURN NULL;
    END $$
    """,
)

POSTGRES_TRIGGERS = (
    f"""
    CREATE TRIGGER deliveries_head_on_insert BEFORE INSERT ON deliveries FOR EACH ROW
    WHEN (NEW.conversation_id IS NOT NULL AND NEW.{ACTIVE})
    EXECUTE FUNCTION deliveries_head_on_insert()
    """,
    f"""
    CREATE TRIGGER deliveries_head_moves AFTER UPDATE OF state ON deliveries FOR EACH ROW
    WHEN (NEW.conversation_id IS NOT NULL AND (OLD.{ACTIVE}) <> (NEW.{ACTIVE}))
    EXECUTE FUNCTION deliveries_head_moves()
    """,
)

BACKFILL = f"""
UPDATE deliveries SET head = NOT (
  (SELECT ordered FROM destinations WHERE id = deliveries.destination_id) AND EXISTS (
    SELECT 1 FROM deliveries e
    WHERE e.destination_id = deliveries.destination_id
      AND e.conversation_id = deliveries.conversation_id
      AND e.seq < deliveries.seq AND e.{ACTIVE}))
WHERE {ACTIVE}
"""


def _index(name: str, where: str, *columns: str) -> None:
    op.create_index(
        name,
        "deliveries",
        list(columns),
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("head", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute(BACKFILL)
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    _index("ix_deliveries_heads_due", HEAD, "destination_id", "next_attempt_at")
    _index("ix_deliveries_heads", HEAD, "destination_id", "conversation_id")
    if op.get_bind().dialect.name == "postgresql":
        for statement in (*POSTGRES_FUNCTIONS, *POSTGRES_TRIGGERS):
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in ("deliveries_head_on_insert", "deliveries_head_passes", "deliveries_head_moves"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON deliveries" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS deliveries_head_on_insert()")
        op.execute("DROP FUNCTION IF EXISTS deliveries_head_moves()")
    for name in ("ix_deliveries_heads", "ix_deliveries_heads_due"):
        op.drop_index(name, table_name="deliveries")
    _index("ix_deliveries_due", ACTIVE, "next_attempt_at")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("head")
