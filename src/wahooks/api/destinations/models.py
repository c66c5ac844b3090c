"""The JSON of /v1/destinations: what a tenant sends (DestinationIn, DestinationPatch,
RotateIn) and what it gets back (DestinationOut, TestResult), with the checks the
document states as enums and limits, so generated clients can check them too.
"""

from typing import Annotated, Any, Literal

from pydantic import Field, Strict, field_validator, model_validator

from wahooks.api.base import ApiModel, HttpUrl, examples, iso
from wahooks.api.destinations.brokers import BrokerIn, BrokerOut, BrokerPatch, broker_out
from wahooks.config import MAX_RETRY_ATTEMPTS, MAX_RETRY_DELAY_S, validate_retry_schedule
from wahooks.formats import DEFAULT_FORMAT, FORMATS
from wahooks.models import (
    DEFAULT_EVENTS,
    Destination,
    EventType,
)

Url = Annotated[HttpUrl, Field(max_length=2048)]
SecretField = Annotated[str, Field(min_length=16, max_length=256)]
Label = Annotated[str, Field(max_length=100)]


# Strict: a JSON number, as the document says; lax pydantic took false as 0 and "5" as 5.
Timeout = Annotated[float, Strict(), Field(ge=1, le=30, allow_inf_nan=False)]
MAX_RATE = 1000.0
MAX_IN_FLIGHT = 1000
MaxRate = Annotated[float, Field(gt=0, le=MAX_RATE, allow_inf_nan=False)]
MaxInFlight = Annotated[int, Field(ge=1, le=MAX_IN_FLIGHT)]
DEFAULT_GRACE_S = 86400.0
MAX_GRACE_S = 7 * 86400.0


def _check_format(value: str | None) -> str | None:
    if value is not None and value not in FORMATS:
        raise ValueError(f"unknown format {value!r}; known: {', '.join(sorted(FORMATS))}")
    return value


def _check_schedule(value: list[float] | None) -> list[float] | None:
    return None if value is None else list(validate_retry_schedule(value))


SUBSCRIBABLE = tuple(e.value for e in EventType if e is not EventType.TEST)


# The validators check these; the document lists them too (as enums), so the docs show the
# choices and generated clients can check them.
FormatName = Annotated[str, Field(json_schema_extra={"enum": sorted(FORMATS)})]
EventName = Annotated[str, Field(json_schema_extra={"enum": list(SUBSCRIBABLE)})]
Schedule = Annotated[
    list[
        Annotated[
            float, Strict(), Field(json_schema_extra={"minimum": 0, "maximum": MAX_RETRY_DELAY_S})
        ]
    ],
    Field(json_schema_extra={"minItems": 1, "maxItems": MAX_RETRY_ATTEMPTS}),
]


