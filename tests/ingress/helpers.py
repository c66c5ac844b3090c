"""What the ingress tests share: Meta's fixture payloads, signed POSTs, and a look at the
database behind a running gateway (read directly, so "stored" means stored)."""

import asyncio
import copy
import hashlib
import hmac
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import asyncpg

from tests.conftest import META_FIXTURES, RunningGateway

FIXTURE_DIR = META_FIXTURES

Json = dict[str, Any]


def fixture_payloads() -> list[tuple[str, Json]]:
    """Every payload of every fixture file, as ("file:name", notification)."""
    payloads = []
    for path in sorted(FIXTURE_DIR.glob("*.json")):
        for name, payload in json.loads(path.read_text()).items():
            payloads.append((f"{path.stem}:{name}", payload))
    assert payloads, f"no Meta fixtures in {FIXTURE_DIR}"
    return payloads


def values(notification: Json) -> Iterator[Json]:
    for entry in notification["entry"]:
        for change in entry["changes"]:
            yield change["value"]


def retarget(notification: Json, phone_number_id: str, wamid_tag: str | None = None) -> Json:
    """A copy addressed to ``phone_number_id``; with ``wamid_tag`` every message gets a
    wamid of its own (several fixtures reuse "wamid.xyzxyz", which is deduplicated)."""
    out = copy.deepcopy(notification)
    n = 0
    for value in values(out):
        if isinstance(value.get("metadata"), dict):
            value["metadata"]["phone_number_id"] = phone_number_id
        for message in value.get("messages", []):
            if wamid_tag is not None:
                message["id"] = f"wamid.{wamid_tag}.{n}"
                n += 1
    return out


def encode(notification: Any) -> bytes:
    """Meta's serialisation: compact, non-ASCII escaped."""
    return json.dumps(notification, ensure_ascii=True, separators=(",", ":")).encode()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def post_ingress(
    gateway: RunningGateway,
    body: bytes,
    secret: str | None,
    *,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """POST raw bytes to /ingress/meta, signed with ``secret`` (unsigned when None)."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    if secret is not None:
        sent["X-Hub-Signature-256"] = sign(secret, body)
    async with gateway.http.post(gateway.ingress_url, data=body, headers=sent) as response:
        raw = await response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw.decode(errors="replace")


def assert_error(body: Any, *, code: str | None = None, mentions: str | None = None) -> None:
    """The JSON error shape every non-2xx answer has."""
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    if code is not None:
        assert error["code"] == code, body
    if mentions is not None:
        assert mentions.lower() in error["message"].lower(), body


async def table(database_url: str, name: str) -> list[dict[str, Any]]:
    """Every row of one table of the gateway's database, oldest first."""
    assert name.isidentifier()
    if database_url.startswith("sqlite:///"):
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(f"SELECT * FROM {name} ORDER BY rowid")]
        finally:
            conn.close()
    pg = await asyncpg.connect(database_url)
    try:
        order = "seq" if name in ("messages", "message_statuses", "unhandled_updates") else "1"
        return [dict(r) for r in await pg.fetch(f"SELECT * FROM {name} ORDER BY {order}")]
    finally:
        await pg.close()


async def deliveries(gateway: RunningGateway) -> list[Json]:
    status, body = await gateway.api("GET", "/v1/deliveries?limit=200")
    assert status == 200, body
    data: list[Json] = body["data"]
    return data


async def wait_until_finished(gateway: RunningGateway, expected: int) -> list[Json]:
    """Wait until exactly ``expected`` deliveries exist and all succeeded."""
    async with asyncio.timeout(15):
        while True:
            found = await deliveries(gateway)
            assert len(found) <= expected, found
            if len(found) == expected and all(d["status"] == "succeeded" for d in found):
                return found
            await asyncio.sleep(0.02)
