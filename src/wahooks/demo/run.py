"""`wahooks demo`: one message of every inbound type through the whole path.

Gateway (temporary SQLite) + Cloud API simulator + sample receiving app, all on 127.0.0.1
in this process; the number and the destination are set up through the REST API like a
user would; then the simulator sends each type as a signed Meta notification and the
receiver checks every signature. Exits 0 when everything arrived verified.

``--dashboard`` keeps it all running afterwards, prints the dashboard's address and a tenant
key to sign in with, and lets the simulator's user send a message every few seconds so the
overview's charts move; Ctrl-C ends it.
"""

import asyncio
import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from wahooks.accounts import create_tenant_with_key
from wahooks.app import create_app
from wahooks.config import Settings
from wahooks.demo.receiver import Arrival, Receiver
from wahooks.demo.registration import number_registration
from wahooks.gateway import Gateway
from wahooks.media.addresses import LOOPBACK_NETWORKS
from wahooks.server import serve_in_background
from wahooks.sim import SimSettings, Simulator

DEMO_MESSAGES: list[tuple[str, dict[str, Any]]] = [
    ("text", {"body": "Hello from WhatsApp!"}),
    ("image", {"caption": "Check this out"}),
    ("audio", {"voice": True}),
    ("video", {"caption": "Watch this"}),
    ("document", {"filename": "invoice.pdf", "caption": "Here's the invoice"}),
    ("sticker", {}),
    ("location", {}),
    ("contacts", {}),
    ("reaction", {}),
]
WAIT_S = 20.0
# With --dashboard: one more message this often, so the live charts have something to show.
TRICKLE_S = 3.0


def _summary(kind: str, message: dict[str, Any]) -> str:
    body = message.get(kind)
    if kind == "text":
        return str(message["text"]["body"])
    if kind in ("image", "audio", "video", "document", "sticker") and isinstance(body, dict):
        return f"{body.get('mime_type')} media id {body.get('id')}"
    if kind == "location" and isinstance(body, dict):
        return f"{body.get('latitude')}, {body.get('longitude')}"
    if kind == "contacts" and isinstance(body, list) and body:
        return str(body[0].get("name", {}).get("formatted_name", ""))
    if kind == "reaction" and isinstance(body, dict):
        return f"{body.get('emoji')} on {str(body.get('message_id'))[:18]}…"
    return ""


async def _api(http: aiohttp.ClientSession, method: str, url: str, key: str, body: Any) -> Any:
    async with http.request(
        method, url, json=body, headers={"Authorization": f"Bearer {key}"}
    ) as r:
        data = await r.json()
        if r.status >= 300:
            raise RuntimeError(f"{method} {url} answered {r.status}: {data}")
        return data


async def demo(data_dir: Path, *, dashboard: bool = False, port: int = 0) -> int:
    settings = Settings(
        database_url=f"sqlite:///{data_dir}/wahooks.db",
        media_url=f"file://{data_dir}/media",
        log_level="WARNING",
        # The simulator and the sample receiver run on this machine.
        outbound_allow_networks=LOOPBACK_NETWORKS,
    )
    app = create_app(settings)
    receiver = Receiver()
    await receiver.start()
    try:
        return await _run(app, receiver, data_dir, dashboard=dashboard, port=port)
    finally:
        await receiver.stop()


