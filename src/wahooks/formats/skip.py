"""How a format says it cannot express an event: ``raise SkipEvent(...)`` from its renderer.

Renderers keep the type ``Callable[[MessageEvent], bytes]``; the exception carries the reason.
A caller that knows the convention finishes the delivery as skipped, with ``reason`` recorded;
one that does not treats it like any failure to render (recorded, nothing wrong is sent).
"""


class SkipEvent(Exception):
    """This format has no shape for this event (type, or message type within it)."""

    def __init__(self, format_name: str, event_type: str, why: str) -> None:
        self.format_name = format_name
        self.event_type = event_type
        self.why = why
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        return f"{self.format_name} format skips {self.event_type}: {self.why}"
