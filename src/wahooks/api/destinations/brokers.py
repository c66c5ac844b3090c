"""The ``broker`` of a message-bus destination (method nats, redis, amqp or sqs): what a
tenant sends, the checks per method, and what it gets back, the URL's password redacted and
the separate password (SQS: the secret access key) never shown (``passwordSet``,
``secretAccessKeySet`` say whether there is one).

Each method takes its own fields and refuses the others': nats a JetStream ``stream`` and
``subject``; redis a ``streamKey`` and an optional ``maxlen``; amqp an ``exchange`` ("" for
the default exchange) and a ``routingKey``; sqs the queue URL as ``url``, a ``region``, the
tenant's ``accessKeyId`` and ``secretAccessKey`` (required: the gateway's own AWS identity
is never used for a tenant) and an optional ``endpointUrl`` (an SQS-compatible server).
"""

import re
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field
from pydantic.alias_generators import to_camel

from wahooks.api.base import ApiModel
from wahooks.errors import InvalidRequest
from wahooks.models import BROKER_METHODS, BrokerConfig, DeliveryMethod

SCHEMES = {
    DeliveryMethod.NATS: ("nats", "tls"),
    DeliveryMethod.REDIS: ("redis", "rediss"),
    DeliveryMethod.AMQP: ("amqp", "amqps"),
    DeliveryMethod.SQS: ("https", "http"),
}
# The fields each method needs, and those it may have; the rest are refused.
REQUIRED = {
    DeliveryMethod.NATS: ("stream", "subject"),
    DeliveryMethod.REDIS: ("stream_key",),
    DeliveryMethod.AMQP: ("exchange", "routing_key"),
    DeliveryMethod.SQS: ("region", "access_key_id", "secret_access_key"),
}
OPTIONAL = {DeliveryMethod.REDIS: ("maxlen",), DeliveryMethod.SQS: ("endpoint_url",)}
SHARED = ("url",)
# Credentials beside the URL; SQS has its own (an access key), never in a URL.
CREDENTIALS = {
    DeliveryMethod.NATS: ("username", "password"),
    DeliveryMethod.REDIS: ("username", "password"),
    DeliveryMethod.AMQP: ("username", "password"),
}
MAX_MAXLEN = 10**9
# NATS names: a stream is one token; a subject is dot-separated tokens, no wildcards (a
# publish goes to one subject).
STREAM_NAME = re.compile(r"^[^\s.*>/\\]{1,255}$")
SUBJECT = re.compile(r"^[^\s.*>]+(\.[^\s.*>]+)*$")
# An SQS queue URL's path: the account, and a queue name of up to 80 characters (a FIFO
# queue's ends in .fifo). The region goes into AWS's host name: letters, digits, dashes.
QUEUE_PATH = re.compile(r"^/\d{12}/(?=[A-Za-z0-9_.-]{1,80}$)[A-Za-z0-9_-]+(\.fifo)?$")
REGION = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$")

Name = Annotated[str, Field(max_length=255)]


class BrokerIn(ApiModel):
    model_config = ApiModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {"url": "nats://nats.example.com:4222", "stream": "WA", "subject": "wa.events"}
            ]
        }
    }

    url: str = Field(
        max_length=2048,
        description="nats:// or tls:// (nats), redis:// or rediss:// with an optional /db "
        "(redis), amqp:// or amqps:// with an optional /vhost (amqp); may carry user:password. "
        "sqs: the queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>).",
    )
    username: str | None = Field(None, max_length=256, description="If not in the URL.")
    password: str | None = Field(
        None, max_length=1024, description="If not in the URL; stored encrypted, never shown."
    )
    stream: Name | None = Field(None, description="nats: the JetStream stream that must take it.")
    subject: Name | None = Field(None, description="nats: the subject published to.")
    exchange: Name | None = Field(None, description='amqp: the exchange ("": the default one).')
    routing_key: Name | None = Field(None, description="amqp: the routing key.")
    stream_key: Annotated[str, Field(min_length=1, max_length=512)] | None = Field(
        None, description="redis: the stream's key (XADD)."
    )
    maxlen: Annotated[int, Field(ge=1, le=MAX_MAXLEN)] | None = Field(
        None, description="redis: XADD MAXLEN ~ this many entries; null: no cap."
    )
    region: Annotated[str, Field(max_length=32)] | None = Field(
        None, description="sqs: the queue's AWS region (e.g. eu-west-1)."
    )
    access_key_id: Annotated[str, Field(min_length=1, max_length=128)] | None = Field(
        None, description="sqs: the access key id that may SendMessage to the queue."
    )
    secret_access_key: Annotated[str, Field(min_length=1, max_length=1024)] | None = Field(
        None, description="sqs: its secret; stored encrypted, never shown."
    )
    endpoint_url: Annotated[str, Field(max_length=2048)] | None = Field(
        None, description="sqs: an SQS-compatible endpoint instead of AWS's (http(s)://host:port)."
    )


