"""Seed 001's "Handling all message types" Express handler, ported line for line, against
the gateway's deliveries of every message type the simulator sends (the destination's
default events: new messages, updates, reactions): it must never fail on what we send."""

from typing import Any

import pytest

from tests.conftest import RunningGateway, add_destination
from wahooks.demo.receiver import Arrival, Receiver
from wahooks.sim import Simulator
from wahooks.sim.messages import MESSAGE_TYPES


def seed_handler(payload: Any, log: list[str]) -> None:
    """``app.post("/webhook", …)`` of seed 001; a missing key fails as JavaScript's
    ``undefined.x`` would (KeyError / TypeError)."""
    if (payload.get("pipes") or {}).get("test"):
        return
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    pipes = payload["pipes"]
    kind = message["type"]
    if kind == "text":
        log.append(f"Text: {message['text']['body']}")
    elif kind in ("image", "audio", "video", "document", "sticker"):
        if (pipes.get("media") or {}).get("unavailable"):
            log.append("Media unavailable for this message")
        else:
            media = pipes["media"]
            log.append(f"Download from: {media['downloadUrl']} {media['mimeType']} "
                       f"{media['byteSize']} bytes")  # fmt: skip
    elif kind == "location":
        log.append(f"Location: {message['location']['latitude']} "
                   f"{message['location']['longitude']}")  # fmt: skip
    elif kind == "contacts":
        log.append(f"Contacts: {message['contacts']}")
    elif kind == "reaction":
        log.append(f"Reaction: {message['reaction'].get('emoji')} on "
                   f"{message['reaction']['message_id']}")  # fmt: skip


@pytest.mark.e2e
async def test_the_seeds_handler_takes_every_message_type(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    log: list[str] = []
    errors: list[str] = []

    def handle(arrival: Arrival) -> None:
        try:
            seed_handler(arrival.json(), log)
        except (KeyError, TypeError, IndexError) as exc:
            errors.append(f"{type(exc).__name__}: {exc} in {arrival.body[:300]!r}")

    receiver.on_arrival = handle
    await add_destination(gateway, receiver)
    user = sim.user("15551230401", "Jane Doe")
    for type_ in MESSAGE_TYPES:
        assert (await sim.send(user, type_)).ok, type_
    await receiver.wait_for(lambda r: len(r.accepted()) == len(MESSAGE_TYPES), timeout=20)
    assert errors == []
    assert any(line.startswith("Download from: /v1/media/download/") for line in log)
    assert any(line.startswith("Reaction: ") for line in log)
