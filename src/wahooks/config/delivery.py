"""Options of the webhook dispatcher, and the retry schedules (shared with the destination
API, which validates a destination's own schedule the same way)."""

from pydantic import Field, field_validator

from wahooks.config.base import Options

# Standard Webhooks' recommended schedule, tightened at the start like Pipes.bot's
# (immediately, 2 s, 8 s) so a blip is bridged in seconds: delays in seconds before
# attempt 1, 2, 3, ...
DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (
    0, 2, 8, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400,
)  # fmt: skip
# App (dedicated-number) webhooks, as Pipes.bot's BYON: at once, then 10 s, 60 s, 5 min.
APP_RETRY_SCHEDULE: tuple[float, ...] = (0, 10, 60, 300)


# Retries in place of the destination's failures (delivery/decisions.py): three at once,
# then within a second or two, then every few seconds, ~34 s in all. At once because the
# receiver is up (one that is down opens the circuit within ten failures) and the
# conversation's queue waits on each: draining 280 messages a conversation after an outage
# at 30% random 500s, waits of 0.2 s and 0.5 s from the second retry on cost it ~13 s.
# Enough of them that bad luck never reaches the schedule: at 30%, 1 delivery in 6 million
# spends all 12 (with 4 it was 1 in 400, each such message holding its conversation 10 s,
# 60 s, 5 min: bench/failure.py). A payload the receiver always answers 5xx costs its
# conversation ~34 s before the schedule takes over.
RETRY_IN_PLACE_DELAYS_S: tuple[float, ...] = (0, 0, 0, 0.1, 0.2, 0.5, 1, 2, 5, 5, 10, 10)

# Waits before each probe of an open circuit (delivery/circuit.py), the last repeating:
# every 10 s for the first minute and a half, so a receiver back after a minute's outage is
# found within 10 s (with 20 s and 30 s steps from 38 s on, a 60 s outage was found 11 s
# late: bench/failure.py), then longer, up to every 2 min.
DEFAULT_PROBE_DELAYS_S: tuple[float, ...] = (1, 2, 5, 10, 10, 10, 10, 10, 10, 20, 30, 60, 120)
# Each probe is up to this many requests, 0.2 s apart: a receiver that is back but fails
# 30% of requests at random failed a single-request probe 3 times in 10, and the next probe
# was a minute or two away (bench/failure.py); with 3 tries that is 1 in 37.
PROBE_TRIES = 3
PROBE_RETRY_S = 0.2

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


class DeliveryOptions(Options):
    """The webhook dispatcher: claiming, timeouts, retries, pacing and health, recovery jobs."""

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
    retry_in_place_delays_s: tuple[float, ...] = Field(
        RETRY_IN_PLACE_DELAYS_S,
        description="Delays (s) of the retries in place: a failure that is the destination's "
        "(no answer, 5xx, 408, 429) is retried this soon, outside the destination's schedule, "
        "while the destination otherwise succeeds; when they are spent the schedule applies.",
    )
    circuit_open_after_failures: int = Field(
        10,
        ge=0,
        le=10_000,
        description="A destination whose receiver fails this many attempts in a row (no "
        "answer, 5xx, 408, 429) is backed off as a whole: its circuit opens and only one probe "
        "goes out at a time (0: circuits never open).",
    )
    circuit_probe_delays_s: tuple[float, ...] = Field(
        DEFAULT_PROBE_DELAYS_S,
        description="Waits (s) before each probe of an open circuit; the last one repeats.",
    )
    response_excerpt_bytes: int = Field(
        4096, ge=0, le=65536, description="Bytes of each response body kept on the attempt."
    )
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
    recovery_chunk_size: int = Field(
        500, ge=1, le=10_000, description="Failed deliveries a recovery job re-queues at once."
    )
    recovery_chunk_pause_s: float = Field(
        0.05, ge=0, le=10, description="Pause between two chunks of a recovery job (s)."
    )
    summary_recent_messages: int = Field(
        10, ge=1, le=100, description="Recent messages in a `summary` format payload."
    )

    @field_validator("default_retry_schedule", "app_retry_schedule")
    @classmethod
    def _sane_schedule(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        return validate_retry_schedule(value)

    @field_validator("retry_in_place_delays_s")
    @classmethod
    def _short_retries(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if len(value) > 20 or any(not 0 <= d <= 60 for d in value):
            raise ValueError("at most 20 retries in place, each 0 to 60 seconds")
        return tuple(float(d) for d in value)

    @field_validator("circuit_probe_delays_s")
    @classmethod
    def _probe_waits(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or len(value) > 50 or any(not 0.1 <= d <= 3600 for d in value):
            raise ValueError("1 to 50 probe waits, each 0.1 to 3600 seconds")
        return tuple(float(d) for d in value)
