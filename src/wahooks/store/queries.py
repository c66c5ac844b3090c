"""Named SQL queries, procrastinate-style: files of ``-- name: x`` blocks.

``store/queries.sql`` holds the portable SQL both databases run; each connector's own
``queries.sql`` adds the statements that differ (the claim) and may override by name.
Parameters are written ``:name``; the PostgreSQL connector rewrites them to ``$n``.
"""

import re
from pathlib import Path

_HEADER = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


def load_queries(*paths: Path) -> dict[str, str]:
    queries: dict[str, str] = {}
    for path in paths:
        parts = _HEADER.split(path.read_text())
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            lines = [ln for ln in body.strip().splitlines() if not ln.lstrip().startswith("--")]
            queries[name] = "\n".join(lines).strip().rstrip(";")
    return queries


PORTABLE = Path(__file__).parent / "queries.sql"
