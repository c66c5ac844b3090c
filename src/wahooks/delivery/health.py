"""When the gateway disables a destination by itself, and what it says when it does.

A destination is disabled automatically when its receiver answers **410 Gone**, or when it
has failed ``failures`` attempts in a row (default 60) over at least ``span_s`` seconds
(default 3600): both must hold, so a burst of failures within a minute does not disable it,
and neither does one failure an hour. While its circuit is open (circuit.py) only probes are
attempts, a few an hour, so there the span alone counts: a circuit still open after
``span_s`` of failures disables it too. Any successful attempt ends the run. Skipped events
(a format without a shape for them) and internal errors are neither.

Disabling (decided here as a HealthUpdate; store/destination_ops.py applies it in the
transaction that records the attempt): the
destination stops receiving POSTs; a ``destination:disabled`` event goes to the tenant's
other destinations subscribed to it, and to the tenant's sockets; the destination's pending
deliveries (and those that arrive while it is disabled) are on the tenant's socket queue.
Re-enabling it (``PATCH {"enabled": true}``) resets the count and makes what is still
pending due at once, with a fresh round of its retry schedule.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TypedDict

from wahooks.delivery.circuit import CircuitPolicy, answered, transient
from wahooks.delivery.retry import INTERNAL, THROTTLE_STATUSES
from wahooks.models import AttemptDecision, AttemptResult, FailureRun, HealthUpdate

GONE = 410


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    failures: int = 60  # consecutive failed attempts; 0: never disable for failures
    span_s: float = 3600.0  # ... spanning at least this long
    alert_after: int = 0  # consecutive failed attempts that raise an alert; 0: none

    def trips(
        self, failures: int, failing_since: float | None, now: float, circuit_open: bool = False
    ) -> bool:
        return (
            self.failures > 0
            and (failures >= self.failures or circuit_open)
            and failing_since is not None
            and now - failing_since >= self.span_s
        )

    def reason(self, failures: int, failing_since: float | None, now: float) -> str:
        span = now - (failing_since if failing_since is not None else now)
        return f"{failures} consecutive failed attempts over {_duration(span)}"

    def disable_reason(
        self, failures: int, failing_since: float | None, now: float, circuit_open: bool = False
    ) -> str | None:
        if self.trips(failures, failing_since, now, circuit_open):
            return self.reason(failures, failing_since, now)
        return None


def health_update(
    decisions: Sequence[tuple[AttemptDecision, str]],
    policy: HealthPolicy,
    healthy: Collection[str] = (),
    circuit: CircuitPolicy | None = None,
) -> HealthUpdate:
    """Each destination's run of failed attempts (a success ends it), which answered 410,
    and what its circuit counts (``circuit``: None keeps no circuits). ``healthy``:
    destinations that had no failures when their deliveries were claimed; only successes
    for them change nothing, so the store need not touch them (the hot path). ``str`` is the
    destination id."""
    by_destination: dict[str, list[AttemptDecision]] = {}
    for decision, destination_id in decisions:
        by_destination.setdefault(destination_id, []).append(decision)
    runs: list[FailureRun] = []
    for destination_id, items in by_destination.items():
        ordered = sorted(
            (d.result.started_at, ok) for d in items if (ok := outcome(d.result)) is not None
        )
        gone = next((d for d in items if d.disable_destination), None)
        gone_reason_ = None if gone is None else gone_reason(gone.result.status_code)
        if destination_id in healthy and all(ok for _, ok in ordered):
            reset, failed = False, []  # nothing to count, nothing to reset
        elif any(ok for _, ok in ordered):
            last = max(i for i, (_, ok) in enumerate(ordered) if ok)
            reset, failed = True, ordered[last + 1 :]
        else:
            reset, failed = False, ordered
        if reset or failed or gone_reason_ is not None:
            runs.append(
                FailureRun(
                    destination_id=destination_id,
                    reset=reset,
                    failures=len(failed),
                    since=failed[0][0] if failed else None,
                    gone_reason=gone_reason_,
                    **_circuit_counts(items),
                )
            )
    return HealthUpdate(
        runs=runs,
        disable_reason=policy.disable_reason,
        circuit_move=None if circuit is None else circuit.move,
        alert_after_failures=policy.alert_after,
    )


class _CircuitCounts(TypedDict):
    transient: int
    answered: bool
    probe_failed: bool
    retry_after_s: float | None


def _circuit_counts(items: Sequence[AttemptDecision]) -> _CircuitCounts:
    """The FailureRun fields of circuit.py: the receiver's failures after its last answer."""
    ordered = sorted(items, key=lambda d: d.result.started_at)
    last_answer = max((i for i, d in enumerate(ordered) if answered(d.result)), default=-1)
    failing = [d for d in ordered[last_answer + 1 :] if transient(d.result)]
    throttles = [
        d.result.retry_after_s
        for d in failing
        if d.result.status_code in THROTTLE_STATUSES and d.result.retry_after_s is not None
    ]
    return _CircuitCounts(
        transient=len(failing),
        answered=last_answer >= 0,
        probe_failed=any(d.probe for d in failing),
        retry_after_s=max(throttles, default=None),
    )


def outcome(result: AttemptResult) -> bool | None:
    """True: the receiver took it; False: a failed attempt; None: neither (skipped, or our
    own error), so it leaves the count alone."""
    if result.succeeded:
        return True if result.reached else None
    if result.error == INTERNAL:
        return None
    return False


def gone_reason(status_code: int | None) -> str:
    return f"receiver answered {status_code} Gone"


def _duration(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"
