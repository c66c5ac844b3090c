"""The ``whatspie`` shapes of the message types seed 003 does not show (formats/whatspie/):
reactions, edits, revokes, Flow replies, orders, system and unsupported messages and types
Meta adds; none is skipped."""

from dataclasses import replace

import pytest

from tests.formats.test_whatspie import USER, common, render, same, sim_event
from wahooks.sim.messages import MESSAGE_TYPES


def test_a_flow_reply() -> None:
    ev = sim_event("button_reply")
    answers = {"name": "flow", "body": "Sent", "response_json": '{"size": "M"}'}
    flow = {"type": "nfm_reply", "nfm_reply": answers}
    ev = replace(ev, item={**ev.item, "interactive": flow})
    expected = {"type": "flowReplyMessage",
                "flow": {"name": "flow", "body": "Sent", "response": {"size": "M"}},
                **common(ev), "interactive": flow}  # fmt: skip
    same(render(ev), expected)


def test_a_reaction() -> None:
    ev = sim_event("reaction", message_id="wamid.A", emoji="👍")
    assert ev.event_type == "message:reaction"
    expected = {"type": "reactionMessage",
                "reaction": {"emoji": "👍", "message_id": "wamid.A", "removed": False},
                **common(ev)}  # fmt: skip
    same(render(ev), expected)
    gone = render(sim_event("reaction", message_id="wamid.A", emoji=""))
    assert gone["reaction"] == {"emoji": None, "message_id": "wamid.A", "removed": True}


def test_an_edit_and_a_revoke() -> None:
    ev = sim_event("edit", original_message_id="wamid.A", body="Fixed")
    assert ev.event_type == "message:update"
    expected = {"type": "editedMessage",
                "edit": {"message_id": "wamid.A", "message": "Fixed",
                         "original": {"type": "text", "text": {"body": "Fixed"}}},
                **common(ev)}  # fmt: skip
    same(render(ev), expected)
    ev = sim_event("revoke", original_message_id="wamid.A")
    same(render(ev), {"type": "revokedMessage", "revoke": {"message_id": "wamid.A"},
                      **common(ev)})  # fmt: skip


@pytest.mark.parametrize(("type_", "name"), [("order", "orderMessage"),
                                             ("system", "systemMessage")])  # fmt: skip
def test_other_types_carry_metas_object_under_metas_name(type_: str, name: str) -> None:
    ev = sim_event(type_)
    expected = {"type": name, type_: ev.item[type_], **common(ev)}
    same(render(ev), expected)


def test_a_type_meta_adds_later_is_named_like_the_rest() -> None:
    ev = sim_event("text")
    item = {**{k: v for k, v in ev.item.items() if k != "text"}, "type": "request_welcome"}
    got = render(replace(ev, item=item))
    assert (got["type"], got["request_welcome"]) == ("requestWelcomeMessage", {})


def test_an_unsupported_message_carries_metas_errors() -> None:
    ev = sim_event("unsupported")
    got = render(ev)
    assert got["type"] == "unsupportedMessage"
    assert got["errors"] == ev.item["errors"] and got["errors"]
    assert list(got)[:3] == ["type", "unsupported", "errors"]


def test_an_untyped_message() -> None:
    ev = sim_event("text")
    item = {k: v for k, v in ev.item.items() if k not in ("type", "text")}
    assert render(replace(ev, item=item))["type"] == "unknownMessage"


@pytest.mark.parametrize("type_", MESSAGE_TYPES)
def test_every_type_the_simulator_sends_has_a_shape(type_: str) -> None:
    """Never skipped: a ``message`` or a ``type`` each."""
    got = render(sim_event(type_))
    assert ("message" in got) != ("type" in got), got
    assert got["message_id"] and got["from"] == USER.wa_id
