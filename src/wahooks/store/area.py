"""What every area of the store shares: one connector, the keyring, the clock, the notifier.

Each area (``store.deliveries``, ``store.media``, …) is a small class of typed async methods
that run that area's operations (generators of named queries) through the connector; the
``Store`` holds one of each, so a caller names the area it works in.
"""

from dataclasses import dataclass

from wahooks.models import Clock
from wahooks.secrets import Keyring
from wahooks.store.base import Connector
from wahooks.store.notifier import Notifier


@dataclass(frozen=True, slots=True)
class StoreParts:
    connector: Connector
    # Encrypts secrets on their way into the database, decrypts them on the way out.
    keyring: Keyring
    clock: Clock
    notifier: Notifier
    media_ttl_s: float


class Area:
    def __init__(self, parts: StoreParts) -> None:
        self.connector = parts.connector
        self.keyring = parts.keyring
        self.clock = parts.clock
        self.notifier = parts.notifier
        self.media_ttl_s = parts.media_ttl_s
