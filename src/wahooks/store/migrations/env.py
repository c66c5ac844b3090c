"""Alembic environment: always driven by wahooks.store.migrate with an open connection."""

from alembic import context

from wahooks.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
