"""The ``meta`` format's ``entry[].id``: Meta's own value, passed through unchanged.

A number registered with a WABA id that differs from the one Meta puts in its notifications
(a typo, an id from another screen, a WABA that was migrated) must not change what a bot
built on Meta's payloads sees: messages and statuses carry the ``entry[].id`` Meta sent
them in. Only what Meta never sent (our own sends) takes the registered id.
"""

import uuid
from dataclasses import replace
from typing import Any

import orjson

from tests.conftest import RunningGateway, add_destination, eventually
from wahooks.demo.receiver import Receiver
from wahooks.demo.registration import number_registration
from wahooks.formats import meta
from wahooks.formats.samples import sample_event
from wahooks.models import Destination
from wahooks.sim import SimSettings, Simulator

REGISTERED_WABA = "300000000000003"  # what the tenant typed when registering the number


def _event(**overrides: Any) -> Any:
    destination = Destination(
        id="dst_1", tenant_id="ten_1", number_id=None, url="https://example.com/hook",
        secret="s" * 32, label=None, format="meta", timeout_s=5, retry_schedule=(0,),
        enabled=True, disabled_reason=None, created_at=0,
    )  # fmt: skip
    return replace(sample_event(destination, None, 1_700_000_000), **overrides)


def test_the_entry_id_meta_sent_wins_over_the_registered_one() -> None:
    event = _event(waba_id=REGISTERED_WABA, entry_id="200000000000001")
    payload = orjson.loads(meta.render(event))
    assert payload["entry"][0]["id"] == "200000000000001"


def test_without_one_the_registered_waba_id_stands_in() -> None:
    event = _event(waba_id=REGISTERED_WABA, entry_id=None)
    assert orjson.loads(meta.render(event))["entry"][0]["id"] == REGISTERED_WABA


def _entry_ids(receiver: Receiver, event_kind: str) -> list[str]:
    """``entry[0].id`` of the accepted payloads that carry ``event_kind`` (``messages``,
    ``statuses`` or ``message_echoes``)."""
    found = []
    for arrival in receiver.accepted():
        payload = arrival.json()
        value = payload["entry"][0]["changes"][0]["value"]
        if event_kind in value:
            found.append(payload["entry"][0]["id"])
    return found


async def test_messages_and_statuses_keep_metas_entry_id_end_to_end(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    settings = SimSettings(
        gateway_url=gateway.ingress_url,
        phone_number_id=str(10**14 + uuid.uuid4().int % 10**13),
        status_delays_s=(0.01, 0.02, 0.03),
    )
    async with Simulator(settings) as sim:
        # Meta lists the number under the WABA it is registered with (the ownership proof
        # asks), while its notifications carry another entry id.
        s = sim.settings
        sim.add_number(s.phone_number_id, waba_id=REGISTERED_WABA, access_token=s.access_token)
        body = {**number_registration(sim), "wabaId": REGISTERED_WABA}
        status, number = await gateway.api("POST", "/v1/numbers", body)
        assert status == 201, number
        metas_own = sim.settings.waba_id
        assert metas_own != REGISTERED_WABA
        await add_destination(
            gateway, receiver, format="meta",
            events=["message:in:new", "message:out:new", "message:out:ack"],
        )  # fmt: skip
        assert (await sim.send(sim.user("15551239001", "Jane"), "text", body="hi")).ok
        await receiver.wait_for(lambda r: len(r.accepted()) == 1)
        conversation = await _conversation(gateway)
        status, sent = await gateway.api(
            "POST", "/v1/messages/send", {"conversationId": conversation, "text": "Hello"}
        )
        assert status == 200, sent
        # The simulator reports sent, delivered, read: each in its own notification.
        await eventually(lambda: _has(receiver, "statuses", 3))
    assert _entry_ids(receiver, "messages") == [metas_own]
    assert _entry_ids(receiver, "statuses") == [metas_own] * 3
    # Our own send never came from Meta: the registered id is all there is.
    assert _entry_ids(receiver, "message_echoes") == [REGISTERED_WABA]


async def _conversation(gateway: RunningGateway) -> str:
    status, page = await gateway.api("GET", "/v1/deliveries")
    assert status == 200, page
    return str(page["data"][0]["conversationId"])


async def _has(receiver: Receiver, kind: str, n: int) -> bool:
    return len(_entry_ids(receiver, kind)) >= n
