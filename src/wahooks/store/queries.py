"""Named SQL queries, procrastinate-style: files of ``-- name: x`` blocks.

``store/sql/*.sql`` hold the portable SQL both databases run, one file per area; each
connector's own ``queries.sql`` adds the statements that differ (the claim) and may override
by name. A name defined twice among the portable files is an error.
Parameters are written ``:name``; the PostgreSQL connector rewrites them to ``$n``.
"""

import re
from pathlib import Path

_HEADER = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)
_INCLUDE = re.compile(r"/\*include:(\w+)\*/")


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
    # A portable query may leave one part to each database: ``/*include:name*/`` stands for
    # the connector's query ``name`` (the claim's list of seqs is an array in PostgreSQL and a
    # JSON text in SQLite), so the rest of the statement is written once.
    return {name: _INCLUDE.sub(lambda m: queries[m.group(1)], sql) for name, sql in queries.items()}


PORTABLE = sorted((Path(__file__).parent / "sql").glob("*.sql"))
