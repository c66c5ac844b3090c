"""Alert e-mails, to a real SMTP server on 127.0.0.1 (aiosmtpd): a destination disabled
tells the operator and the tenant once, with its context; a second disabling within the
interval is recorded as suppressed, not sent again."""

import asyncio
import email
import socket
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import eventually, gateway_with_sim
from tests.destinations.helpers import wait_destination
from tests.ingress.helpers import table
from wahooks.demo.receiver import Receiver


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.mark.e2e  # a real scenario, several seconds
async def test_a_disabled_destination_is_mailed_once_to_the_operator_and_the_tenant(
    database_url: str, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = {
        "alert_smtp_host": "127.0.0.1", "alert_smtp_port": port,
        "alert_operator_emails": ("ops@operator.test",), "alert_from": "wahooks@gw.test",
    }  # fmt: skip
    async with gateway_with_sim(database_url, **settings) as (gateway, sim):
        status, tenant = await gateway.operator(
            "PATCH", f"/v1/tenants/{gateway.tenant_id}", {"alertEmail": "dev@acme.test"}
        )
        assert status == 200 and tenant["alertEmail"] == "dev@acme.test", tenant
        receiver = Receiver()
        await receiver.start()
        try:
            status, created = await gateway.api(
                "POST", "/v1/destinations", {"url": receiver.url, "retrySchedule": [0, 60]}
            )
            assert status == 201, created
            receiver.always = 410
            user = sim.user("15556661001", "Gone")
            assert (await sim.send(user, "text", body="first")).ok
            await wait_destination(gateway, created["id"], enabled=False)
            await eventually(lambda: _count(inbox, 1))
            (recipients, mail), = inbox.messages  # fmt: skip
            assert sorted(recipients) == ["dev@acme.test", "ops@operator.test"]
            assert mail["From"] == "wahooks@gw.test"
            assert "Destination disabled" in mail["Subject"] and receiver.url in mail["Subject"]
            body = mail.get_payload()
            assert created["id"] in body and "410" in body
            # Re-enabled and disabled again within the interval: recorded, not mailed.
            status, _ = await gateway.api(
                "PATCH", f"/v1/destinations/{created['id']}", {"enabled": True}
            )
            assert status == 200
            await wait_destination(gateway, created["id"], enabled=False)
            url = gateway.gateway.settings.database_url
            await eventually(lambda: _states(url, ["sent", "suppressed"]))
            await asyncio.sleep(0.3)
            assert len(inbox.messages) == 1
        finally:
            await receiver.stop()


async def _count(inbox: Inbox, n: int) -> bool:
    return len(inbox.messages) >= n


async def _states(database_url: str, wanted: list[str]) -> bool:
    return [row["state"] for row in await table(database_url, "alerts")] == wanted


@pytest.mark.e2e  # a real scenario
async def test_a_number_going_down_is_mailed_once(
    database_url: str, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = {"alert_smtp_host": "127.0.0.1", "alert_smtp_port": port,
                "alert_operator_emails": ("ops@operator.test",)}  # fmt: skip
    async with gateway_with_sim(database_url, **settings) as (gateway, sim):
        number_id = sim.number_id  # type: ignore[attr-defined]
        sim.set_token_valid(False)  # revoked at Meta
        for _ in range(2):  # down twice: told once
            status, number = await gateway.api("POST", f"/v1/numbers/{number_id}/health-check")
            assert status == 200 and number["health"] == "down", number
        await eventually(lambda: _count(inbox, 1))
        ((recipients, mail),) = inbox.messages
        assert recipients == ["ops@operator.test"]
        assert "Number down" in mail["Subject"] and number_id in mail.get_payload()
        await asyncio.sleep(0.5)
        assert len(inbox.messages) == 1