class BrokerPatch(BrokerIn):
    """Only the fields given change; the rest stay as they are (the password included)."""

    url: str | None = Field(None, max_length=2048)  # type: ignore[assignment]


class BrokerOut(ApiModel):
    url: str = Field(description="The URL, its password replaced by ***.")
    username: str | None
    password_set: bool = Field(description="A password is stored (in the URL or apart).")
    stream: str | None
    subject: str | None
    exchange: str | None
    routing_key: str | None
    stream_key: str | None
    maxlen: int | None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key_set: bool = Field(False, description="sqs: a secret access key is stored.")
    endpoint_url: str | None = None


def broker_out(config: BrokerConfig | None) -> BrokerOut | None:
    if config is None:
        return None
    parts = urlsplit(config.url)
    return BrokerOut(
        url=config.redacted_url,
        username=config.username or parts.username,
        password_set=bool(config.password or parts.password),
        stream=config.stream,
        subject=config.subject,
        exchange=config.exchange,
        routing_key=config.routing_key,
        stream_key=config.stream_key,
        maxlen=config.maxlen,
        region=config.region,
        access_key_id=config.access_key_id,
        secret_access_key_set=bool(config.secret_access_key),
        endpoint_url=config.endpoint_url,
    )


def new_broker(method: str, given: BrokerIn | None) -> BrokerConfig | None:
    """A created destination's broker, checked for its method (None: not a message bus)."""
    if method not in BROKER_METHODS:
        if given is not None:
            raise InvalidRequest(f"broker: only for methods nats, redis, amqp, sqs (not {method})")
        return None
    if given is None:
        raise InvalidRequest(f"broker: required for method {method}")
    return checked(method, BrokerConfig(**given.model_dump()))


def changed_broker(
    method: str, current: BrokerConfig | None, changes: dict[str, Any] | None, given: bool
) -> BrokerConfig | None:
    """A changed destination's broker: ``changes`` (a PATCH's broker fields, those given)
    over the current one. Switching to webhook or socket drops it."""
    if method not in BROKER_METHODS:
        if given and changes is not None:
            raise InvalidRequest(f"broker: only for methods nats, redis, amqp, sqs (not {method})")
        return None
    if given and changes is None:
        raise InvalidRequest(f"broker: may not be null for method {method}")
    changes = changes or {}
    if "url" in changes and changes["url"] is None:
        raise InvalidRequest("broker.url: may not be null")
    if current is None and not changes.get("url"):
        raise InvalidRequest(f"broker: required (with url) to switch to method {method}")
    merged = replace(current or BrokerConfig(url=""), **changes)
    # Fields another method used are left behind when the method changes.
    kind = DeliveryMethod(method)
    keep = set(SHARED) | set(CREDENTIALS.get(kind, ())) | set(REQUIRED[kind])
    keep |= set(OPTIONAL.get(kind, ()))
    merged = BrokerConfig(**{k: v for k, v in merged.as_json().items() if k in keep})
    return checked(method, merged)


