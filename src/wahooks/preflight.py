"""What `wahooks serve` checks before it migrates or starts anything: the port is free, the
database answers, the secret keys are there. Each failure is one ConfigError line (the CLI
prints it and exits 2) instead of a traceback from the middle of startup.
"""

import asyncio
import socket
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from wahooks.config import Settings
from wahooks.database_url import is_sqlite, sqlite_path
from wahooks.errors import ConfigError
from wahooks.secrets import open_keyring

DATABASE_TIMEOUT_S = 5.0


def check_port(host: str, port: int) -> None:
    if port == 0:
        return  # any free port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # The same option uvicorn sets: a port in TIME_WAIT after a restart is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def without_password(database_url: str) -> str:
    """The URL as it may be shown: its password replaced."""
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


async def check_database(database_url: str) -> None:
    shown = without_password(database_url)
    if is_sqlite(database_url):
        folder = sqlite_path(database_url).parent
        probe = folder
        while not probe.exists() and probe.parent != probe:
            probe = probe.parent
        if not probe.is_dir():
            raise ConfigError(f"cannot create the SQLite database {shown}: {probe} is no folder")
        return
    try:
        connection = await asyncpg.connect(database_url, timeout=DATABASE_TIMEOUT_S)
    except (OSError, TimeoutError, asyncpg.PostgresError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"cannot reach the database {shown}: {reason}") from None
    await connection.close()


async def preflight(settings: Settings) -> None:
    check_port(settings.host, settings.port)
    open_keyring(settings.database_url, settings.secret_keys)
    await check_database(settings.database_url)


def run_preflight(settings: Settings) -> None:
    asyncio.run(preflight(settings))
