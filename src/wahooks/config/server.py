"""The process's own options: where it listens, its database, its secrets, its logs."""

from typing import Any

from pydantic import Field, field_validator

from wahooks.config.base import Options
from wahooks.database_url import KNOWN_PREFIXES, is_sqlite


class ServerOptions(Options):
    """Where the gateway listens and keeps its state, how it logs; the secrets it encrypts with."""

    database_url: str = Field(
        "sqlite:///./data/wahooks.db",
        description="Database: sqlite:///path/to/file.db or postgresql://user@host/db.",
    )
    sqlite_synchronous: str = Field(
        "FULL", description="SQLite synchronous mode: FULL (durable) or NORMAL."
    )
    pg_pool_min: int = Field(2, ge=1, le=100, description="PostgreSQL connections kept open.")
    pg_pool_max: int = Field(10, ge=1, le=500, description="PostgreSQL connections at most.")
    public_url: str = Field(
        "http://127.0.0.1:8080", description="Base URL customers use to reach this gateway."
    )
    host: str = Field("127.0.0.1", description="Address `wahooks serve` listens on.")
    port: int = Field(8080, ge=0, le=65535, description="Port `wahooks serve` listens on.")
    http_header_timeout_s: float = Field(
        10,
        gt=0,
        le=600,
        description="A request's headers must arrive within this long, or 408 and close (s).",
    )
    http_body_timeout_s: float = Field(
        60,
        gt=0,
        le=3600,
        description="A request's body must arrive within this long after its headers (s).",
    )
    ingress_max_body_bytes: int = Field(
        1_000_000, ge=1024, description="Largest Meta notification accepted (bytes)."
    )
    api_max_body_bytes: int = Field(
        1_000_000, ge=1024, description="Largest REST API request body accepted (bytes)."
    )
    worker_enabled: bool = Field(True, description="Run the delivery dispatcher here.")
    process_heartbeat_s: float = Field(
        5,
        gt=0,
        le=300,
        description="How often this process tells the database it is alive (s); one silent "
        "for 3 beats no longer counts, and its share of each destination's maxInFlight and "
        "maxRate goes to the others.",
    )
    maintenance_interval_s: float = Field(
        60, gt=0, le=86400, description="How often queue retention limits are applied (s)."
    )
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

    @field_validator("secret_keys", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        # One key from the environment arrives as a plain string, not a list.
        if isinstance(value, str):
            return tuple(k.strip() for k in value.split(",") if k.strip())
        return value

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
