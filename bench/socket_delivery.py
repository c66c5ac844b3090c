"""Socket delivery benchmark: one JSON line per (database, shape, N connected clients).

"N clients" comes in two shapes, because they load different parts of the hub:
  fanout:  ONE tenant, N user-scoped connections; every connection receives every message.
           One pump claims each message once and writes it N times. frames_per_s is
           msgs_per_s * N: the hub's write rate.
  tenants: N tenants, each with its own number (its own simulator) and ONE connection.
           N pumps claim from the same deliveries table at once: the database side.
  With N=1 both shapes are the same setup: it is measured once, as shape "one".

msgs_per_s: a burst of --messages (fanout: at most --max-frames frames in all), with
--concurrency POSTs in flight, from the first POST until every client has every message.
ingest_msgs_per_s: the same messages / the time until the gateway answered the last POST.
p50_ms / p99_ms: per frame, from the simulator's POST to the frame's arrival at a client, at an
offered load of --rate messages per second (open loop); p99_last_ms: per message, until the
last of its clients has it. cpu_s: CPU seconds spent during the burst by the gateway, the
clients and this process (the simulators); "rest_of_machine" is everything else busy on the
machine meanwhile (the PostgreSQL server, and noise: other work on the same cores).

Clients connect with ack=1, the durable mode (a delivery is done only once a client
acknowledges it), and acknowledge every frame at once; --ack 0 or both measures without.
The gateway runs as a `wahooks serve` subprocess, as in e2e.py, so its event loop shares
nothing with the load; the clients (the independent `websockets` package, which negotiates
permessage-deflate by default, as browsers do) run in their own process, the simulators here.

Usage: .venv/bin/python bench/socket_delivery.py [--clients 1,10,100] [--shapes fanout,tenants]
       [--messages 2000] [--max-frames 40000] [--rate 100] [--latency-messages 300]
       [--ack 1|0|both] [--compression deflate|none] [--databases sqlite,postgres]
       [--postgres-url postgresql://postgres@127.0.0.1/postgres]
Bounded: every phase has a message count and a time limit; all traffic stays on 127.0.0.1.
"""

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import platform
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from harness import (
    BENCH_SECRET_KEY,
    POSTGRES_URL,
    database,
    free_port,
    gateway_env,
    gateway_process,
    wait_http,
)

from wahooks.accounts import issue_tenant_key
from wahooks.config import Settings
from wahooks.demo.registration import number_registration
from wahooks.ids import new_id
from wahooks.sim import SimSettings, Simulator, SimUser
from wahooks.store import open_store

PHASE_TIMEOUT_S = 60
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- the clients, in their own process -----------------------------------------------------


def _clients_main(port: int) -> None:
    """WebSocket clients driven over HTTP: /connect, /close, /stats, /arrivals, /reset."""
    from aiohttp import web
    from websockets.asyncio.client import ClientConnection, connect

    sockets: list[ClientConnection] = []
    readers: list[asyncio.Task[None]] = []
    arrivals: dict[str, list[float]] = {}  # wamid -> arrival time at each client
    seen: list[set[str]] = []  # per client: wamids it had, to count redeliveries
    counts = {"frames": 0, "duplicates": 0}

    async def read(index: int, ws: ClientConnection, ack: bool) -> None:
        with contextlib.suppress(Exception):  # closed by /close or by the gateway
            async for raw in ws:
                at = time.time()
                frame = orjson.loads(raw)
                if frame.get("type") != "whatsapp_message":
                    continue
                data = frame["data"]
                wamid = data["messageId"]
                if ack:
                    reply = {"type": "ack", "deliveryId": data["deliveryId"]}
                    await ws.send(orjson.dumps(reply).decode())
                if wamid in seen[index]:
                    counts["duplicates"] += 1
                    continue
                seen[index].add(wamid)
                arrivals.setdefault(wamid, []).append(at)
                counts["frames"] += 1

    async def open_one(url: str, compression: str | None) -> ClientConnection:
        ws = await connect(url, compression=compression, max_queue=None)
        welcome = orjson.loads(await ws.recv())
        if welcome.get("type") != "connected":
            raise RuntimeError(f"expected a connected frame, got {welcome!r}")
        return ws

    async def connect_all(request: web.Request) -> web.Response:
        body = await request.json()
        compression = "deflate" if body["compression"] == "deflate" else None
        opened = await asyncio.gather(*[open_one(u, compression) for u in body["urls"]])
        for ws in opened:
            seen.append(set())
            readers.append(asyncio.create_task(read(len(sockets), ws, body["ack"])))
            sockets.append(ws)
        return web.json_response({"connected": len(sockets)})

    async def close_all(_: web.Request) -> web.Response:
        await asyncio.gather(*[ws.close() for ws in sockets], return_exceptions=True)
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        sockets.clear()
        readers.clear()
        seen.clear()
        return web.json_response({})

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(counts)

    async def get_arrivals(_: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps(arrivals), content_type="application/json")

    async def reset(_: web.Request) -> web.Response:
        arrivals.clear()
        counts.update(frames=0, duplicates=0)
        return web.json_response({})

    async def main() -> None:
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post("/connect", connect_all)
        app.router.add_post("/close", close_all)
        app.router.add_get("/stats", stats)
        app.router.add_get("/arrivals", get_arrivals)
        app.router.add_post("/reset", reset)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await asyncio.Event().wait()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