def _check_events(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    unknown = [e for e in value if e not in SUBSCRIBABLE]
    if unknown:
        raise ValueError(f"unknown event types {unknown}; known: {', '.join(SUBSCRIBABLE)}")
    if not value:
        raise ValueError("must name at least one event type")
    return list(dict.fromkeys(value))


Method = Literal["webhook", "socket", "nats", "redis", "amqp", "sqs"]


class DestinationIn(ApiModel):
    model_config = ApiModel.model_config | examples(
        {
            "url": "https://hooks.example.com/whatsapp",
            "label": "support",
            "events": ["message:in:new", "message:out:ack"],
            "format": "pipes",
            "timeoutSeconds": 10,
            "maxRate": 50,
            "ordered": True,
        },
        {
            "method": "nats",
            "broker": {
                "url": "nats://nats.example.com:4222",
                "stream": "WHATSAPP",
                "subject": "whatsapp.events",
            },
        },
    )

    method: Method = Field(
        "webhook",
        description="webhook: POST to url. socket: the tenant's WebSocket connections, "
        "queued while none is open. nats, redis, amqp, sqs: published into that message bus "
        "(broker), finished when it confirms.",
    )
    url: Url | None = Field(None, description="http(s) URL that receives the POSTs (webhook).")
    broker: BrokerIn | None = Field(
        None, description="Where a nats, redis, amqp or sqs destination publishes."
    )
    events: list[EventName] | None = Field(
        None,
        min_length=1,
        description=f"Event types to receive; default {', '.join(DEFAULT_EVENTS)}.",
    )
    secret: SecretField | None = Field(
        None, description="Signing secret, 16-256 characters; generated when absent."
    )
    label: Label | None = Field(None, description="Sent as pipes.label.")
    number_id: str | None = Field(None, description="Only this number's messages; all if absent.")
    activation_id: str | None = Field(
        None, description="Only this pool activation's conversations (act_…); all if absent."
    )
    app_id: str | None = Field(
        None,
        description="Only this App's events (its numbers'), retried 10 s, 60 s, 5 min by "
        "default; an App key's destinations are always its own App's.",
    )
    format: FormatName = Field(DEFAULT_FORMAT, description="Payload format.")
    timeout_seconds: Timeout | None = Field(None, description="Request timeout, 1-30 s.")
    retry_schedule: Schedule | None = Field(
        None, description="Delays in seconds before attempt 1, 2, ...; first is usually 0."
    )
    max_rate: MaxRate | None = Field(
        None,
        description=f"Most deliveries started per second (0 < maxRate <= {MAX_RATE:g}), in "
        "each gateway process; null: unlimited.",
    )
    max_in_flight: MaxInFlight | None = Field(
        None,
        description=f"Most requests at once (1-{MAX_IN_FLIGHT}), in each gateway process; "
        "null: the gateway's default (WAHOOKS_DEFAULT_MAX_IN_FLIGHT).",
    )
    ordered: bool = Field(
        True,
        description="Deliver a conversation's events one at a time, oldest first; false lets "
        "them go concurrently (a failing one does not hold up the next).",
    )

    _format = field_validator("format")(_check_format)
    _schedule = field_validator("retry_schedule")(_check_schedule)
    _events = field_validator("events")(_check_events)

    @model_validator(mode="after")
    def _webhook_has_url(self) -> "DestinationIn":
        if self.method == "webhook" and self.url is None:
            raise ValueError("url: required for a webhook destination")
        return self


class DestinationPatch(ApiModel):
    """Only the fields given change. ``secret`` replaces the secret at once (no grace
    period: see rotate-secret); ``maxRate``/``maxInFlight`` null go back to the default."""

    model_config = ApiModel.model_config | examples({"enabled": True, "maxInFlight": 20})

    method: Method | None = None
    events: list[EventName] | None = Field(None, min_length=1)
    url: Url | None = None
    broker: BrokerPatch | None = Field(
        None, description="The broker fields given change (the password kept unless given)."
    )
    secret: SecretField | None = None
    label: Label | None = None
    number_id: str | None = None
    activation_id: str | None = None
    format: FormatName | None = None
    timeout_seconds: Timeout | None = None
    retry_schedule: Schedule | None = None
    max_rate: MaxRate | None = None
    max_in_flight: MaxInFlight | None = None
    ordered: bool | None = None
    enabled: bool | None = Field(
        None,
        description="false: no more POSTs (deliveries wait). true: resumes a disabled "
        "destination; what is still pending is due at once.",
    )

    _format = field_validator("format")(_check_format)
    _schedule = field_validator("retry_schedule")(_check_schedule)
    _events = field_validator("events")(_check_events)


class RotateIn(ApiModel):
    model_config = ApiModel.model_config | examples({"graceSeconds": 3600})

    secret: SecretField | None = Field(
        None, description="The new secret, 16-256 characters; generated when absent."
    )
    grace_seconds: float = Field(
        DEFAULT_GRACE_S,
        ge=0,
        le=MAX_GRACE_S,
        allow_inf_nan=False,
        description="How long the old secret keeps signing too (default 24 h, at most 7 "
        "days; 0: not at all).",
    )


class DestinationOut(ApiModel):
    id: str
    method: str
    events: list[str]
    url: str | None
    label: str | None
    number_id: str | None
    activation_id: str | None
    format: str
    timeout_seconds: float
    retry_schedule: list[float]
    max_rate: float | None = Field(description="Deliveries per second; null: unlimited.")
    max_in_flight: int | None = Field(description="Requests at once; null: the default.")
    ordered: bool
    enabled: bool
    disabled_reason: str | None
    disabled_at: str | None = Field(
        description="When the gateway disabled it (410, or failing too long); null otherwise."
    )
    consecutive_failures: int = Field(description="Failed attempts since the last success.")
    failing_since: str | None = Field(description="When the current run of failures began.")
    circuit: "CircuitOut" = Field(
        description="Its receiver's health as delivery sees it: while open, only one probe "
        "goes out at a time and waiting deliveries spend no attempts (docs/delivery.md)."
    )
    previous_secret_expires_at: str | None = Field(
        description="Until then the previous secret signs every delivery too (rotation)."
    )
    created_at: str | None
    app_id: str | None = None
    broker: BrokerOut | None = Field(
        None, description="A message bus destination's broker (its password never shown)."
    )
    secret: str | None = Field(None, description="Only in the answer that created or set it.")


class CircuitOut(ApiModel):
    state: str = Field(description="closed, or open (backed off: probes only).")
    failures: int = Field(
        description="The receiver's failures in a row (no answer, 5xx, 408, 429)."
    )
    next_probe_at: str | None = Field(description="While open: when the next probe goes out.")
    failed_probes: int


class TestResult(ApiModel):
    success: bool
    status_code: int | None
    latency_ms: float
    response_excerpt: str
    error: str | None
    webhook_id: str
    format: str = Field(description="The payload format the test was rendered in.")
    payload: Any = Field(description="The JSON body that was POSTed (test: true in it).")
    signature_headers: dict[str, str] = Field(
        description="The signing headers sent: webhook-id, webhook-timestamp, "
        "webhook-signature, X-Pipes-Signature, X-Hub-Signature-256 (and the -Previous ones "
        "during a secret rotation)."
    )


def _out(d: Destination, now: float, *, with_secret: bool = False) -> DestinationOut:
    _, previous = d.signing_secrets(now)
    return DestinationOut(
        id=d.id,
        method=d.method,
        events=list(d.events),
        url=d.url or None,
        label=d.label,
        number_id=d.number_id,
        activation_id=d.activation_id,
        format=d.format,
        timeout_seconds=d.timeout_s,
        retry_schedule=list(d.retry_schedule),
        max_rate=d.max_rate,
        max_in_flight=d.max_in_flight,
        ordered=d.ordered,
        enabled=d.enabled,
        disabled_reason=d.disabled_reason,
        disabled_at=iso(d.disabled_at),
        consecutive_failures=d.consecutive_failures,
        failing_since=iso(d.failing_since),
        circuit=CircuitOut(
            state="closed" if d.circuit_open_until is None else "open",
            failures=d.circuit_failures,
            next_probe_at=iso(d.circuit_open_until),
            failed_probes=d.circuit_probes,
        ),
        previous_secret_expires_at=iso(d.previous_secret_until) if previous else None,
        created_at=iso(d.created_at),
        app_id=d.app_id,
        broker=broker_out(d.broker),
        secret=d.secret if with_secret else None,
    )
