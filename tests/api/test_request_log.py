"""Logs a program can read: one JSON line per request with its request id (echoed in
X-Request-Id), the tenant once authenticated, and one line per failed delivery attempt with
the destination, delivery and message ids."""

import io
import logging
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from tests.conftest import RunningGateway, add_destination, eventually
from wahooks.demo.receiver import Receiver
from wahooks.logs import _JsonFormatter
from wahooks.sim import Simulator


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(_JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    before = root.level
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(before)


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]


async def test_a_request_is_one_line_with_its_id_and_tenant(
    gateway: RunningGateway, json_lines: io.StringIO
) -> None:
    headers = {"Authorization": f"Bearer {gateway.api_key}", "X-Request-Id": "trace-42"}
    async with gateway.http.get(gateway.url + "/v1/conversations?x=1", headers=headers) as r:
        assert r.status == 200
        assert r.headers["X-Request-Id"] == "trace-42"
    async with gateway.http.get(gateway.url + "/v1/conversations") as r:  # no key
        assert r.status == 401
        generated = r.headers["X-Request-Id"]
    found = [e for e in lines(json_lines) if e.get("logger") == "wahooks.requests"]
    first = next(e for e in found if e.get("request_id") == "trace-42")
    assert first["method"] == "GET" and first["path"] == "/v1/conversations"
    assert first["status"] == 200 and first["tenant_id"] == gateway.tenant_id
    assert "x=1" not in str(first)  # never the query string
    second = next(e for e in found if e.get("request_id") == generated)
    assert second["status"] == 401 and "tenant_id" not in second
    assert gateway.api_key not in json_lines.getvalue()


async def test_a_failed_attempt_is_one_line_with_its_ids(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, json_lines: io.StringIO
) -> None:
    destination = await add_destination(gateway, receiver, retrySchedule=[0, 30])
    receiver.fail_with = [500]
    sent = await sim.send(sim.user("15551234321", "Jane"), "text", body="hi")
    assert sent.ok
    await receiver.wait_for(lambda r: len(r.arrivals) >= 1)

    def attempt() -> dict[str, Any] | None:
        return next(
            (e for e in lines(json_lines) if e.get("msg") == "delivery attempt: status_5xx"), None
        )

    async def logged() -> dict[str, Any] | None:
        return attempt()

    entry = await eventually(logged)
    assert entry is not None, json_lines.getvalue()[-2000:]
    assert entry["destination_id"] == destination["id"] and entry["status"] == 500
    assert entry["message_id"] == sent.wamid and entry["tenant_id"] == gateway.tenant_id
    assert entry["delivery_id"].startswith("dlv_") and entry["attempt"] == 1
