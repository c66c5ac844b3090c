"""A backlog that costs nothing while it waits: one JSON line per database.

One tenant, one number, two webhook destinations on one receiver process: `live` answers
200, `dead` answers 503 until the bench heals it. Phases:

1. healthy: --conversations senders send one message each, flat out (at most --in-flight
   at once); the live destination's arrival rate is the healthy end-to-end rate of this
   run (the dead one's circuit opens meanwhile).
2. seed: the gateway stopped, the dead destination's deliveries are copied in the
   database until --backlog wait for it (each a copy of its conversation's message, behind
   its head, so every conversation has --backlog / --conversations waiting).
3. live: the gateway started again; --rate messages per second for --live-s from the same
   senders. Reported: the live destination's latency p50/p99 (simulator POST to arrival),
   the dispatcher's claim time (mean, and the histogram bucket holding the p99, from
   /metrics), the gateway's RSS at the start and end of the phase, and ingest POST p50.
4. drain: the dead receiver healed; the dead destination's arrivals per second over
   --drain-s, and its ratio to the healthy rate of phase 1.

Usage: .venv/bin/python bench/backlog.py [--backlog 1000000] [--conversations 10000]
       [--rate 100] [--live-s 60] [--drain-s 60] [--databases sqlite]
Bounded: message counts, a rate and phase deadlines; all traffic stays on 127.0.0.1.
"""

import argparse
import asyncio
import contextlib
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
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
from prometheus_client.parser import text_string_to_metric_families

from wahooks.demo.registration import number_registration
from wahooks.sim import SimSettings, Simulator

PHASE_TIMEOUT_S = 600
# Copies of the dead destination's deliveries: same conversation, event and times, each a
# new id; the database's triggers file each behind its conversation's head.
COPY_SQL = """
INSERT INTO deliveries (id, tenant_id, destination_id, event_seq, conversation_id, state,
                        next_attempt_at, attempts, total_attempts, created_at, updated_at)
SELECT 'dlv_bk_' || d.seq || '_' || n.i, d.tenant_id, d.destination_id, d.event_seq,
       d.conversation_id, 'pending', d.next_attempt_at, 0, 0, d.created_at, d.updated_at
FROM deliveries d CROSS JOIN ({series}) n
WHERE d.destination_id = {dead} AND d.state IN ('pending', 'leased')
"""
SQLITE_SERIES = (
    "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {k}) SELECT i FROM s"
)
POSTGRES_SERIES = "SELECT generate_series(1, {k}) AS i"


