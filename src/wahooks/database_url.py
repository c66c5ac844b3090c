"""What a ``WAHOOKS_DATABASE_URL`` names: SQLite (a file path) or PostgreSQL (a DSN).

Settings validation, the secret key file (kept next to a SQLite database), the SQLite
connector and the migrations each need to tell the two apart and find the SQLite file; one
reading of the URL keeps them agreeing on which file that is.
"""

from pathlib import Path

SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")
KNOWN_PREFIXES = (SQLITE_PREFIX, *POSTGRES_PREFIXES)


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite:")


def sqlite_path(database_url: str) -> Path:
    """The database file of a ``sqlite:///path`` URL (relative paths from the working
    directory: ``sqlite:///./data/wahooks.db``; absolute: ``sqlite:////var/lib/w.db``)."""
    return Path(database_url.removeprefix(SQLITE_PREFIX))