@contextlib.contextmanager
def clients_process() -> Iterator[tuple[str, int]]:
    port = free_port()
    proc = multiprocessing.get_context("spawn").Process(
        target=_clients_main, args=(port,), daemon=True
    )
    proc.start()
    try:
        yield f"http://127.0.0.1:{port}", int(proc.pid or 0)
    finally:
        proc.kill()
        proc.join()


class Clients:
    def __init__(self, http: aiohttp.ClientSession, url: str, pid: int) -> None:
        self.http, self.url, self.pid = http, url, pid

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        async with self.http.request(method, self.url + path, json=body) as r:
            if r.status != 200:
                raise RuntimeError(f"clients {path}: {r.status} {await r.text()}")
            return orjson.loads(await r.read())

    async def wait(self, wamids: list[str], per_message: int) -> dict[str, list[float]]:
        """Every wamid's arrival times, once each has arrived at `per_message` clients."""
        expected = len(wamids) * per_message
        async with asyncio.timeout(PHASE_TIMEOUT_S):
            while True:
                if (await self.call("GET", "/stats"))["frames"] >= expected:
                    got: dict[str, list[float]] = await self.call("GET", "/arrivals")
                    if all(len(got.get(w, ())) >= per_message for w in wamids):
                        return got
                await asyncio.sleep(0.02)


# --- CPU accounting -----------------------------------------------------------------------


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def machine_busy_s() -> float:
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLK_TCK  # all but idle and iowait


@dataclass
class CpuMeter:
    pids: dict[str, int]
    start: dict[str, float] = field(default_factory=dict)

    def _read(self) -> dict[str, float]:
        now = {name: process_cpu_s(pid) for name, pid in self.pids.items()}
        now["machine"] = machine_busy_s()
        return now

    def begin(self) -> None:
        self.start = self._read()

    def end(self) -> dict[str, float]:
        now = self._read()
        used = {k: now[k] - self.start[k] for k in now}
        machine = used.pop("machine")
        used["rest_of_machine"] = max(0.0, machine - sum(used.values()))
        return {k: round(v, 2) for k, v in used.items()}


# --- the gateway ----------------------------------------------------------------------------


async def make_tenants(database_url: str, count: int) -> list[str]:
    """`count` tenants with an API key each, made before the gateway opens the database."""
    store = await open_store(Settings(database_url=database_url, secret_keys=(BENCH_SECRET_KEY,)))
    try:
        keys = []
        for i in range(count):
            tenant = await store.tenants.create_tenant(new_id("ten"), f"bench {i}")
            keys.append((await issue_tenant_key(store, tenant.id)).key)
        return keys
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def serve(database_url: str) -> AsyncIterator[tuple[str, int]]:
    async with gateway_process(gateway_env(database_url)) as (url, proc):
        yield url, proc.pid


