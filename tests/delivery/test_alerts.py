"""Alerts, to a real SMTP server on 127.0.0.1 (aiosmtpd) and to real local HTTP receivers
(the operator's and the tenant's alert webhooks): a destination disabled tells the operator
and the tenant once, with its context; a second disabling within the interval is recorded
as suppressed, not sent again; a destination failing N attempts in a row is told once per
run of failures, through every channel; a number going down too."""

import asyncio
import email
import socket
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pydantic import ValidationError

from tests.conftest import eventually, gateway_with_sim
from tests.destinations.helpers import wait_destination
from tests.ingress.helpers import table
from wahooks.config import Settings
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


async def _states(database_url: str, wanted: list[str], channel: str = "mail") -> bool:
    rows = await table(database_url, "alerts")
    return [row["state"] for row in rows if row["channel"] == channel] == wanted


@pytest.mark.e2e  # a real scenario
async def test_a_number_going_down_is_mailed_once(
    database_url: str, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    operator = Receiver(secret=OPERATOR_SECRET)
    await operator.start()
    settings = {
        "alert_smtp_host": "127.0.0.1", "alert_smtp_port": port,
        "alert_operator_emails": ("ops@operator.test",),
        "alert_webhook_url": operator.url, "alert_webhook_secret": OPERATOR_SECRET,
    }  # fmt: skip
    try:
        async with gateway_with_sim(database_url, **settings) as (gateway, sim):
            number_id = sim.number_id  # type: ignore[attr-defined]
            sim.set_token_valid(False)  # revoked at Meta
            for _ in range(2):  # down twice: told once
                path = f"/v1/numbers/{number_id}/health-check"
                status, number = await gateway.api("POST", path)
                assert status == 200 and number["health"] == "down", number
            await eventually(lambda: _count(inbox, 1))
            ((recipients, mail),) = inbox.messages
            assert recipients == ["ops@operator.test"]
            assert "Number down" in mail["Subject"] and number_id in mail.get_payload()
            await operator.wait_for(lambda r: len(r.arrivals) >= 1)
            (hook,) = operator.arrivals
            assert hook.verified and hook.json()["kind"] == "number_down", hook
            assert hook.json()["data"]["numberId"] == number_id
            assert "invalid or expired" in hook.json()["data"]["detail"]
            await asyncio.sleep(0.5)
            assert len(inbox.messages) == 1 and len(operator.arrivals) == 1
    finally:
        await operator.stop()


OPERATOR_SECRET = "operator-alert-secret-0123456789"


@pytest.mark.e2e  # a real scenario, several seconds
async def test_a_destination_failing_n_times_in_a_row_is_told_once_per_run_everywhere(
    database_url: str, smtp: tuple[Inbox, int]
) -> None:
    """Three failures in a row raise the alert, by e-mail and by both webhooks, each once
    however many failures follow; a success ends the run, and the next run of three is told
    again (the interval is 0 here, so nothing is suppressed)."""
    inbox, port = smtp
    operator, tenant_hook, failing = Receiver(secret=OPERATOR_SECRET), Receiver(), Receiver()
    for receiver in (operator, tenant_hook, failing):
        await receiver.start()
    settings = {
        "alert_smtp_host": "127.0.0.1", "alert_smtp_port": port,
        "alert_operator_emails": ("ops@operator.test",), "alert_after_failures": 3,
        "alert_interval_s": 0, "alert_webhook_url": operator.url,
        "alert_webhook_secret": OPERATOR_SECRET,
    }  # fmt: skip
    try:
        async with gateway_with_sim(database_url, **settings) as (gateway, sim):
            patch = {"alertEmail": "dev@acme.test", "alertWebhookUrl": tenant_hook.url}
            status, tenant = await gateway.operator(
                "PATCH", f"/v1/tenants/{gateway.tenant_id}", patch
            )
            assert status == 200 and tenant["alertWebhookUrl"] == tenant_hook.url, tenant
            assert tenant["alertWebhookSecret"].startswith("whsec_"), tenant
            tenant_hook.secret = tenant["alertWebhookSecret"]
            status, again = await gateway.operator("GET", f"/v1/tenants/{gateway.tenant_id}")
            assert status == 200 and "alertWebhookSecret" not in again, again
            status, created = await gateway.api(
                "POST", "/v1/destinations", {"url": failing.url, "retrySchedule": [3600]}
            )
            assert status == 201, created
            failing.always = 500

            async def fail(n: int, first: int) -> None:
                for i in range(n):  # one user each: no message waits behind another
                    user = sim.user(f"1555777{first + i:04d}", "Failing")
                    assert (await sim.send(user, "text", body=f"m{first + i}")).ok
                await failing.wait_for(lambda r: len(r.arrivals) >= first + n)

            await fail(5, 0)
            await eventually(lambda: _count(inbox, 1))
            await operator.wait_for(lambda r: len(r.arrivals) >= 1)
            await tenant_hook.wait_for(lambda r: len(r.arrivals) >= 1)
            await asyncio.sleep(0.5)  # nothing more comes of failures 4 and 5
            assert len(inbox.messages) == 1
            assert len(operator.arrivals) == 1 and len(tenant_hook.arrivals) == 1
            (recipients, mail), = inbox.messages  # fmt: skip
            assert sorted(recipients) == ["dev@acme.test", "ops@operator.test"]
            assert "Destination failing" in mail["Subject"], mail["Subject"]
            text = mail.get_payload(decode=True).decode()
            # Attempts are recorded in batches: the count crossed 3 in one of them.
            assert created["id"] in text and "attempts in a row" in text, text
            assert "Last error:    status_5xx" in text, text
            for hook in (operator.arrivals[0], tenant_hook.arrivals[0]):
                assert hook.verified, hook.headers
                body = hook.json()
                assert body["kind"] == "destination_failing" and body["type"] == "alert"
                assert body["tenantId"] == gateway.tenant_id
                data = body["data"]
                assert data["destinationId"] == created["id"] and data["url"] == failing.url
                assert data["failures"] >= 3 and data["lastError"] == "status_5xx", data
                assert data["failingSince"] and isinstance(data["pending"], int), data
            # The same context; each webhook's alertId (its webhook-id) is its own.
            told = [
                {**h.json(), "alertId": None}
                for h in (operator.arrivals[0], tenant_hook.arrivals[0])
            ]
            assert told[0] == told[1]
            assert operator.arrivals[0].webhook_id == operator.arrivals[0].json()["alertId"]

            failing.always = None  # a success ends the run...
            await fail(1, 5)
            failing.always = 500  # ...and the next one is told of again
            await fail(3, 6)
            await eventually(lambda: _count(inbox, 2))
            await operator.wait_for(lambda r: len(r.arrivals) >= 2)
            await tenant_hook.wait_for(lambda r: len(r.arrivals) >= 2)
            await asyncio.sleep(0.5)
            assert len(inbox.messages) == 2
            assert len(operator.arrivals) == 2 and len(tenant_hook.arrivals) == 2
    finally:
        for receiver in (operator, tenant_hook, failing):
            await receiver.stop()


def test_an_operator_alert_webhook_needs_its_signing_secret() -> None:
    with pytest.raises(ValidationError, match="alert_webhook_secret"):
        Settings(alert_webhook_url="https://ops.example/alerts")
    with pytest.raises(ValidationError, match="alert_webhook_secret"):
        Settings(alert_webhook_url="https://ops.example/alerts", alert_webhook_secret="short")
    with pytest.raises(ValidationError):
        Settings(alert_webhook_url="https://ops.example/a\r\nb", alert_webhook_secret="x" * 16)
    assert Settings(alert_webhook_url="https://ops.example/a", alert_webhook_secret="x" * 16)
