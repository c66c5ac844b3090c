"""Every webhook field reaches the customer: calls, echoes, user preferences, templates, the
account, fields we do not know yet, and statuses of messages sent elsewhere; WABA-level
notifications are verified against the WABA's numbers' app secrets."""

import asyncio
from typing import Any

from tests.conftest import RunningGateway, add_destination, registered_sim, running_gateway
from tests.ingress.helpers import wait_until_finished
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator
from wahooks.sim import changes as sim_changes

CHANGE_EVENTS = [
    "message:echo", "call:update", "user:update", "template:update", "account:update",
    "unsupported", "message:out:ack",
]  # fmt: skip


def changes_of(receiver: Receiver) -> list[tuple[str, str, Any]]:
    """(pipes.event, field, value) of each change delivered."""
    out = []
    for arrival in receiver.accepted():
        payload = arrival.json()
        (entry,) = payload["entry"]
        (change,) = entry["changes"]
        out.append((payload["pipes"]["event"], change["field"], change["value"]))
    return out


async def test_each_number_field_reaches_a_destination_subscribed_to_its_event(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, events=CHANGE_EVENTS)
    default = Receiver()
    await default.start()
    try:
        await add_destination(gateway, default)  # message events only: gets none of these
        jane = sim.user("15551239001", "Jane")
        now = int(sim.clock())
        sent = {
            "calls": sim_changes.call_connect(sim.settings, jane, now),
            "smb_message_echoes": sim_changes.echo(sim.settings, jane, "sent from the app", now),
            "user_preferences": sim_changes.user_preferences(sim.settings, jane, "stop", now),
            "fancy_new_field": {**sim_changes.number_value(sim.settings), "novelty": [1, 2]},
        }
        for field, value in sent.items():
            assert await sim.send_change(field, value) == 200
        await wait_until_finished(gateway, len(sent))
        got = {field: (event, value) for event, field, value in changes_of(receiver)}
        assert got == {
            "calls": ("call:update", sent["calls"]),
            "smb_message_echoes": ("message:echo", sent["smb_message_echoes"]),
            "user_preferences": ("user:update", sent["user_preferences"]),
            "fancy_new_field": ("unsupported", sent["fancy_new_field"]),
        }
        reasons = [a.json()["pipes"].get("reason") for a in receiver.accepted()]
        assert any(r and "fancy_new_field" in r for r in reasons)
        assert default.accepted() == []
    finally:
        await default.stop()


async def test_a_waba_level_notification_is_verified_and_reaches_the_owner_once(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, events=CHANGE_EVENTS)
    async with registered_sim(gateway) as second:  # another number of the same WABA
        assert second.settings.waba_id == sim.settings.waba_id
        rejected = sim_changes.template_status(7001, "spring_sale", "REJECTED", "INVALID_FORMAT")
        assert await sim.send_change(
            "message_template_status_update", rejected, waba_level=True, wrong_signature=True
        ) == 401  # fmt: skip
        assert await sim.send_change("message_template_status_update", rejected,
                                     waba_level=True) == 200  # fmt: skip
        restricted = sim_changes.account_update(
            "ACCOUNT_RESTRICTION", [("RESTRICTED_BIZ_INITIATED_MESSAGING", "2026-12-10")]
        )
        assert await sim.send_change("account_update", restricted, waba_level=True) == 200
        await wait_until_finished(gateway, 2)
        assert sorted(changes_of(receiver), key=lambda c: c[0]) == [
            ("account:update", "account_update", restricted),
            ("template:update", "message_template_status_update", rejected),
        ]
        entry = receiver.accepted()[0].json()["entry"][0]
        assert entry["id"] == sim.settings.waba_id and isinstance(entry["time"], int)


async def test_a_waba_nobody_registered_is_answered_200_and_kept_nowhere(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, events=CHANGE_EVENTS)
    notification = sim_changes.change_notification(
        sim.settings, "account_update", sim_changes.account_update("ACCOUNT_DELETED"),
        entry_time=1,
    )  # fmt: skip
    notification["entry"][0]["id"] = "999000999000"
    assert await sim.deliver(notification) == 200
    assert await sim.send_change("account_update", {"event": "PARTNER_ADDED"},
                                 waba_level=True) == 200  # fmt: skip
    await wait_until_finished(gateway, 1)
    assert [event for event, _, _ in changes_of(receiver)] == ["account:update"]


async def test_a_status_of_a_message_sent_elsewhere_arrives_flagged_external(
    database_url: str, receiver: Receiver
) -> None:
    async with (
        running_gateway(database_url, external_status_grace_s=0.3) as gateway,
        registered_sim(gateway) as sim,
    ):
        await add_destination(gateway, receiver, events=[*CHANGE_EVENTS, "message:in:new"])
        jane = sim.user("15551239002", "Jane")
        assert await sim.send_status("wamid.sent-by-the-bot-itself", "read", jane.wa_id) == 200
        await receiver.wait_for(lambda r: len(r.accepted()) == 1)
        (arrival,) = receiver.accepted()
        payload = arrival.json()
        assert payload["pipes"]["event"] == "message:out:ack"
        assert payload["pipes"]["external"] is True
        (status,) = payload["entry"][0]["changes"][0]["value"]["statuses"]
        assert status["id"] == "wamid.sent-by-the-bot-itself" and status["status"] == "read"
        # A reply of ours, whose statuses may outrun the send's answer, is never external.
        assert (await sim.send(jane, "text", body="hi")).ok
        await receiver.wait_for(lambda r: len(r.accepted()) == 2)
        conversation = receiver.accepted()[1].json()["pipes"]["conversationId"]
        status_code, body = await gateway.api(
            "POST", "/v1/messages/send", {"conversationId": conversation, "text": "ours"}
        )
        assert status_code == 200, body
        await receiver.wait_for(lambda r: len(r.accepted()) == 5)  # sent, delivered, read
        await sim.wait_idle()
        ours = [a.json()["pipes"] for a in receiver.accepted()[2:]]
        assert all("external" not in p for p in ours), ours
        # Well past the grace, still none of ours was published as sent elsewhere.
        await asyncio.sleep(1.0)
        await wait_until_finished(gateway, 5)
