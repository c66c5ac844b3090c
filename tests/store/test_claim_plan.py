"""The claim reads destinations first, then each one's due heads by index (SQLite's plan).

What the claim must never do is walk the deliveries waiting behind an open circuit or behind
their conversation's head: a million of them would cost every claim a million rows. The
plan shows it: destinations are scanned (a small table), deliveries only searched through
ix_deliveries_heads_due by destination and due time.
"""

import sqlite3
from pathlib import Path

from wahooks.config import Settings
from wahooks.store import open_store
from wahooks.store.sqlite.connector import QUERIES


async def test_the_claim_searches_heads_by_destination(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/wahooks.db"
    store = await open_store(Settings(database_url=url))  # migrated
    await store.close()
    with sqlite3.connect(tmp_path / "wahooks.db") as db:
        params = {"probe": None, "paused": "[]", "now": 1.0, "lease_until": 2.0, "limit": 10}
        plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + QUERIES["claim_due"], params)]
    deliveries = [step for step in plan if " d " in f" {step} "]
    assert "SCAN t" in plan, plan
    assert deliveries == [
        "SEARCH d USING INDEX ix_deliveries_heads_due (destination_id=? AND next_attempt_at<?)"
    ], plan
