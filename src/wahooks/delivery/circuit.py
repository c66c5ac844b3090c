"""Back off the destination, not the message: each webhook destination's circuit.

Whose fault a failed attempt is decides what it costs:

- **The destination's** (``transient``): a timeout, a connection, TLS or network error, a
  5xx, 408 or 429; for a message bus, any refusal (unreachable, no such stream, access
  refused, unroutable). The receiver is unwell, and every message would fare the same.
- **The message's**: any other answer that is not a success (a 4xx, a 3xx, a 2xx the
  format does not count). The receiver is up and refused this one.
- **Neither**: a skipped event, an event that cannot be rendered, our own error.

The circuit counts the destination's failures in a row; any answer of the receiver ends
the run. After ``open_after`` of them (default 10: with 30% of requests failing at random,
ten in a row happen about once in 170,000), or at once on a 429/503 with ``Retry-After``,
it **opens**: nothing of that destination is claimed, and no waiting delivery spends an
attempt. When the wait is over one delivery goes as the **probe**, tried up to
``probe_tries`` (3) times 0.2 s apart, so that a receiver which is back but fails some
requests at random is not taken for dead; if every try fails the next wait is longer
(``probe_delays_s``: 1 s, 2 s, 5 s, every 10 s for a minute, 20 s, 30 s, 60 s, then
every 2 min; a
Retry-After is honoured, up to ``retry_after_max_s``), and if the receiver
answers anything the circuit **closes** and everything due goes out at once. With nothing
due to probe with, the circuit closes but keeps its count: the next failure opens it again
at the same step.

A delivery's own failures are decisions.py's: the destination's failures are retried in
place at once (a random 500 costs its conversation milliseconds), and charged to the
message only after a few, and only while its destination was otherwise succeeding.

The state lives in the destinations row (the store applies what is decided here in the
transaction that records the attempts), so every process sharing a database sees the
same circuit.
"""

from dataclasses import dataclass

from wahooks.config.delivery import DEFAULT_PROBE_DELAYS_S, PROBE_RETRY_S, PROBE_TRIES
from wahooks.delivery.retry import INTERNAL, THROTTLE_STATUSES, UNRENDERABLE
from wahooks.models import AttemptResult, CircuitMove, CircuitState, FailureRun

# Statuses that say "not now" about the receiver, not "no" about the message.
TRANSIENT_STATUSES = frozenset({408, 429}) | THROTTLE_STATUSES
CLOSED = CircuitMove(open_until=None, probes=0)
# Failed before anything was sent: says nothing about the receiver.
NOT_AN_ATTEMPT = frozenset({INTERNAL, UNRENDERABLE})


def transient(result: AttemptResult) -> bool:
    """The failure is the destination's: no answer, a 5xx, 408 or 429."""
    if result.succeeded or result.error in NOT_AN_ATTEMPT:
        return False
    if result.status_code is None:
        return True
    return result.status_code >= 500 or result.status_code in TRANSIENT_STATUSES


def answered(result: AttemptResult) -> bool:
    """The receiver answered, whatever it said, and the failure (if any) is not transient
    (a message bus's confirmation is an answer too)."""
    return result.reached and not transient(result)


@dataclass(frozen=True, slots=True)
class CircuitPolicy:
    open_after: int = 10  # the destination's failures in a row; 0: circuits never open
    probe_delays_s: tuple[float, ...] = DEFAULT_PROBE_DELAYS_S
    retry_after_max_s: float = 86400.0
    probe_tries: int = PROBE_TRIES  # requests per probe, PROBE_RETRY_S apart

    def tripped(self, failures: int) -> bool:
        """Enough failures in a row that they are the destination's, not bad luck."""
        return self.open_after > 0 and failures >= self.open_after

    def wait(self, probes: int, retry_after_s: float | None) -> float:
        """Seconds until the probe request after ``probes`` failed ones: the next try of the
        same probe soon, or the next probe after its step's wait."""
        tries = max(1, self.probe_tries)
        delays = self.probe_delays_s
        if probes % tries:
            wait = PROBE_RETRY_S
        else:
            wait = delays[min(probes // tries, len(delays) - 1)]
        if retry_after_s is not None:
            wait = max(wait, min(retry_after_s, self.retry_after_max_s))
        return wait

    def move(self, run: FailureRun, state: CircuitState, now: float) -> CircuitMove | None:
        """What a batch of attempts does to one destination's circuit (None: nothing)."""
        if run.answered and not run.transient:  # the receiver is up
            is_closed = state.open_until is None and state.probes == 0
            return None if is_closed else CLOSED
        if run.probe_failed:
            probes = state.probes + 1
            return CircuitMove(open_until=now + self.wait(probes, run.retry_after_s), probes=probes)
        throttled = run.retry_after_s is not None and self.open_after > 0
        if state.open_until is None and (self.tripped(state.failures) or throttled):
            wait = self.wait(state.probes, run.retry_after_s)
            return CircuitMove(open_until=now + wait, probes=state.probes)
        return None
