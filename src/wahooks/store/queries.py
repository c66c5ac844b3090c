"""Named SQL queries, procrastinate-style: files of ``-- name: x`` blocks.

``store/sql/*.sql`` hold the portable SQL both databases run, one file per area; each
connector's own ``queries.sql`` adds the statements that differ (the claim) and may override
by name. A name defined twice among the portable files is an error.
Parameters are written ``:name``; the PostgreSQL connector rewrites them to ``$n``.
"""

import re
from pathlib import Path

_HEADER = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


def _parse(path: Path) -> dict[str, str]:
    queries: dict[str, str] = {}
    parts = _HEADER.split(path.read_text())
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise ValueError(f"{path}: query {name} is defined twice")
        lines = [ln for ln in body.strip().splitlines() if not ln.lstrip().startswith("--")]
        queries[name] = "\n".join(lines).strip().rstrip(";")
    return queries


def load_queries(own: Path) -> dict[str, str]:
    """The portable queries, then the connector's ``own`` file (which may override)."""
    queries: dict[str, str] = {}
    for path in PORTABLE:
        for name, sql in _parse(path).items():
            if name in queries:
                raise ValueError(f"{path}: query {name} is also defined in another file")
            queries[name] = sql
    queries.update(_parse(own))
    return queries


PORTABLE = sorted((Path(__file__).parent / "sql").glob("*.sql"))
