"""Redis Streams: ``XADD`` to the destination's stream key, finished on the entry id Redis
answers, trimmed with ``MAXLEN ~`` when the destination sets one.

An entry's fields: ``body`` (the payload a webhook would get) and the signature headers
under their header names (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``,
...). redis-py's own retries are off: a retried XADD whose first reply was lost would add
the entry twice without the attempt knowing; the delivery's retries decide instead.
"""

import asyncio
import logging

import redis.asyncio
import redis.exceptions
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.typing import EncodableT, FieldT

from wahooks.delivery.brokers.base import (
    ACCESS_REFUSED,
    BROKER_ERROR,
    TIMEOUT,
    UNREACHABLE,
    BrokerFailure,
    BrokerMessage,
    Endpoint,
)
from wahooks.models import BrokerConfig

log = logging.getLogger(__name__)
ACCESS_WORDS = ("NOAUTH", "WRONGPASS", "NOPERM")


class RedisLink:
    def __init__(self, client: "redis.asyncio.Redis", config: BrokerConfig) -> None:
        self._client = client
        self._key = config.stream_key or ""
        self._maxlen = config.maxlen
        self._usable = True

    @classmethod
    async def open(cls, config: BrokerConfig, endpoint: Endpoint, timeout_s: float) -> "RedisLink":
        db = int(endpoint.path) if endpoint.path.isdigit() else 0
        client = redis.asyncio.Redis(
            host=endpoint.address,
            port=endpoint.port,
            db=db,
            username=endpoint.username,
            password=endpoint.password,
            ssl=endpoint.tls,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
            retry_on_error=[],
        )
        link = cls(client, config)
        try:
            await client.ping()
        except Exception as exc:
            await link.close()
            failure = _failure(exc, timeout_s)
            if failure.kind == TIMEOUT:  # not even connected: the broker is not there
                failure = BrokerFailure(UNREACHABLE, f"no connection within {timeout_s:g} s")
            raise failure from exc
        return link

    @property
    def usable(self) -> bool:
        return self._usable

    async def publish(self, message: BrokerMessage) -> str:
        fields: dict[FieldT, EncodableT] = {"body": message.body}
        fields.update(message.headers)
        try:
            async with asyncio.timeout(message.timeout_s):
                entry = await self._client.xadd(
                    self._key, fields, maxlen=self._maxlen, approximate=True
                )
        except Exception as exc:
            failure = _failure(exc, message.timeout_s)
            self._usable = not failure.drop
            raise failure from exc
        return f"entry={entry.decode() if isinstance(entry, bytes) else entry}"

    async def close(self) -> None:
        self._usable = False
        try:
            await self._client.aclose()
        except Exception as exc:
            log.debug("closing redis connection: %s", exc)


def _failure(exc: Exception, timeout_s: float) -> BrokerFailure:
    text = str(exc)
    if isinstance(exc, redis.exceptions.AuthenticationError | redis.exceptions.AuthorizationError):
        return BrokerFailure(ACCESS_REFUSED, text, drop=True)
    if isinstance(exc, redis.exceptions.ResponseError):
        if text.startswith(ACCESS_WORDS) or isinstance(exc, redis.exceptions.NoPermissionError):
            return BrokerFailure(ACCESS_REFUSED, text)
        return BrokerFailure(BROKER_ERROR, text)
    if isinstance(exc, TimeoutError | redis.exceptions.TimeoutError):
        return BrokerFailure(TIMEOUT, f"no XADD reply within {timeout_s:g} s", drop=True)
    return BrokerFailure(UNREACHABLE, f"{type(exc).__name__}: {text}", drop=True)