def _receiver_main(port: int) -> None:
    """/live answers 200, /dead 503 until POST /heal; /stats: (path, wamid, time) of 2xx."""
    from aiohttp import web

    arrivals: list[tuple[str, str, float]] = []
    healed: list[bool] = []

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        path = request.match_info["path"]
        if path == "dead" and not healed:
            return web.Response(status=503)
        with contextlib.suppress(KeyError, IndexError, orjson.JSONDecodeError):
            message = orjson.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]
            arrivals.append((path, message["id"], time.time()))
        return web.Response(status=200)

    async def heal(_: web.Request) -> web.Response:
        healed.append(True)
        return web.json_response({})

    async def stats(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        return web.Response(body=orjson.dumps(arrivals[since:]), content_type="application/json")

    routes = [web.post("/hook/{path}", hook), web.post("/heal", heal), web.get("/stats", stats)]
    serve_forever(port, routes)


async def _at_least(arrivals: "Arrivals", path: str, n: int) -> bool:
    return await arrivals.count(path) >= n


class Arrivals:
    """The receiver's arrivals, fetched incrementally."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base, self.seen = http, base, []  # type: ignore[var-annotated]

    async def update(self) -> list[tuple[str, str, float]]:
        async with self.http.get(self.base + f"/stats?since={len(self.seen)}") as r:
            self.seen += [tuple(a) for a in orjson.loads(await r.read())]
        return self.seen

    async def count(self, path: str) -> int:
        return sum(1 for p, _, _ in await self.update() if p == path)


async def until(predicate: Callable[[], Awaitable[bool]]) -> None:
    """Polls ``predicate`` until it holds, at most a phase's time."""
    async with asyncio.timeout(PHASE_TIMEOUT_S):
        while True:
            if await predicate():
                return
            await asyncio.sleep(0.2)


def operator_key(env: dict[str, str]) -> str:
    made = subprocess.run(
        [sys.executable, "-m", "wahooks", "operator-key", "create", "--label", "bench"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return next(w for w in made.stdout.split() if w.startswith("op_live_"))


async def claim_histogram(http: aiohttp.ClientSession, url: str, key: str) -> dict[str, float]:
    async with http.get(url + "/metrics", headers={"Authorization": f"Bearer {key}"}) as r:
        text = await r.text()
    figures: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "wahooks_delivery_claim_seconds_bucket":
                figures[sample.labels["le"]] = sample.value
            elif sample.name in ("wahooks_delivery_claim_seconds_sum",
                                 "wahooks_delivery_claim_seconds_count"):  # fmt: skip
                figures[sample.name.rsplit("_", 1)[1]] = sample.value
    return figures


def claim_figures(before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    """Mean claim time in the phase, and the smallest bucket bound holding its 99th pct."""
    n = after.get("count", 0) - before.get("count", 0)
    if n <= 0:
        return {"claims": 0}
    mean_ms = (after["sum"] - before.get("sum", 0)) / n * 1000
    p99_bound = None
    for le in sorted((k for k in after if k not in ("sum", "count")), key=float):
        if after[le] - before.get(le, 0) >= 0.99 * n:
            p99_bound = float(le) * 1000
            break
    return {"claims": int(n), "claim_mean_ms": round(mean_ms, 2), "claim_p99_le_ms": p99_bound}


async def seed(database_url: str, dead: str, copies: int) -> float:
    """``copies`` more deliveries behind each of the dead destination's; seconds taken."""
    started = time.perf_counter()
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        with contextlib.closing(sqlite3.connect(path)) as db:
            series = SQLITE_SERIES.format(k=copies)
            db.execute(COPY_SQL.format(series=series, dead="?"), (dead,))
            db.commit()
    else:
        connection = await asyncpg.connect(database_url)
        try:
            series = POSTGRES_SERIES.format(k=copies)
            await connection.execute(COPY_SQL.format(series=series, dead="$1"), dead)
        finally:
            await connection.close()
    return round(time.perf_counter() - started, 1)


async def scenario(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    # Probes every few seconds: the drain starts soon after the heal, however long the
    # circuit has been open (the default steps reach 2 min).
    env = gateway_env(database_url, WAHOOKS_CIRCUIT_PROBE_DELAYS_S="[1,2,5]")
    key, operator = create_tenant(env), operator_key(env)
    auth = {"Authorization": f"Bearer {key}"}
    result: dict[str, Any] = {}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with process(_receiver_main, port):
        await wait_http(base + "/stats")
        async with contextlib.AsyncExitStack() as stack:
            http = await stack.enter_async_context(aiohttp.ClientSession())
            arrivals = Arrivals(http, base)
            gateway_port = free_port()  # the same for both runs: the simulator posts there
            settings = SimSettings(
                gateway_url=f"http://127.0.0.1:{gateway_port}/ingress/meta", send_statuses=False,
                phone_number_id="100000000088888", display_phone_number="15550088888",
            )  # fmt: skip
            sim = await stack.enter_async_context(Simulator(settings))
            users = [sim.user(f"1556{i:07d}", f"User {i}") for i in range(args.conversations)]
            sent_at: dict[str, float] = {}
            post_ms: list[float] = []

            async def send(i: int, lane: asyncio.Semaphore) -> None:
                async with lane:
                    started = time.time()
                    sent = await sim.send(users[i % len(users)], "text", body=f"m{i}", retries=5)
                    post_ms.append((time.time() - started) * 1000)
                    if sent.ok:
                        sent_at[sent.wamid] = started

            # 1. healthy
            async with gateway_process(env, gateway_port) as (url, _):
                async with http.post(
                    url + "/v1/numbers", json=number_registration(sim), headers=auth
                ) as r:
                    assert r.status == 201, await r.text()
                ids = {}
                for path in ("live", "dead"):
                    made = {"url": f"{base}/hook/{path}", "label": path}
                    async with http.post(url + "/v1/destinations", json=made, headers=auth) as r:
                        assert r.status == 201, await r.text()
                        ids[path] = (await r.json())["id"]
                lane = asyncio.Semaphore(args.in_flight)
                t0 = time.time()
                await asyncio.gather(*(send(i, lane) for i in range(args.conversations)))
                await until(lambda: _at_least(arrivals, "live", len(sent_at)))
                last = max(at for p, _, at in arrivals.seen if p == "live")
                result["healthy_msgs_per_s"] = round(len(sent_at) / (last - t0), 1)
            # 2. seed
            copies = max(0, args.backlog // args.conversations - 1)
            result["seed_s"] = await seed(database_url, ids["dead"], copies)
            result["backlog"] = args.conversations * (copies + 1)
            # 3. live
            async with gateway_process(env, gateway_port) as (url, proc):
                rss_start = rss_mb(proc.pid)
                before = await claim_histogram(http, url, operator)
                healthy = await arrivals.count("live")
                sent_at.clear()
                post_ms.clear()
                tasks = []
                lane = asyncio.Semaphore(args.in_flight)
                t0 = time.time()
                for i in range(int(args.rate * args.live_s)):
                    delay = t0 + i / args.rate - time.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.create_task(send(i, lane)))
                await asyncio.gather(*tasks)
                await until(lambda: _at_least(arrivals, "live", healthy + len(sent_at)))
                got = {w: at for p, w, at in arrivals.seen if p == "live"}
                latencies = sorted((got[w] - s) * 1000 for w, s in sent_at.items())
                after = await claim_histogram(http, url, operator)
                result.update(
                    live_messages=len(latencies),
                    live_p50_ms=round(statistics.median(latencies), 1),
                    live_p99_ms=round(latencies[int(len(latencies) * 0.99) - 1], 1),
                    ingest_post_p50_ms=round(statistics.median(post_ms), 1),
                    **claim_figures(before, after),
                    rss_mb_live_start=rss_start,
                    rss_mb_live_end=rss_mb(proc.pid),
                )
                # 4. drain
                dead_before = await arrivals.count("dead")
                async with http.post(base + "/heal") as r:
                    assert r.status == 200
                healed = time.time()
                await until(lambda: _at_least(arrivals, "dead", dead_before + 1))
                first = min(at for p, _, at in arrivals.seen[-50:] if p == "dead")
                await asyncio.sleep(args.drain_s)
                drained = await arrivals.count("dead") - dead_before
                rate = drained / (time.time() - first)
                result.update(
                    first_drained_after_heal_s=round(first - healed, 1),
                    drain_msgs_per_s=round(rate, 1),
                    drain_ratio_to_healthy=round(rate / result["healthy_msgs_per_s"], 2),
                    rss_mb_drain_end=rss_mb(proc.pid),
                )
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100, help="live messages per second")
    parser.add_argument("--live-s", type=float, default=60)
    parser.add_argument("--drain-s", type=float, default=60)
    parser.add_argument("--in-flight", type=int, default=32, help="simulator POSTs at once")
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
    )
    args = parser.parse_args()
    for kind in args.databases.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            async with database(kind, args.postgres_url, Path(tmp)) as url:
                figures = await scenario(url, args)
        machine = {"cpus": os.cpu_count(), "python": platform.python_version()}
        line = {"bench": "backlog", "database": kind, **figures, "machine": machine}
        print(orjson.dumps(line).decode(), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
