"""Store: the typed operations the rest of the gateway uses, over one connector."""

import logging
import time

from wahooks.config import Settings
from wahooks.errors import ConfigError
from wahooks.models import (
    Clock,
)
from wahooks.secrets import SETTING as SECRET_KEYS_SETTING
from wahooks.secrets import Keyring, SecretUnreadable, open_keyring
from wahooks.store import keys_ops
from wahooks.store.activations import Activations
from wahooks.store.alerts import Alerts
from wahooks.store.apps import Apps
from wahooks.store.area import StoreParts
from wahooks.store.base import Connector, FetchOne, Operation, Row
from wahooks.store.conversations import Conversations
from wahooks.store.deliveries import Deliveries
from wahooks.store.destinations import Destinations
from wahooks.store.inbound import Inbound
from wahooks.store.media import Media
from wahooks.store.migrate import upgrade
from wahooks.store.notices import Notices
from wahooks.store.notifier import Notifier
from wahooks.store.numbers import Numbers
from wahooks.store.processes import Processes
from wahooks.store.recoveries import Recoveries
from wahooks.store.socket_queue import SocketQueue
from wahooks.store.stats import Stats
from wahooks.store.tenants import Tenants

log = logging.getLogger(__name__)


class Store:
    """The durable state, by area: ``store.deliveries.claim_due(...)``,
    ``store.media.claim(...)``; one connector, keyring, clock and notifier under them all."""

    def __init__(
        self,
        connector: Connector,
        *,
        keyring: Keyring,
        clock: Clock = time.time,
        media_ttl_s: float = 48 * 3600,
    ) -> None:
        self.connector = connector
        self.keyring = keyring
        self.clock = clock
        self.media_ttl_s = media_ttl_s
        self.notifier = Notifier(connector)
        parts = StoreParts(connector, keyring, clock, self.notifier, media_ttl_s)
        self.tenants = Tenants(parts)
        self.numbers = Numbers(parts)
        self.destinations = Destinations(parts)
        self.inbound = Inbound(parts)
        self.deliveries = Deliveries(parts)
        self.media = Media(parts)
        self.socket_queue = SocketQueue(parts)
        self.activations = Activations(parts)
        self.notices = Notices(parts)
        self.apps = Apps(parts)
        self.conversations = Conversations(parts)
        self.recoveries = Recoveries(parts)
        self.alerts = Alerts(parts)
        self.stats = Stats(parts)  # the dashboard's charts
        self.processes = Processes(parts)

    async def close(self) -> None:
        await self.notifier.stop()
        await self.connector.close()

    async def schema_version(self) -> str | None:
        """The migration the database is at (readiness: reachable, and current)."""
        row = await self.connector.read(_schema_version())
        return None if row is None else str(row["version_num"])

    async def reseal_secrets(self) -> int:
        """Encrypt stored plaintext secrets and re-encrypt those under an older key;
        SecretUnreadable if a stored secret cannot be decrypted (a wrong key)."""
        found = await self.connector.read(keys_ops.find_reseal(self.keyring))
        if not found:
            return 0
        return await self.connector.transaction(keys_ops.apply_reseal(found))


def _schema_version() -> Operation[Row | None]:
    row: Row | None = yield FetchOne("schema_version")
    return row


async def open_store(settings: Settings, *, clock: Clock = time.time) -> Store:
    """Migrate the database to the newest schema, then open a connector for it; stored
    secrets are checked against the keys (and sealed, see Store.reseal_secrets)."""
    keyring = open_keyring(settings.database_url, settings.secret_keys)
    await upgrade(settings.database_url)
    connector: Connector
    if settings.is_sqlite:
        from wahooks.store.sqlite.connector import SqliteConnector

        connector = SqliteConnector(settings.database_url, synchronous=settings.sqlite_synchronous)
    else:
        from wahooks.store.postgres.connector import PostgresConnector

        connector = PostgresConnector(
            settings.database_url, min_size=settings.pg_pool_min, max_size=settings.pg_pool_max
        )
    await connector.open()
    store = Store(
        connector,
        keyring=keyring,
        clock=clock,
        media_ttl_s=settings.media_ttl_s,
    )
    try:
        sealed = await store.reseal_secrets()
    except SecretUnreadable as exc:
        await connector.close()
        raise ConfigError(
            f"{SECRET_KEYS_SETTING} cannot decrypt the secrets stored in this database: the "
            "key that encrypted them is not among the configured keys (a wrong or missing key)"
        ) from exc
    except BaseException:
        await connector.close()
        raise
    if sealed:
        log.info("encrypted or re-encrypted the stored secrets of %d row(s)", sealed)
    return store
