"""End-to-end relay benchmark: one JSON line per database.

(a) raw_posts_per_s: signed POSTs straight from this process to the sample receiver
    (running in its own process): the physical limit of one hop on this machine.
(b) e2e_msgs_per_s: simulated Meta notifications into a `wahooks serve` subprocess, signed
    webhooks out to the same receiver: messages / (last arrival - first send).
    With --postgres-processes 2 (the default: 1,2), also two gateway processes on one
    PostgreSQL database, each fed by its own simulated number; gateway_cpu is the cores each
    process used during the throughput phase, so the ceiling is visible.
    p50_ms / p99_ms: latency from the simulator's POST to arrival at the receiver, at an
    offered load of --rate messages per second (open loop).

    With --profile DIR, py-spy samples each gateway during the throughput phase into
    DIR/e2e-<database>-<processes>-<n>.txt (folded stacks; bench/profile.py sums them up).

Usage: .venv/bin/python bench/e2e.py [--messages 5000] [--rate 100] [--latency-messages 1000]
       [--databases sqlite,postgres] [--postgres-processes 1,2]
       [--postgres-url postgresql://postgres@127.0.0.1/postgres] [--profile DIR]
Bounded: every phase has a message count and a time limit; all traffic stays on 127.0.0.1.
"""

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from harness import (
    POSTGRES_URL,
    create_tenant,
    database,
    free_port,
    gateway_env,
    gateway_process,
    wait_http,
)

from wahooks.delivery.signing import new_secret, signature_headers
from wahooks.demo.registration import number_registration
from wahooks.sim import SimSettings, Simulator

PHASE_TIMEOUT_S = 120


def _receiver_main(port: int, secret: str) -> None:
    """Sample receiver + a /stats endpoint with each wamid's arrival time."""
    from aiohttp import web

    from wahooks.demo.receiver import Arrival, Receiver

    arrivals: dict[str, float] = {}

    def remember(arrival: Arrival) -> None:
        try:
            value = orjson.loads(arrival.body)["entry"][0]["changes"][0]["value"]
            arrivals.setdefault(value["messages"][0]["id"], arrival.received_at)
        except (KeyError, IndexError, orjson.JSONDecodeError):
            pass

    async def main() -> None:
        receiver = Receiver(secret=secret, port=port, on_arrival=remember)
        app = web.Application()

        async def stats(_: web.Request) -> web.Response:
            return web.json_response({"count": receiver.count, "verified": sum(
                1 for a in receiver.arrivals if a.verified), "arrivals": arrivals})  # fmt: skip

        async def reset(_: web.Request) -> web.Response:
            arrivals.clear()
            receiver.arrivals.clear()
            receiver.count = 0
            return web.json_response({})

        app.router.add_get("/stats", stats)
        app.router.add_post("/reset", reset)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port + 1).start()
        receiver.record_bodies = False
        await receiver.start()
        await asyncio.Event().wait()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


@contextlib.contextmanager
def receiver_process(secret: str) -> Any:
    port = free_port()
    while True:  # the stats endpoint sits on port + 1
        with contextlib.suppress(OSError), socket.socket() as s:
            s.bind(("127.0.0.1", port + 1))
            break
        port = free_port()
    proc = multiprocessing.get_context("spawn").Process(
        target=_receiver_main, args=(port, secret), daemon=True
    )
    proc.start()
    try:
        yield port
    finally:
        proc.kill()
        proc.join()


async def stats(http: aiohttp.ClientSession, port: int) -> dict[str, Any]:
    async with http.get(f"http://127.0.0.1:{port + 1}/stats") as r:
        return dict(await r.json())


# --- (a) raw hop ------------------------------------------------------------------------


SAMPLE = {
    "object": "whatsapp_business_account",
    "entry": [{"id": "num_bench", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "+15550000001", "phone_number_id": "num_bench"},
        "messages": [{"from": "15551230001", "id": "wamid.raw", "type": "text",
                      "timestamp": "2025-01-15T10:30:00.000Z", "text": {"body": "hello"}}],
        "contacts": [{"profile": {"name": "Jane"}, "wa_id": "15551230001"}]}}]}],
    "pipes": {"conversationId": "conv_bench", "poolNumberId": "num_bench", "label": "bench"},
}  # fmt: skip


