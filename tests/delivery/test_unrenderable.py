"""A delivery its format cannot render (a renderer bug) fails alone, at once, with the
reason, and never holds up the rest of its conversation, even on an ordered destination."""

import pytest

from tests.conftest import RunningGateway, add_destination
from tests.delivery.test_dispatch import wait_status
from wahooks.delivery import dispatcher
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator


async def test_an_unrenderable_delivery_fails_alone_and_its_conversation_goes_on(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_prepare = dispatcher.prepare

    def prepare_with_a_bug(destination, event, delivery_id, now):  # type: ignore[no-untyped-def]
        if event.item.get("text", {}).get("body") == "boom":
            raise KeyError("a renderer bug")
        return real_prepare(destination, event, delivery_id, now)

    monkeypatch.setattr(dispatcher, "prepare", prepare_with_a_bug)
    await add_destination(gateway, receiver, ordered=True, retrySchedule=[0, 1, 5, 30])
    jane = sim.user("15551236001", "Jane")
    assert (await sim.send(jane, "text", body="boom")).ok
    assert (await sim.send(jane, "text", body="after the boom")).ok
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    assert receiver.accepted()[0].json()["entry"][0]["changes"][0]["value"]["messages"][0][
        "text"
    ]["body"] == "after the boom"  # fmt: skip
    status, page = await gateway.api("GET", "/v1/deliveries", params={"status": "failed"})
    assert status == 200, page
    (failed,) = page["data"]
    failed = await wait_status(gateway, failed["id"], "failed")
    assert failed["attempts"] == 1 and failed["lastError"] == "unrenderable"
    assert "a renderer bug" in failed["attemptLog"][0]["errorDetail"]
