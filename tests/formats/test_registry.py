"""The format registry: every format registered, what each expresses, and the skip rule
(a renderer either renders an expressed event type or raises SkipEvent, never both)."""

from dataclasses import replace

import orjson
import pytest

from wahooks.formats import (
    DEFAULT_FORMAT,
    FORMATS,
    SPECS,
    SkipEvent,
    expresses,
    skipped_events,
)
from wahooks.formats.samples import sample_event
from wahooks.models import Destination, EventType, MessageEvent

NAMES = ("pipes", "meta", "whatspie", "wassenger", "summary")
DESTINATION = Destination(
    id="dst_1", tenant_id="ten_1", number_id=None, url="http://127.0.0.1/", secret="s" * 16,
    label="support", format="pipes", timeout_s=10, retry_schedule=(0,), enabled=True,
    disabled_reason=None, created_at=0,
)  # fmt: skip


def event(kind: str) -> MessageEvent:
    sample = sample_event(DESTINATION, None, 1700000000)
    status = {"id": "wamid.test", "status": "failed" if kind.endswith("failed") else "read",
              "timestamp": "1700000001", "recipient_id": "15550000000"}  # fmt: skip
    return replace(sample, event_type=kind, test=kind == "test", status=status, wa_id="15550000000")


def test_every_format_is_registered() -> None:
    assert set(FORMATS) == set(SPECS) == set(NAMES)
    assert DEFAULT_FORMAT == "pipes"
    for name in NAMES:
        assert FORMATS[name] is SPECS[name].render


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", [e.value for e in EventType])
def test_a_renderer_renders_what_it_expresses_and_skips_the_rest(name: str, kind: str) -> None:
    if expresses(name, kind):
        body = FORMATS[name](event(kind))
        assert isinstance(body, bytes) and orjson.loads(body)
    else:
        with pytest.raises(SkipEvent) as caught:
            FORMATS[name](event(kind))
        assert caught.value.format_name == name and caught.value.event_type == kind
        assert caught.value.reason.startswith(f"{name} format skips {kind}: ")


def test_every_format_renders_the_test_delivery() -> None:
    for name in NAMES:
        assert expresses(name, "test")
        assert b"test" in FORMATS[name](event("test"))


def test_skipped_events_for_the_documentation() -> None:
    changes = (
        "message:echo", "call:update", "user:update", "template:update", "account:update",
        "group:update", "history:sync",
    )  # fmt: skip
    ours = ("chat:update", "contact:update", "destination:disabled")
    assert skipped_events("pipes") == ()
    assert skipped_events("meta") == ours
    assert skipped_events("wassenger") == (
        "destination:disabled", *(c for c in changes if c != "group:update"), "unsupported"
    )  # fmt: skip
    assert skipped_events("summary") == (
        "message:update", "message:reaction", "message:out:new", "message:out:ack",
        "message:out:failed", *ours, *changes, "unsupported",
    )  # fmt: skip
    assert skipped_events("whatspie") == (
        "message:out:new", "message:out:ack", "message:out:failed", *ours, *changes,
        "unsupported",
    )  # fmt: skip