async def raw_posts_per_s(port: int, secret: str, count: int, concurrency: int = 64) -> float:
    url = f"http://127.0.0.1:{port}/webhook"
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        queue = iter(range(count))

        async def worker() -> None:
            for i in queue:
                body = orjson.dumps(SAMPLE)
                headers = signature_headers(secret, f"dlv_{i}", int(time.time()), body)
                headers["Content-Type"] = "application/json"
                async with http.post(url, data=body, headers=headers) as r:
                    await r.read()
                    if r.status != 200:
                        raise RuntimeError(f"receiver answered {r.status}")

        # warm up the connections, then measure
        await asyncio.gather(*[worker() for _ in range(concurrency)])  # consumes nothing left
        queue = iter(range(count))
        t0 = time.perf_counter()
        async with asyncio.timeout(PHASE_TIMEOUT_S):
            await asyncio.gather(*[worker() for _ in range(concurrency)])
        return count / (time.perf_counter() - t0)


# --- (b) through the gateway ----------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def profile(folder: str | None, name: str, pids: list[int]) -> list[subprocess.Popen[bytes]]:
    """py-spy sampling each of ``pids`` until stop_profiles (nothing without ``folder``)."""
    if folder is None:
        return []
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    Path(folder).mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [spy, "record", "--nonblocking", "-r", "250", "-f", "raw", "-p", str(pid),
             "-o", str(Path(folder) / f"{name}-{n}.txt")],
            stdout=subprocess.DEVNULL,
        )
        for n, pid in enumerate(pids)
    ]  # fmt: skip


def stop_profiles(profilers: list[subprocess.Popen[bytes]]) -> None:
    for spy in profilers:
        spy.send_signal(signal.SIGINT)  # py-spy writes what it sampled, then ends
    for spy in profilers:
        spy.wait(30)