@dataclass
class BenchTenant:
    key: str
    sim: Simulator
    users: list[SimUser]


class Phase:
    """The tenants of one (shape, N): each with a simulator, its number and a socket
    destination; sends spread over tenants, then over each tenant's senders."""

    def __init__(self, tenants: list[BenchTenant]) -> None:
        self.tenants = tenants
        self.sent = 0

    async def send(self) -> tuple[str, float]:
        i = self.sent
        self.sent += 1
        tenant = self.tenants[i % len(self.tenants)]
        user = tenant.users[(i // len(self.tenants)) % len(tenant.users)]
        started = time.time()
        result = await tenant.sim.send(user, "text", body=f"message {i}")
        if not result.ok:
            raise RuntimeError(f"gateway answered {result.status}")
        return result.wamid, started


_phone_numbers = iter(range(10**14 + 1, 10**15))


@contextlib.asynccontextmanager
async def phase_tenants(
    http: aiohttp.ClientSession, url: str, keys: list[str], users: int
) -> AsyncIterator[Phase]:
    async with contextlib.AsyncExitStack() as stack:
        tenants = []
        for t, key in enumerate(keys):
            settings = SimSettings(
                gateway_url=url + "/ingress/meta",
                phone_number_id=str(next(_phone_numbers)),
                send_statuses=False,
            )
            sim = await stack.enter_async_context(Simulator(settings))
            auth = {"Authorization": f"Bearer {key}"}
            number = number_registration(sim)
            async with http.post(url + "/v1/numbers", json=number, headers=auth) as r:
                assert r.status == 201, await r.text()
            destination = {"method": "socket", "label": "bench"}
            async with http.post(url + "/v1/destinations", json=destination, headers=auth) as r:
                assert r.status == 201, await r.text()
            count = max(1, users // len(keys))
            senders = [sim.user(f"1555{t:03d}{u:04d}", f"User {t}.{u}") for u in range(count)]
            tenants.append(BenchTenant(key, sim, senders))
        yield Phase(tenants)


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[max(0, int(len(sorted_values) * share) - 1)]


async def run_phase(
    http: aiohttp.ClientSession,
    clients: Clients,
    gateway: tuple[str, int],
    keys: list[str],
    connections_per_tenant: int,
    ack: bool,
    args: argparse.Namespace,
) -> dict[str, Any]:
    url, gateway_pid = gateway
    fanout = connections_per_tenant
    async with phase_tenants(http, url, keys, args.users) as phase:
        ws_base = url.replace("http://", "ws://") + "/ws?apiKey="
        urls = [ws_base + k + ("&ack=1" if ack else "") for k in keys for _ in range(fanout)]
        options = {"urls": urls, "ack": ack, "compression": args.compression}
        await clients.call("POST", "/connect", options)
        try:
            # warm-up: every pump and connection carries traffic once
            warm = await asyncio.gather(*[phase.send() for _ in range(max(50, len(keys)))])
            await clients.wait([w for w, _ in warm], fanout)
            await clients.call("POST", "/reset")

            # throughput: as fast as the simulators can offer, `concurrency` POSTs in flight
            messages = args.messages
            if fanout > 1:
                messages = min(messages, max(100, args.max_frames // fanout))
            sem = asyncio.Semaphore(args.concurrency)

            async def bounded() -> tuple[str, float]:
                async with sem:
                    return await phase.send()

            pids = {"gateway": gateway_pid, "clients": clients.pid, "bench": os.getpid()}
            meter = CpuMeter(pids)
            meter.begin()
            t0 = time.time()
            async with asyncio.timeout(PHASE_TIMEOUT_S):
                burst = await asyncio.gather(*[bounded() for _ in range(messages)])
            posted = time.time()
            got = await clients.wait([w for w, _ in burst], fanout)
            cpu = meter.end()
            last = max(max(got[w]) for w, _ in burst)
            duplicates = (await clients.call("GET", "/stats"))["duplicates"]
            await clients.call("POST", "/reset")

            # latency at a fixed offered rate (open loop: sends do not wait for each other)
            tasks = []
            start = time.perf_counter()
            for i in range(args.latency_messages):
                delay = start + i / args.rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(phase.send()))
            sent = dict(await asyncio.gather(*tasks))
            got = await clients.wait(list(sent), fanout)
            frames = sorted((t - sent[w]) * 1000 for w in sent for t in got[w])
            lasts = sorted((max(got[w]) - sent[w]) * 1000 for w in sent)
            duplicates += (await clients.call("GET", "/stats"))["duplicates"]
            await clients.call("POST", "/reset")
        finally:
            await clients.call("POST", "/close")
    return {
        "msgs_per_s": round(messages / (last - t0), 1),
        "frames_per_s": round(messages * fanout / (last - t0), 1),
        "ingest_msgs_per_s": round(messages / (posted - t0), 1),
        "p50_ms": round(statistics.median(frames), 2),
        "p99_ms": round(percentile(frames, 0.99), 2),
        "p99_last_ms": round(percentile(lasts, 0.99), 2),
        "redelivered_frames": duplicates,
        "messages": messages,
        "cpu_s": cpu,
    }


# --- databases and the run ------------------------------------------------------------------


def plan(args: argparse.Namespace) -> list[tuple[str, int, int, int]]:
    """(shape, N, tenants, connections per tenant) for each phase."""
    shapes = args.shapes.split(",")
    phases = []
    for n in (int(c) for c in args.clients.split(",")):
        if n == 1:
            phases.append(("one", 1, 1, 1))
            continue
        if "fanout" in shapes:
            phases.append(("fanout", n, 1, n))
        if "tenants" in shapes:
            phases.append(("tenants", n, n, 1))
    return phases


async def run_database(
    kind: str, database_url: str, clients: Clients, args: argparse.Namespace
) -> None:
    phases = plan(args)
    acks = {"1": [True], "0": [False], "both": [True, False]}[args.ack]
    keys = await make_tenants(database_url, sum(t for *_, t, _ in phases) * len(acks))
    async with serve(database_url) as gateway:
        for ack in acks:
            for shape, n, tenants, per_tenant in phases:
                mine, keys = keys[:tenants], keys[tenants:]
                began = time.time()
                result = await run_phase(
                    clients.http, clients, gateway, mine, per_tenant, ack, args
                )
                line = {
                    "bench": "socket",
                    "database": kind,
                    "shape": shape,
                    "clients": n,
                    "tenants": tenants,
                    "ack": ack,
                    "compression": args.compression,
                    **result,
                    "latency_messages": args.latency_messages,
                    "offered_rate": args.rate,
                    "phase_s": round(time.time() - began, 1),
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                }
                print(orjson.dumps(line).decode(), flush=True)


async def main(args: argparse.Namespace) -> None:
    with clients_process() as (clients_url, clients_pid), tempfile.TemporaryDirectory() as tmp:
        await wait_http(clients_url + "/stats")
        async with aiohttp.ClientSession() as http:
            clients = Clients(http, clients_url, clients_pid)
            for kind in args.databases.split(","):
                async with database(kind, args.postgres_url, Path(tmp)) as url:
                    await run_database(kind, url, clients, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,10,100", help="connected clients, per phase")
    parser.add_argument("--shapes", default="fanout,tenants", help="fanout, tenants or both")
    parser.add_argument("--messages", type=int, default=2000, help="throughput phase size")
    parser.add_argument(
        "--max-frames", type=int, default=40000, help="fanout: messages * N at most"
    )
    parser.add_argument("--rate", type=float, default=100, help="offered load for latency")
    parser.add_argument("--latency-messages", type=int, default=300)
    parser.add_argument("--users", type=int, default=200, help="distinct WhatsApp senders")
    parser.add_argument("--concurrency", type=int, default=32, help="POSTs in flight")
    parser.add_argument("--ack", choices=("1", "0", "both"), default="1")
    parser.add_argument("--compression", choices=("deflate", "none"), default="deflate")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
    )
    asyncio.run(main(parser.parse_args()))
