"""A soak: a fixed rate for a given time, latency and RSS per minute; one JSON line each.

Simulated Meta notifications go into a `wahooks serve` subprocess at --rate messages per
second from --conversations senders, open loop, for --minutes; a receiver (its own
process) answers 200. --via app registers the number to an App and delivers through the
App's webhook (the App's socket destination exists, no socket ever connects); --via tenant
through a tenant webhook. Each minute's line: messages sent in it, delivery latency p50/p99
(simulator POST to arrival), ingest POST p50, the gateway's RSS at its end. The last line
compares the last --window minutes with the first (the target: within 20%).

Usage: .venv/bin/python bench/soak.py [--rate 200] [--minutes 60] [--conversations 500]
       [--via app,tenant] [--databases sqlite,postgres] [--window 10]
Bounded: a rate and a duration; all traffic stays on 127.0.0.1.
"""

import argparse
import asyncio
import contextlib
import os
import platform
import statistics
import tempfile
import time
from collections import defaultdict
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
    process,
    rss_mb,
    serve_forever,
    wait_http,
)

from wahooks.demo.registration import number_registration
from wahooks.sim import SimSettings, Simulator

DRAIN_S = 120  # after the last send, for the last minute's messages to arrive


def _receiver_main(port: int) -> None:
    """Answers 200; /stats?since=n: (wamid, arrival time) from the n-th on."""
    from aiohttp import web

    arrivals: list[tuple[str, float]] = []

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        with contextlib.suppress(KeyError, IndexError, orjson.JSONDecodeError):
            message = orjson.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]
            arrivals.append((message["id"], time.time()))
        return web.Response(status=200)

    async def stats(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        return web.Response(body=orjson.dumps(arrivals[since:]), content_type="application/json")

    serve_forever(port, [web.post("/hook", hook), web.get("/stats", stats)])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, int(len(ordered) * q) - 1)], 1) if ordered else 0.0


async def destination_for(
    http: aiohttp.ClientSession, url: str, auth: dict[str, str], via: str, sim: Simulator, hook: str
) -> None:
    """The number and the webhook, registered for an App or for the tenant."""
    registration = number_registration(sim)
    headers = auth
    if via == "app":
        app = {"name": "soak", "slug": f"soak-{os.getpid()}"}
        async with http.post(url + "/v1/apps", json=app, headers=auth) as r:
            assert r.status == 201, await r.text()
            headers = {"Authorization": f"Bearer {(await r.json())['apiKey']}"}
    async with http.post(url + "/v1/numbers", json=registration, headers=headers) as r:
        assert r.status == 201, await r.text()
    async with http.post(url + "/v1/destinations", json={"url": hook}, headers=headers) as r:
        assert r.status == 201, await r.text()


async def soak(database_url: str, via: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    env = gateway_env(database_url)
    auth = {"Authorization": f"Bearer {create_tenant(env)}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    minutes: list[dict[str, Any]] = []
    with process(_receiver_main, port):
        await wait_http(base + "/stats")
        async with contextlib.AsyncExitStack() as stack:
            http = await stack.enter_async_context(aiohttp.ClientSession())
            url, proc = await stack.enter_async_context(gateway_process(env))
            settings = SimSettings(
                gateway_url=url + "/ingress/meta", send_statuses=False,
                phone_number_id="100000000099999", display_phone_number="15550099999",
            )  # fmt: skip
            sim = await stack.enter_async_context(Simulator(settings))
            await destination_for(http, url, auth, via, sim, base + "/hook")
            users = [sim.user(f"1557{i:07d}", f"User {i}") for i in range(args.conversations)]
            sent: dict[str, tuple[int, float]] = {}  # wamid: (minute, send time)
            posts: dict[int, list[float]] = defaultdict(list)
            rss: dict[int, float] = {}
            lanes = [asyncio.Lock() for _ in users]  # a sender's messages one after another

            async def send(i: int, minute: int) -> None:
                async with lanes[i % len(users)]:
                    started = time.time()
                    result = await sim.send(users[i % len(users)], "text", body=f"m{i}", retries=5)
                    posts[minute].append((time.time() - started) * 1000)
                    if result.ok:
                        sent[result.wamid] = (minute, started)

            t0 = time.time()
            tasks: list[asyncio.Task[None]] = []
            total = int(args.rate * args.minutes * 60)
            for i in range(total):
                at = t0 + i / args.rate
                minute = int((at - t0) // 60)
                if minute not in rss and minute > 0:
                    rss[minute - 1] = rss_mb(proc.pid)
                delay = at - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(send(i, minute)))
            await asyncio.gather(*tasks)
            rss[args.minutes - 1] = rss_mb(proc.pid)
            arrived: dict[str, float] = {}
            deadline = time.time() + DRAIN_S
            while len(arrived) < len(sent) and time.time() < deadline:
                async with http.get(base + f"/stats?since={len(arrived)}") as r:
                    arrived.update(orjson.loads(await r.read()))
                await asyncio.sleep(0.5)
    by_minute: dict[int, list[float]] = defaultdict(list)
    for wamid, (minute, started) in sent.items():
        if wamid in arrived:
            by_minute[minute].append((arrived[wamid] - started) * 1000)
    for minute in range(args.minutes):
        latencies = by_minute.get(minute, [])
        minutes.append({
            "minute": minute + 1, "sent": len(latencies),
            "p50_ms": pct(latencies, 0.5), "p99_ms": pct(latencies, 0.99),
            "post_p50_ms": pct(posts.get(minute, []), 0.5), "rss_mb": rss.get(minute, 0.0),
        })  # fmt: skip
    lost = len(sent) - len(arrived)
    return [*minutes, {"lost": lost, **_drift(minutes, args.window)}]


def _drift(minutes: list[dict[str, Any]], window: int) -> dict[str, Any]:
    """The last ``window`` minutes against the first: medians of the per-minute figures."""
    window = max(1, min(window, len(minutes) // 2))
    first, last = minutes[:window], minutes[-window:]
    out: dict[str, Any] = {"window_min": window}
    for key in ("p50_ms", "p99_ms", "rss_mb"):
        a = statistics.median(m[key] for m in first)
        b = statistics.median(m[key] for m in last)
        out[f"{key}_first"], out[f"{key}_last"] = a, b
        out[f"{key}_ratio"] = round(b / a, 2) if a else None
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--via", default="app,tenant")
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
    )
    args = parser.parse_args()
    machine = {"cpus": os.cpu_count(), "python": platform.python_version()}
    for kind in args.databases.split(","):
        for via in args.via.split(","):
            with tempfile.TemporaryDirectory() as tmp:
                async with database(kind, args.postgres_url, Path(tmp)) as url:
                    lines = await soak(url, via, args)
            for line in lines:
                head = {"bench": "soak", "database": kind, "via": via, "rate": args.rate}
                print(orjson.dumps({**head, **line, "machine": machine}).decode(), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