async def _run(app: Any, receiver: Receiver, data_dir: Path, *, dashboard: bool, port: int) -> int:
    async with (
        serve_in_background(app, port=port) as gateway_url,
        aiohttp.ClientSession() as http,
    ):
        gateway: Gateway = app.state.gateway
        _, issued = await create_tenant_with_key(gateway.store, "demo")
        key = issued.key
        sim_settings = SimSettings(gateway_url=f"{gateway_url}/ingress/meta")
        async with Simulator(sim_settings) as sim:
            print(f"gateway   {gateway_url}   (SQLite in {data_dir})")
            print(f"simulator {sim.base_url}   (Graph API {sim.graph_base_url})")
            print(f"receiver  {receiver.url}")
            number = await _api(
                http, "POST", f"{gateway_url}/v1/numbers", key, number_registration(sim)
            )
            destination = await _api(http, "POST", f"{gateway_url}/v1/destinations", key,
                                     {"url": receiver.url, "label": "demo"})  # fmt: skip
            receiver.secret = destination["secret"]
            print(f"number    {number['id']}  destination {destination['id']}")
            print(f"meta handshake: {'ok' if await sim.subscribe() else 'FAILED'}\n")

            user = sim.user("15551234567", "Jane Doe")
            sent: dict[str, tuple[str, float, dict[str, Any]]] = {}
            first_wamid = ""
            for kind, fields in DEMO_MESSAGES:
                if kind == "reaction":
                    fields = {"message_id": first_wamid, "emoji": "👍"}
                started = time.time()
                result = await sim.send(user, kind, **fields)
                if not result.ok:
                    print(f"gateway refused {kind}: HTTP {result.status}")
                    return 1
                first_wamid = first_wamid or result.wamid
                sent[result.wamid] = (kind, started, result.message)
            try:
                await receiver.wait_for(lambda r: len(_arrived(r, sent)) == len(sent), WAIT_S)
            except TimeoutError:
                pass
            code = _report(sent, _arrived(receiver, sent))
            if dashboard:
                await _keep_running(gateway_url, key, sim)
            return code


async def _keep_running(gateway_url: str, key: str, sim: Simulator) -> None:
    """Until interrupted: the dashboard's address and key, and a message now and then."""
    print(f"\ndashboard {gateway_url}/dashboard/sign-in")
    print(f"key       {key}")
    print("(a message every few seconds keeps the charts moving; Ctrl-C ends the demo)", flush=True)
    users = [sim.user(f"1555123{i:04d}", f"Demo user {i}") for i in range(5)]
    n = 0
    while True:
        await asyncio.sleep(TRICKLE_S)
        await sim.send(users[n % len(users)], "text", body=f"demo message {n}")
        n += 1


def _arrived(receiver: Receiver, sent: dict[str, Any]) -> dict[str, Arrival]:
    found: dict[str, Arrival] = {}
    for arrival in receiver.accepted():
        wamid = arrival.json()["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        if wamid in sent:
            found.setdefault(wamid, arrival)
    return found


def _report(sent: dict[str, tuple[str, float, dict[str, Any]]], got: dict[str, Arrival]) -> int:
    print(f"{'type':<10} {'arrived':<8} {'signature':<10} {'latency':>9}  content")
    ok = True
    for wamid, (kind, started, message) in sent.items():
        arrival = got.get(wamid)
        if arrival is None:
            ok = False
            print(f"{kind:<10} {'NO':<8} {'-':<10} {'-':>9}  {_summary(kind, message)}")
            continue
        verified = "verified" if arrival.verified else "BAD"
        ok = ok and arrival.verified
        latency = f"{(arrival.received_at - started) * 1000:.1f} ms"
        delivered = arrival.json()["entry"][0]["changes"][0]["value"]["messages"][0]
        print(f"{kind:<10} {'yes':<8} {verified:<10} {latency:>9}  {_summary(kind, delivered)}")
    print(
        f"\n{len(got)}/{len(sent)} messages arrived" + (", all signatures verified." if ok else ".")
    )
    return 0 if ok and len(got) == len(sent) else 1


def run_demo(*, keep_data: bool = False, dashboard: bool = False, port: int = 0) -> int:
    logging.basicConfig(level=logging.WARNING)
    data_dir = Path(tempfile.mkdtemp(prefix="wahooks-demo-"))
    try:
        return asyncio.run(demo(data_dir, dashboard=dashboard, port=port))
    except KeyboardInterrupt:  # --dashboard ends with Ctrl-C
        return 0
    finally:
        if keep_data:
            print(f"data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