async def through_gateway(
    database_url: str, receiver_port: int, secret: str, args: argparse.Namespace, processes: int
) -> dict[str, Any]:
    """``processes`` gateways on one database, each fed by its own simulated number."""
    env = gateway_env(database_url)
    key = create_tenant(env)
    auth = {"Authorization": f"Bearer {key}"}
    async with contextlib.AsyncExitStack() as stack:
        http = await stack.enter_async_context(aiohttp.ClientSession())
        gateways = [await stack.enter_async_context(gateway_process(env)) for _ in range(processes)]
        sims = []
        for n, (url, _) in enumerate(gateways):
            settings = SimSettings(
                gateway_url=url + "/ingress/meta",
                send_statuses=False,
                phone_number_id=f"1000000000{n:05d}",
                display_phone_number=f"1555000{n:04d}",
            )
            sim = await stack.enter_async_context(Simulator(settings))
            async with http.post(
                url + "/v1/numbers", json=number_registration(sim), headers=auth
            ) as r:
                assert r.status == 201, await r.text()
            sims.append(sim)
        destination = {
            "url": f"http://127.0.0.1:{receiver_port}/webhook",
            "secret": secret,
            "label": "bench",
        }
        async with http.post(
            gateways[0][0] + "/v1/destinations", json=destination, headers=auth
        ) as r:
            assert r.status == 201, await r.text()
        users = [[sim.user(f"1555{i:07d}", f"User {i}") for i in range(args.users)] for sim in sims]

        async def send(i: int) -> tuple[str, float]:
            started = time.time()
            n, turn = i % len(sims), i // len(sims)
            result = await sims[n].send(users[n][turn % args.users], "text", body=f"message {i}")
            if not result.ok:
                raise RuntimeError(f"gateway answered {result.status}")
            return result.wamid, started

        # warm-up: connections, caches, JIT-free but page cache matters
        warm = await asyncio.gather(*[send(i) for i in range(200)])
        await _wait_arrivals(http, receiver_port, [w for w, _ in warm])
        await http.post(f"http://127.0.0.1:{receiver_port + 1}/reset")

        # throughput: as fast as the simulator can offer, `concurrency` POSTs in flight
        sem = asyncio.Semaphore(args.concurrency)

        async def bounded(i: int) -> tuple[str, float]:
            async with sem:
                return await send(i)

        cpu_before = [cpu_seconds(proc.pid) for _, proc in gateways]
        name = f"e2e-{'sqlite' if database_url.startswith('sqlite') else 'postgres'}-{processes}"
        profilers = profile(args.profile, name, [proc.pid for _, proc in gateways])
        t0 = time.time()
        async with asyncio.timeout(PHASE_TIMEOUT_S):
            burst = await asyncio.gather(*[bounded(i) for i in range(args.messages)])
        got = await _wait_arrivals(http, receiver_port, [w for w, _ in burst])
        stop_profiles(profilers)
        last = max(got["arrivals"][w] for w, _ in burst)
        cpu = [
            round((cpu_seconds(proc.pid) - before) / (time.time() - t0), 2)
            for (_, proc), before in zip(gateways, cpu_before, strict=True)
        ]
        posts_beyond_one_per_message = got["count"] - args.messages
        throughput = args.messages / (last - t0)
        await http.post(f"http://127.0.0.1:{receiver_port + 1}/reset")

        # latency at a fixed offered rate (open loop: sends do not wait for each other)
        sent: dict[str, float] = {}
        tasks = []
        start = time.perf_counter()
        for i in range(args.latency_messages):
            delay = start + i / args.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(args.messages + i)))
        for wamid, started in await asyncio.gather(*tasks):
            sent[wamid] = started
        got = await _wait_arrivals(http, receiver_port, list(sent))
        latencies = sorted((got["arrivals"][w] - t) * 1000 for w, t in sent.items())
        return {
            "e2e_msgs_per_s": round(throughput, 1),
            "p50_ms": round(statistics.median(latencies), 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
            "verified": got["verified"],
            "redeliveries": posts_beyond_one_per_message,
            "processes": processes,
            # Cores each gateway process used during the throughput phase.
            "gateway_cpu": cpu,
        }


async def _wait_arrivals(
    http: aiohttp.ClientSession, port: int, wamids: list[str]
) -> dict[str, Any]:
    async with asyncio.timeout(PHASE_TIMEOUT_S):
        while True:
            got = await stats(http, port)
            if all(w in got["arrivals"] for w in wamids):
                return got
            await asyncio.sleep(0.05)


async def main(args: argparse.Namespace) -> None:
    secret = new_secret()
    with receiver_process(secret) as port, tempfile.TemporaryDirectory() as tmp:
        await wait_http(f"http://127.0.0.1:{port + 1}/stats")
        raw = await raw_posts_per_s(port, secret, args.raw_posts)
        async with aiohttp.ClientSession() as http:
            await http.post(f"http://127.0.0.1:{port + 1}/reset")
        runs = [(kind, 1) for kind in args.databases.split(",")]
        # Several processes share only a PostgreSQL database (SQLite has one writer).
        runs += [("postgres", n) for n in args.postgres_processes if n > 1]
        for kind, processes in runs:
            async with database(kind, args.postgres_url, Path(tmp)) as url:
                result = await through_gateway(url, port, secret, args, processes)
            line = {
                "bench": "e2e",
                "database": kind,
                **result,
                "raw_posts_per_s": round(raw, 1),
                "ratio": round(result["e2e_msgs_per_s"] / raw, 3),
                "messages": args.messages,
                "latency_messages": args.latency_messages,
                "offered_rate": args.rate,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            }
            print(orjson.dumps(line).decode(), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000, help="throughput phase size")
    parser.add_argument("--raw-posts", type=int, default=10000, help="raw hop phase size")
    parser.add_argument("--rate", type=float, default=100, help="offered load for latency")
    parser.add_argument("--latency-messages", type=int, default=1000)
    parser.add_argument("--users", type=int, default=200, help="distinct WhatsApp senders")
    parser.add_argument("--concurrency", type=int, default=32, help="POSTs in flight")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--postgres-processes",
        type=lambda v: [int(n) for n in v.split(",")],
        default=[1, 2],
        help="also run PostgreSQL with these numbers of gateway processes (1 is the plain run)",
    )
    parser.add_argument("--profile", help="folder for py-spy samples of the throughput phase")
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
    )
    asyncio.run(main(parser.parse_args()))
