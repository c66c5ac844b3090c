"""Payload formats: one module per shape a customer's handler may expect.

A format turns a MessageEvent into the exact bytes POSTed; the registries below are read-only.

**Skipping.** A format that cannot express an event (an event type, or a message type within
one) raises ``SkipEvent`` from its renderer, with the reason. Nothing must be sent then: the
delivery is finished as skipped with ``SkipEvent.reason`` recorded. ``SPECS[name].events``
lists the event types a format expresses, so a delivery for any other type need not be
created at all (``expresses``); a renderer may still skip single messages within those types.

``SPECS`` also says, per format, which HTTP statuses acknowledge a delivery (``accepts``),
which event types go out batched and how (``batch``), and how to read a reply the receiver
put in its response body (``reply``).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from wahooks.formats import meta, pipes, summary, wassenger, whatspie
from wahooks.formats.skip import SkipEvent
from wahooks.formats.whatspie import Reply
from wahooks.models import EventType, MessageEvent

__all__ = [
    "DEFAULT_FORMAT",
    "FORMATS",
    "SPECS",
    "Batch",
    "FormatSpec",
    "SkipEvent",
    "expresses",
    "is_2xx",
    "skipped_events",
]

Renderer = Callable[[MessageEvent], bytes]
"""Renders one event, or raises ``SkipEvent``."""


def is_2xx(status: int) -> bool:
    """The usual rule: any 2xx acknowledges a delivery."""
    return 200 <= status <= 299


@dataclass(frozen=True, slots=True, kw_only=True)
class Batch:
    """Events of ``events`` types go out together, up to ``max_size`` per POST, rendered by
    ``render`` (all of one event type and one destination, oldest first)."""

    events: frozenset[str]
    max_size: int
    render: Callable[[Sequence[MessageEvent]], bytes]


@dataclass(frozen=True, slots=True, kw_only=True)
class FormatSpec:
    render: Renderer
    events: frozenset[str]  # the event types it expresses; others are skipped
    accepts: Callable[[int], bool] = is_2xx  # HTTP statuses that acknowledge a delivery
    batch: Batch | None = None
    # Reads the receiver's response body as a reply to send back to the user:
    # (body, wamid of the message delivered) -> Reply.
    reply: Callable[[bytes, str], Reply] | None = None
    # Renders from the conversation too: the sender loads it into ``event.conversation``
    # (only for such formats, so the others cost no extra read).
    needs_conversation: bool = False
    # Renders from the chat's counts and times and its number's facts: the sender loads
    # them into ``event.chat`` (one statement, only for such formats).
    needs_chat: bool = False


_ALL_EVENTS = frozenset(e.value for e in EventType)

SPECS: Mapping[str, FormatSpec] = MappingProxyType(
    {
        "pipes": FormatSpec(render=pipes.render, events=_ALL_EVENTS),
        "meta": FormatSpec(render=meta.render, events=meta.EVENTS),
        "whatspie": FormatSpec(
            render=whatspie.render, events=whatspie.EVENTS, reply=whatspie.parse_reply
        ),
        "wassenger": FormatSpec(
            render=wassenger.render,
            events=wassenger.EVENTS,
            accepts=wassenger.accepts,
            batch=Batch(
                events=wassenger.BATCHED,
                max_size=wassenger.MAX_BATCH,
                render=wassenger.render_batch,
            ),
            needs_chat=True,
        ),
        "summary": FormatSpec(
            render=summary.render, events=summary.EVENTS, needs_conversation=True
        ),
    }
)

FORMATS: Mapping[str, Renderer] = MappingProxyType({n: s.render for n, s in SPECS.items()})
DEFAULT_FORMAT = "pipes"


def expresses(format_name: str, event_type: str) -> bool:
    """Whether a destination in this format can be sent events of this type at all."""
    return event_type in SPECS[format_name].events


def skipped_events(format_name: str) -> tuple[str, ...]:
    """The event types a destination may subscribe to that this format never sends, for the
    destination's documentation (and for a warning when a destination subscribes to them)."""
    return tuple(
        e.value
        for e in EventType
        if e is not EventType.TEST and e.value not in SPECS[format_name].events
    )