def checked(method: str, config: BrokerConfig) -> BrokerConfig:
    kind = DeliveryMethod(method)
    _check_url(kind, config)
    fields = config.as_json()
    for name in REQUIRED[kind]:
        if fields.get(name) is None:
            raise InvalidRequest(f"broker.{to_camel(name)}: required for method {method}")
    allowed = set(SHARED) | set(CREDENTIALS.get(kind, ()))
    allowed |= set(REQUIRED[kind]) | set(OPTIONAL.get(kind, ()))
    for name in fields:
        if name not in allowed:
            raise InvalidRequest(f"broker.{to_camel(name)}: not used by method {method}")
    if kind is DeliveryMethod.NATS:
        if not STREAM_NAME.match(config.stream or ""):
            raise InvalidRequest(
                "broker.stream: a JetStream stream name (no spaces, '.', '*', '>', '/', '\\')"
            )
        if not SUBJECT.match(config.subject or ""):
            raise InvalidRequest(
                "broker.subject: dot-separated tokens without spaces or wildcards (* >)"
            )
    if kind is DeliveryMethod.AMQP and not config.exchange and not config.routing_key:
        raise InvalidRequest(
            "broker.routingKey: the default exchange routes by queue name: give the queue's"
        )
    if kind is DeliveryMethod.REDIS and any(ord(c) < 0x20 for c in config.stream_key or ""):
        raise InvalidRequest("broker.streamKey: must not contain control characters")
    if kind is DeliveryMethod.SQS:
        _check_sqs(config)
    return config


def _check_sqs(config: BrokerConfig) -> None:
    if not REGION.match(config.region or ""):
        raise InvalidRequest("broker.region: an AWS region name such as eu-west-1")
    for name, value in (
        ("accessKeyId", config.access_key_id),
        ("secretAccessKey", config.secret_access_key),
    ):
        if value is None or not value.isascii() or not value.isprintable() or " " in value:
            raise InvalidRequest(f"broker.{name}: printable ASCII without spaces")
    if config.endpoint_url is not None:
        parts = urlsplit(config.endpoint_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise InvalidRequest("broker.endpointUrl: must be an http:// or https:// URL")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise InvalidRequest("broker.endpointUrl: no user info, query or fragment")
        if parts.path not in ("", "/"):
            raise InvalidRequest("broker.endpointUrl: no path (it is the server's root)")
        if any(ch.isspace() or ord(ch) < 0x20 for ch in config.endpoint_url):
            raise InvalidRequest("broker.endpointUrl: must not contain spaces")
        try:
            parts.port  # noqa: B018  (raises on a port out of range or not a number)
        except ValueError as exc:
            raise InvalidRequest(f"broker.endpointUrl: {exc}") from exc


def _check_url(kind: DeliveryMethod, config: BrokerConfig) -> None:
    url = config.url
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise InvalidRequest("broker.url: must not contain spaces or control characters")
    parts = urlsplit(url)
    schemes = SCHEMES[kind]
    if parts.scheme not in schemes or not parts.hostname:
        shown = " or ".join(f"{s}://" for s in schemes)
        raise InvalidRequest(f"broker.url: must be a {shown} URL with a host")
    try:
        parts.port  # noqa: B018  (raises on a port out of range or not a number)
    except ValueError as exc:
        raise InvalidRequest(f"broker.url: {exc}") from exc
    if parts.query or parts.fragment:
        raise InvalidRequest("broker.url: no query or fragment (options are fields here)")
    path = parts.path.lstrip("/")
    if kind is DeliveryMethod.SQS:
        if parts.username or parts.password:
            raise InvalidRequest("broker.url: the credentials are accessKeyId / secretAccessKey")
        if not QUEUE_PATH.match(parts.path):
            raise InvalidRequest(
                "broker.url: a queue URL's path is /<12-digit account>/<queue name>"
            )
        return
    if kind is DeliveryMethod.NATS and path:
        raise InvalidRequest("broker.url: a nats URL has no path")
    if kind is DeliveryMethod.REDIS and path and not path.isdigit():
        raise InvalidRequest("broker.url: a redis URL's path is the database number")
    if parts.password and config.password:
        raise InvalidRequest("broker.password: the URL carries one already; give one of them")
    if parts.username and config.username:
        raise InvalidRequest("broker.username: the URL carries one already; give one of them")
