"""NATS JetStream: publish to the destination's subject, finished on the stream's PubAck.

The publish names the stream it expects (``Nats-Expected-Stream``), so a subject that some
other stream (or none) takes is refused rather than lost; ``Nats-Msg-Id`` is the
webhook-id, so JetStream itself drops a retry of a message it already stored (within the
stream's duplicate window) and the PubAck says ``duplicate``. The client's own reconnects
are off: a lost connection fails the attempts on it, and the pool dials again with backoff,
as for every broker.
"""

import logging

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client

from wahooks.delivery.brokers.base import (
    ACCESS_REFUSED,
    NACKED,
    NO_STREAM,
    TIMEOUT,
    UNREACHABLE,
    BrokerFailure,
    BrokerMessage,
    Endpoint,
)
from wahooks.models import BrokerConfig

log = logging.getLogger(__name__)
# JetStream's error codes for a stream other than the one named, and for no stream at all.
STREAM_MISMATCH = 10060
STREAM_NOT_FOUND = 10059


async def _quiet(exc: Exception) -> None:
    """The client reports errors here too; the attempt records them, so DEBUG only."""
    log.debug("nats client: %s", exc)


def _refusal(exc: Exception) -> BrokerFailure:
    text = str(exc)
    if isinstance(exc, nats.errors.AuthorizationError) or "authoriz" in text.lower():
        return BrokerFailure(ACCESS_REFUSED, text, drop=True)
    if "permissions violation" in text.lower():
        return BrokerFailure(ACCESS_REFUSED, text)
    return BrokerFailure(UNREACHABLE, f"{type(exc).__name__}: {text}", drop=True)


class NatsLink:
    def __init__(self, client: Client, config: BrokerConfig) -> None:
        self._client = client
        self._js = client.jetstream()
        self._subject = config.subject or ""
        self._stream = config.stream

    @classmethod
    async def open(cls, config: BrokerConfig, endpoint: Endpoint, timeout_s: float) -> "NatsLink":
        options: dict[str, object] = {}
        if endpoint.tls:
            options["tls_hostname"] = endpoint.host
        try:
            client = await nats.connect(
                servers=[endpoint.url()],
                user=endpoint.username,
                password=endpoint.password,
                connect_timeout=timeout_s,
                allow_reconnect=False,
                # 0 would retry the first connection forever; 1 with no wait between gives
                # up after the second refusal (pool.py's backoff takes it from there).
                max_reconnect_attempts=1,
                reconnect_time_wait=0,
                error_cb=_quiet,
                name="wahooks",
                **options,
            )
        except nats.errors.NoServersError as exc:
            where = f"{endpoint.host}:{endpoint.port}"
            raise BrokerFailure(UNREACHABLE, f"no connection to {where}", drop=True) from exc
        except Exception as exc:
            raise _refusal(exc) from exc
        return cls(client, config)

    @property
    def usable(self) -> bool:
        return bool(self._client.is_connected)

    async def publish(self, message: BrokerMessage) -> str:
        headers = {**message.headers, "Nats-Msg-Id": message.message_id}
        try:
            ack = await self._js.publish(
                self._subject,
                message.body,
                timeout=message.timeout_s,
                stream=self._stream,
                headers=headers,
            )
        except nats.js.errors.NoStreamResponseError as exc:
            raise BrokerFailure(NO_STREAM, f"no stream takes subject {self._subject}") from exc
        except nats.js.errors.APIError as exc:
            if exc.err_code in (STREAM_MISMATCH, STREAM_NOT_FOUND):
                raise BrokerFailure(NO_STREAM, exc.description or str(exc)) from exc
            raise BrokerFailure(NACKED, exc.description or str(exc)) from exc
        except nats.errors.TimeoutError as exc:
            raise BrokerFailure(TIMEOUT, f"no PubAck within {message.timeout_s:g} s") from exc
        except nats.errors.Error as exc:
            raise _refusal(exc) from exc
        duplicate = " duplicate" if ack.duplicate else ""
        return f"stream={ack.stream} seq={ack.seq}{duplicate}"

    async def close(self) -> None:
        if not self._client.is_closed:
            try:
                await self._client.close()
            except Exception as exc:  # closing a broken connection: nothing to save
                log.debug("closing nats connection: %s", exc)
