"""What every message-bus link shares: the message, the failure kinds, the broker's address.

A link publishes one message and returns only once the broker confirmed it; anything else
is a ``BrokerFailure`` whose ``kind`` is the attempt's recorded error. Every kind is the
destination's failure (circuit.py's ``transient``: an attempt without an HTTP status), so
a broker that is down or refuses holds its deliveries back as a dead webhook does.

The address: the URL's host is resolved and every address it resolves to vetted by the
SSRF guard (media/guard.py, the same policy as webhooks'), and a plaintext link connects
to the vetted address itself, so a second lookup cannot send it elsewhere. A TLS link
connects by name, which the certificate check needs: the names were vetted, but a DNS
answer that changes between the check and the connection is not seen.
"""

import socket
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote, urlsplit

from aiohttp.abc import AbstractResolver

from wahooks.media.addresses import AddressPolicy, parse_address
from wahooks.media.guard import ForbiddenAddress, GuardedResolver, check_address
from wahooks.models import BrokerConfig

# The recorded error kinds (attempts' ``error``), beside the webhooks' timeout, connect, ...
UNREACHABLE = "broker_unreachable"  # no connection (refused, reset, no such host, lost)
TIMEOUT = "timeout"  # connected, but no confirmation within the destination's timeout
NO_STREAM = "no_stream"  # NATS: no JetStream stream takes the subject (or not the one named)
ACCESS_REFUSED = "access_refused"  # credentials refused, or no permission for this
NO_EXCHANGE = "no_exchange"  # AMQP: no such exchange (404)
UNROUTABLE = "unroutable"  # AMQP: the mandatory message was returned: no queue is bound
NACKED = "nacked"  # the broker refused the message (AMQP nack, a JetStream error)
NO_QUEUE = "no_queue"  # SQS: no such queue (deleted, or another account's name)
FORBIDDEN = "forbidden_address"  # the SSRF guard refused the broker's address
BROKER_ERROR = "broker_error"  # any other refusal (a Redis key of another type, ...)

# Ports when the URL names none, by scheme.
DEFAULT_PORTS = {
    "nats": 4222,
    "tls": 4222,
    "redis": 6379,
    "rediss": 6379,
    "amqp": 5672,
    "amqps": 5671,
    "http": 80,  # sqs: its endpoint
    "https": 443,
}
TLS_SCHEMES = frozenset({"tls", "rediss", "amqps", "https"})


class BrokerFailure(Exception):
    """A publish the broker did not confirm. ``drop``: the connection is no good any more
    (lost, or refused our credentials); the next attempt dials afresh."""

    def __init__(self, kind: str, detail: str, *, drop: bool = False) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.drop = drop


@dataclass(frozen=True, slots=True)
class BrokerMessage:
    """One publish: the body a webhook would get, and its signature headers."""

    body: bytes
    headers: dict[str, str]  # webhook-id, webhook-timestamp, webhook-signature, ...
    message_id: str  # the webhook-id: consumers (and JetStream) deduplicate on it
    timeout_s: float  # for the broker's confirmation
    group: str = ""  # the conversation (SQS FIFO's MessageGroupId): its order to keep


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A broker URL taken apart, with the address the guard vetted for it."""

    scheme: str
    host: str  # as the URL names it
    port: int
    address: str  # where to connect: the vetted address, or the name for TLS
    username: str | None
    password: str | None
    path: str  # the URL's path, unquoted, without the leading slash (a vhost, a db)

    @property
    def tls(self) -> bool:
        return self.scheme in TLS_SCHEMES

    def url(self, scheme: str | None = None) -> str:
        """``scheme://address:port`` (no credentials: links pass them apart)."""
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{scheme or self.scheme}://{host}:{self.port}"


class BrokerLink(Protocol):
    """One open connection to a destination's broker."""

    @property
    def usable(self) -> bool:
        """False once the connection is lost: the pool dials again."""
        ...

    async def publish(self, message: BrokerMessage) -> str:
        """Publish and wait for the confirmation; returns what the broker said."""
        ...

    async def close(self) -> None: ...


def split_url(config: BrokerConfig, url: str | None = None) -> Endpoint:
    """The config's URL taken apart (not yet vetted: ``address`` is the host). ``url``: the
    address connected to when it is not the config's URL (SQS's endpoint)."""
    parts = urlsplit(url or config.url)
    host = parts.hostname or ""
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    username = config.username or (unquote(parts.username) if parts.username else None)
    password = config.password or (unquote(parts.password) if parts.password else None)
    return Endpoint(
        parts.scheme, host, port, host, username, password, unquote(parts.path.lstrip("/"))
    )


async def vetted(
    endpoint: Endpoint, policy: AddressPolicy, resolver: AbstractResolver | None
) -> Endpoint:
    """The endpoint with the address to connect to, once the guard allowed every address
    its host resolves to. Raises BrokerFailure (forbidden_address, broker_unreachable)."""
    host = endpoint.host
    try:
        if parse_address(host) is not None:
            check_address(policy, host, host)
            address = host
        else:
            guard = GuardedResolver(policy, resolver)
            try:
                found = await guard.resolve(host, endpoint.port, socket.AF_UNSPEC)
            finally:
                if resolver is None:
                    await guard.close()
            address = host if endpoint.tls else found[0]["host"]
    except ForbiddenAddress as exc:
        raise BrokerFailure(FORBIDDEN, str(exc)) from exc
    except OSError as exc:
        raise BrokerFailure(UNREACHABLE, f"cannot resolve {host}: {exc}") from exc
    return Endpoint(
        endpoint.scheme,
        host,
        endpoint.port,
        address,
        endpoint.username,
        endpoint.password,
        endpoint.path,
    )
