"""Every WAHOOKS_* option in one Settings model: default, one-line doc, validation.

Precedence: WAHOOKS_* environment variables win over the TOML config file
(WAHOOKS_CONFIG or ``--config``), the file wins over defaults. This module is the only
reader of the environment; everything else receives a Settings instance.
"""

import ipaddress
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from wahooks.database_url import KNOWN_PREFIXES, is_sqlite
from wahooks.errors import ConfigError

ENV_PREFIX = "WAHOOKS_"

# Standard Webhooks' recommended schedule, tightened at the start like Pipes.bot's
# (immediately, 2 s, 8 s) so a blip is bridged in seconds: delays in seconds before
# attempt 1, 2, 3, ...
DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (
    0, 2, 8, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400,
)  # fmt: skip
# App (dedicated-number) webhooks, as Pipes.bot's BYON: at once, then 10 s, 60 s, 5 min.
APP_RETRY_SCHEDULE: tuple[float, ...] = (0, 10, 60, 300)


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str = Field(
        "sqlite:///./data/wahooks.db",
        description="Database: sqlite:///path/to/file.db or postgresql://user@host/db.",
    )
    media_url: str = Field("file://./data/media", description="Where media blobs are stored.")
    # --- media
    media_s3_endpoint_url: str = Field(
        "", description="S3-compatible endpoint for s3:// media URLs; empty: AWS's own."
    )
    media_s3_region: str = Field("us-east-1", description="Region of the s3:// media bucket.")
    media_s3_access_key_id: str = Field(
        "", description="Access key id for s3:// media; empty: botocore's credential chain."
    )
    media_s3_secret_access_key: str = Field(
        "", description="Secret access key for s3:// media; empty: botocore's credential chain."
    )
    media_s3_part_bytes: int = Field(
        8 * 1024 * 1024,
        ge=5 * 1024 * 1024,
        le=5 * 1024 * 1024 * 1024,
        description="Part size of S3 multipart uploads (S3's minimum is 5 MiB).",
    )
    media_fetch_attempts: int = Field(
        4, ge=1, le=20, description="Tries to fetch one inbound file from the Graph API."
    )
    media_fetch_timeout_s: float = Field(
        300, gt=0, le=3600, description="Longest time one inbound file download may take (s)."
    )
    media_fetch_backoff_s: float = Field(
        1.0, ge=0, le=60, description="First retry delay of a media fetch; doubles each try (s)."
    )
    media_ttl_s: float = Field(
        48 * 3600, gt=0, description="How long a received file is kept after its message (s)."
    )
    media_grace_s: float = Field(
        3600,
        ge=0,
        description="A file outlives the last delivery that references it by this "
        "much, even past its TTL (s).",
    )
    media_max_retention_s: float = Field(
        30 * 86400, gt=0, description="Files are removed after this long whatever is pending (s)."
    )
    media_concurrency: int = Field(
        4, ge=1, le=100, description="Media downloads from the Graph API at once in this process."
    )
    media_inline_max_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        le=100 * 1024 * 1024,
        description="Largest file sent inline as base64 (REST send, socket media reply); "
        "bigger ones go through POST /v1/media or a URL (bytes).",
    )
    media_url_timeout_s: float = Field(
        60, gt=0, le=3600, description="Longest time fetching a media URL for a send may take (s)."
    )
    outbound_ca_file: str = Field(
        "",
        description="Extra CA certificates (PEM file) outbound TLS trusts, besides the "
        "system's (private CAs, tests).",
    )
    outbound_allow_networks: tuple[str, ...] = Field(
        (),
        description="CIDRs outbound requests may reach though private (development/tests only).",
    )
    outbound_allow_public: bool = Field(
        True,
        description="False: outbound requests reach only outbound_allow_networks, no public "
        "address (a closed network, or a test that must not leave the machine).",
    )
    public_url: str = Field(
        "http://127.0.0.1:8080", description="Base URL customers use to reach this gateway."
    )
    host: str = Field("127.0.0.1", description="Address `wahooks serve` listens on.")
    port: int = Field(8080, ge=0, le=65535, description="Port `wahooks serve` listens on.")
    ingress_max_body_bytes: int = Field(
        1_000_000, ge=1024, description="Largest Meta notification accepted (bytes)."
    )
    api_max_body_bytes: int = Field(
        1_000_000, ge=1024, description="Largest REST API request body accepted (bytes)."
    )
    worker_enabled: bool = Field(True, description="Run the delivery dispatcher here.")
    dispatch_concurrency: int = Field(
        256, ge=1, le=10_000, description="Deliveries in flight at once in this process."
    )
    dispatch_batch: int = Field(
        100, ge=1, le=1000, description="Deliveries claimed per database round trip."
    )
    dispatch_poll_interval_s: float = Field(
        0.5, gt=0, le=60, description="Longest wait between two looks for due deliveries."
    )
    max_timeout_s: float = Field(
        30, ge=1, le=30, description="Longest webhook request timeout; caps every destination's."
    )
    lease_margin_s: float = Field(
        30, ge=1, le=3600, description="A claim outlives the request timeout by this much."
    )
    default_timeout_s: float = Field(
        10, ge=1, le=30, description="Webhook request timeout for new destinations (seconds)."
    )
    default_retry_schedule: tuple[float, ...] = Field(
        DEFAULT_RETRY_SCHEDULE,
        description="Delays (s) before each attempt for new destinations; first is usually 0.",
    )
    app_retry_schedule: tuple[float, ...] = Field(
        APP_RETRY_SCHEDULE,
        description="Delays (s) before each attempt for new App webhooks (Pipes.bot's BYON: "
        "10 s, 60 s, 5 min, then failed).",
    )
    retry_jitter: float = Field(0.2, ge=0, le=0.5, description="Random +/- share of each delay.")
    retry_after_max_s: float = Field(
        86400, ge=1, description="Longest Retry-After from a receiver that is honoured (s)."
    )
    response_excerpt_bytes: int = Field(
        4096, ge=0, le=65536, description="Bytes of each response body kept on the attempt."
    )
    # --- destination pacing and health
    default_max_in_flight: int = Field(
        100,
        ge=1,
        le=10_000,
        description="Requests in flight at once to one destination, in this process, unless "
        "the destination sets maxInFlight.",
    )
    destination_disable_after_failures: int = Field(
        60,
        ge=0,
        le=1_000_000,
        description="A destination failing this many attempts in a row (and for at least "
        "WAHOOKS_DESTINATION_DISABLE_AFTER_S) is disabled (0: never; a 410 always disables).",
    )
    destination_disable_after_s: float = Field(
        3600,
        ge=0,
        le=30 * 86400,
        description="... and only once its failures span at least this long (s).",
    )
    # --- sockets and sending
    socket_fallback_after_attempts: int = Field(
        3,
        ge=0,
        le=50,
        description="Failed webhook attempts before the socket may take a message too (0: never).",
    )
    socket_queue_retention_s: float = Field(
        7 * 86400, gt=0, description="How long an undelivered socket message is kept (s)."
    )
    socket_queue_max_per_sender: int = Field(
        0, ge=0, description="Queued socket messages kept per conversation (0: no cap)."
    )
    socket_lease_s: float = Field(
        60,
        ge=1,
        le=3600,
        description="A socket message awaiting its ack is held this long, "
        "renewed while the connection lives.",
    )
    socket_batch: int = Field(
        100, ge=1, le=1000, description="Socket messages claimed per database round trip."
    )
    socket_max_unacked: int = Field(
        1000, ge=1, description="Messages sent to ack=1 connections and not yet acknowledged."
    )
    socket_ping_interval_s: float = Field(
        20, gt=0, le=600, description="Server WebSocket pings, to find dead peers (s)."
    )
    socket_ping_timeout_s: float = Field(
        20, gt=0, le=600, description="A peer that does not answer a ping in time is closed."
    )
    socket_send_timeout_s: float = Field(
        5,
        gt=0,
        le=300,
        description="A socket peer that takes longer to take one frame is "
        "closed as too slow, so it cannot hold up the tenant's other connections (s).",
    )
    socket_per_message_deflate: bool = Field(
        False, description="Offer WebSocket compression (halves frame throughput on 2 cores)."
    )
    graph_timeout_s: float = Field(
        30, ge=1, le=120, description="Timeout of each Graph API request (s)."
    )
    graph_retry_delays_s: tuple[float, ...] = Field(
        (0.5, 2.0, 5.0),
        description="Delays before retrying a send after a transient "
        "Graph API error (network, 5xx, throttling).",
    )
    # --- pool numbers: activation codes and the replies sent to their senders
    activation_code_ttl_s: float = Field(
        900, ge=1, le=7 * 86400, description="How long an activation code can be used (s)."
    )
    activation_max_pending: int = Field(
        20, ge=1, le=1000, description="Unexpired activation codes a tenant may hold at once."
    )
    notice_activated_text: str = Field(
        "✅ Activated: your messages to this number now reach your bot.",
        min_length=1,
        max_length=4096,
        description="Reply to a sender whose activation code bound them.",
    )
    notice_already_active_text: str = Field(
        "This number is already activated for you.",
        min_length=1,
        max_length=4096,
        description="Reply to an activated sender who sends a code of the same account again.",
    )
    notice_taken_text: str = Field(
        "You are already activated on this number for another account: deactivate that "
        "activation first.",
        min_length=1,
        max_length=4096,
        description="Reply to a sender activated for another tenant on this number who sends "
        "a new code (one account per sender per number).",
    )
    notice_code_used_text: str = Field(
        "This activation code was already used. Request a new one.",
        min_length=1,
        max_length=4096,
        description="Reply to an activation code that was already used.",
    )
    notice_code_expired_text: str = Field(
        "This activation code has expired. Request a new one.",
        min_length=1,
        max_length=4096,
        description="Reply to an expired (or cancelled) activation code.",
    )
    notice_code_unknown_text: str = Field(
        "This activation code is not valid for this number. Check it, or request a new one.",
        min_length=1,
        max_length=4096,
        description="Reply to a message that is only a code matching none of this number's.",
    )
    notice_not_activated_text: str = Field(
        "This number is not activated for you: send your activation code to start.",
        min_length=1,
        max_length=4096,
        description="Reply to a message from a sender nobody activated (rate-limited).",
    )
    notice_deactivated_text: str = Field(
        "Your activation on this number has ended: messages are no longer delivered.",
        min_length=1,
        max_length=4096,
        description="Reply to a message from a deactivated sender (rate-limited).",
    )
    notice_interval_s: float = Field(
        3600,
        ge=0,
        le=30 * 86400,
        description="Not-activated/deactivated replies: at most one per sender, number and "
        "kind in this period; code replies at most 5 (s).",
    )
    notice_attempts: int = Field(
        6, ge=1, le=50, description="Tries to send one notice before it is marked failed."
    )
    notice_backoff_s: float = Field(
        2.0, ge=0, le=3600, description="First retry delay of a notice; doubles each try (s)."
    )
    recovery_chunk_size: int = Field(
        500, ge=1, le=10_000, description="Failed deliveries a recovery job re-queues at once."
    )
    recovery_chunk_pause_s: float = Field(
        0.05, ge=0, le=10, description="Pause between two chunks of a recovery job (s)."
    )
    summary_recent_messages: int = Field(
        10, ge=1, le=100, description="Recent messages in a `summary` format payload."
    )
    maintenance_interval_s: float = Field(
        60, gt=0, le=86400, description="How often queue retention limits are applied (s)."
    )
    sqlite_synchronous: str = Field(
        "FULL", description="SQLite synchronous mode: FULL (durable) or NORMAL."
    )
    pg_pool_min: int = Field(2, ge=1, le=100, description="PostgreSQL connections kept open.")
    pg_pool_max: int = Field(10, ge=1, le=500, description="PostgreSQL connections at most.")
    # --- secrets and number health
    secret_keys: tuple[str, ...] = Field(
        (),
        repr=False,
        description="Fernet keys (comma-separated) encrypting stored secrets; the first "
        "encrypts, all decrypt. Unset: SQLite generates a key file next to the database; "
        "PostgreSQL requires it.",
    )
    number_health_interval_s: float = Field(
        600,
        ge=0,
        le=86400,
        description="How often each number's access token is checked against the Graph "
        "API (s; 0: only on demand).",
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_json: bool = Field(False, description="Write logs as JSON lines.")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(KNOWN_PREFIXES):
            raise ValueError("must start with sqlite:///, postgresql:// or postgres://")
        return value

    @field_validator("media_url")
    @classmethod
    def _known_media_store(cls, value: str) -> str:
        if not value.startswith(("file://", "s3://")):
            raise ValueError("must start with file:// or s3://")
        return value

    @field_validator("outbound_allow_networks", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        # One CIDR from the environment arrives as a plain string, not a list; "" is none.
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            return value
        try:
            return tuple(
                str(ipaddress.ip_network(str(i).strip(), strict=False)) for i in items if str(i)
            )
        except ValueError as exc:
            raise ValueError(f"each entry must be an IP network in CIDR form: {exc}") from exc

    @field_validator("secret_keys", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        # One key from the environment arrives as a plain string, not a list.
        if isinstance(value, str):
            return tuple(k.strip() for k in value.split(",") if k.strip())
        return value

    @field_validator("default_retry_schedule", "app_retry_schedule")
    @classmethod
    def _sane_schedule(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        return validate_retry_schedule(value)

    @field_validator("sqlite_synchronous")
    @classmethod
    def _sync_mode(cls, value: str) -> str:
        if value.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError("must be FULL, NORMAL or EXTRA")
        return value.upper()

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.database_url)

    @property
    def inline_body_bytes(self) -> int:
        """Largest send body or socket frame: the largest inline file as base64 (4 characters
        per 3 bytes) plus room for the rest of the JSON."""
        return -(-self.media_inline_max_bytes // 3) * 4 + 64 * 1024


MAX_RETRY_ATTEMPTS = 50
MAX_RETRY_DELAY_S = 7 * 86400


def validate_retry_schedule(value: tuple[float, ...] | list[float]) -> tuple[float, ...]:
    """Shared by config and the destination API: 1-50 delays, each 0 s to 7 days."""
    if not value:
        raise ValueError("retry schedule needs at least one attempt")
    if len(value) > MAX_RETRY_ATTEMPTS:
        raise ValueError(f"retry schedule allows at most {MAX_RETRY_ATTEMPTS} attempts")
    if any(not 0 <= d <= MAX_RETRY_DELAY_S for d in value):  # NaN compares false: refused
        raise ValueError(f"each retry delay must be between 0 and {MAX_RETRY_DELAY_S} seconds")
    return tuple(float(d) for d in value)


def load_settings(
    environ: Mapping[str, str],
    config_file: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Defaults, then the TOML file, then WAHOOKS_* variables, then explicit overrides."""
    values: dict[str, Any] = {}
    path = config_file or (Path(environ["WAHOOKS_CONFIG"]) if "WAHOOKS_CONFIG" in environ else None)
    if path is not None:
        try:
            values.update(tomllib.loads(path.read_text()))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    for name, field in Settings.model_fields.items():
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is None:
            continue
        values[name] = _parse_env(raw) if field.annotation not in (str,) else raw
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{ENV_PREFIX}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from exc


def _parse_env(raw: str) -> Any:
    """Lists come as JSON (``[0, 5, 60]``) or comma-separated; scalars stay strings for
    pydantic to coerce."""
    text = raw.strip()
    if text.startswith("["):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return raw
    if "," in text:
        return [part.strip() for part in text.split(",")]
    return raw


def describe_options() -> str:
    """One line per option for `wahooks serve --help`."""
    lines = []
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, tuple):
            default = ",".join(f"{d:g}" for d in default)
        lines.append(f"  {ENV_PREFIX}{name.upper():<28} {field.description} [default: {default}]")
    return "\n".join(lines)
