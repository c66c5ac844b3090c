"""What happens to a delivery after an attempt: finished, retried in place, held by its
destination's circuit, or moved along its own retry schedule.

- **Succeeded**, or **unrenderable** (every attempt would render it the same way):
  finished; the conversation's next delivery may go.
- **The destination's failure** (circuit.py: no answer, 5xx, 408, 429):
  - if it was the circuit's probe, or the destination had already failed enough in a row to
    open its circuit when this was claimed, the failure is the destination's alone: the
    delivery is due again at once, and its circuit decides when that is. Its schedule does
    not move, however long the outage.
  - otherwise (the destination succeeds for others) it is **retried in place**: again at
    once, then within a second or two (``retry_in_place_delays_s``), outside the schedule,
    so a random 500 costs its conversation milliseconds, not the schedule's minutes.
  - when those retries are spent it is the message's failure after all (a payload the
    receiver chokes on): the schedule applies.
- **The message's failure** (a 4xx other than 408/429, a 3xx, a refused 2xx): the
  destination's retry schedule, honouring ``Retry-After``; when the schedule is used up the
  delivery fails and its conversation moves on.
- **410 Gone** disables the destination; the delivery stays pending for its re-enabling.

A message bus's failures are the destination's (status-less, like no answer at all).

A tenant webhook's delivery is offered to the tenant's socket once it has failed
``socket_fallback_after_attempts`` times (retries in place included); while a tenant
webhook's circuit is open, the socket may take all its deliveries (store: socket_claimable).
"""

from collections.abc import Callable

from wahooks.config import Settings
from wahooks.delivery.circuit import CircuitPolicy, transient
from wahooks.delivery.retry import GONE, THROTTLE_STATUSES, UNRENDERABLE, next_delay
from wahooks.models import AttemptDecision, AttemptResult, ClaimedDelivery, DeliveryMethod
from wahooks.retry import honour_retry_after


def circuit_policy(settings: Settings) -> CircuitPolicy:
    return CircuitPolicy(
        open_after=settings.circuit_open_after_failures,
        probe_delays_s=settings.circuit_probe_delays_s,
        retry_after_max_s=settings.retry_after_max_s,
    )


def decide(
    delivery: ClaimedDelivery,
    result: AttemptResult,
    settings: Settings,
    now: float,
    rand: Callable[[], float],
) -> AttemptDecision:
    if result.succeeded or result.error == UNRENDERABLE:
        return AttemptDecision(result=result, next_attempt_at=None, probe=delivery.probe)
    gone = result.status_code == GONE
    fallback_after = settings.socket_fallback_after_attempts
    tries = delivery.attempts + delivery.retries_in_place + 1
    # The fast retries are spent (or the receiver is gone): the tenant's socket may take it
    # from here too. Not an App's webhook: its sockets got their own copy in parallel; not a
    # message bus's delivery: it waits for its broker (a socket taking it would finish it
    # without it ever reaching the bus).
    offer = (
        fallback_after > 0
        and delivery.destination.method == DeliveryMethod.WEBHOOK
        and delivery.destination.app_id is None
        and (gone or tries >= fallback_after)
    )
    if not gone and transient(result):
        destination = delivery.destination
        failing = (
            circuit_policy(settings).tripped(destination.circuit_failures)
            or destination.circuit_open_until is not None
        )
        if delivery.probe or failing:
            return AttemptDecision(
                result=result,
                next_attempt_at=now,
                advance=False,
                probe=delivery.probe,
                offer_to_socket=offer,
            )
        in_place = settings.retry_in_place_delays_s
        if delivery.retries_in_place < len(in_place):
            soon = in_place[delivery.retries_in_place]
            if result.status_code in THROTTLE_STATUSES:
                soon = honour_retry_after(soon, result.retry_after_s, settings.retry_after_max_s)
            return AttemptDecision(
                result=result,
                next_attempt_at=now + soon,
                advance=False,
                in_place=True,
                offer_to_socket=offer,
            )
    delay = next_delay(
        delivery.destination.retry_schedule,
        delivery.attempts + 1,
        status_code=result.status_code,
        retry_after_s=result.retry_after_s,
        jitter=settings.retry_jitter,
        retry_after_max_s=settings.retry_after_max_s,
        rand=rand,
    )
    if gone:
        # Kept pending, not failed: re-enabling the destination delivers it.
        delay = 0.0 if delay is None else delay
    return AttemptDecision(
        result=result,
        next_attempt_at=None if delay is None else now + delay,
        disable_destination=gone,
        probe=delivery.probe,
        offer_to_socket=offer,
    )
