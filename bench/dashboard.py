"""Dashboard page times on a big database: one JSON line per database.

1. flow: a tenant, the simulator's number and two webhook destinations on one receiver
   process (both answer 200); --conversations senders send one message each through the
   gateway (so there are that many conversations, each delivery with its attempt).
2. seed: the gateway stopped, the deliveries are copied in the database until there are
   --deliveries: created over the last day (a share in the last hour), 90 % succeeded (a
   few hundred ms after they were stored), 5 % failed, 5 % pending.
3. pages: the gateway started again without workers (nothing changes under the
   measurement); signed in as the tenant, each page is fetched --runs times; reported per
   page: p50 and max in ms, and the target (≤ 200 ms) met or not.

Usage: .venv/bin/python bench/dashboard.py [--deliveries 1000000] [--conversations 10000]
       [--runs 10] [--databases sqlite,postgres]
Bounded: message counts and runs; all traffic stays on 127.0.0.1.
"""

import argparse
import asyncio
import contextlib
import os
import platform
import re
import sqlite3
import statistics
import tempfile
import time
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
    serve_forever,
    wait_http,
)

from wahooks.demo.registration import number_registration
from wahooks.sim import SimSettings, Simulator

TARGET_MS = 200
DAY_S = 86400
# Copies of the flow's deliveries, spread over the last day: state by the copy's number, a
# latency of 0.05-0.65 s for the finished ones; new ids; pending ones filed behind their
# conversation's head by the database's triggers.
COPY_SQL = """
INSERT INTO deliveries (id, tenant_id, destination_id, event_seq, conversation_id, state,
                        next_attempt_at, attempts, total_attempts, created_at, updated_at)
SELECT 'dlv_bench_' || d.seq || '_' || n.i, d.tenant_id, d.destination_id, d.event_seq,
       d.conversation_id,
       CASE WHEN n.i % 20 = 0 THEN 'failed' WHEN n.i % 20 = 1 THEN 'pending' ELSE 'succeeded' END,
       {now}, 1, 1,
       {now} - ((d.seq * 7919 + n.i * 104729) % {day}),
       {now} - ((d.seq * 7919 + n.i * 104729) % {day}) + 0.05 + (n.i % 7) * 0.1
FROM deliveries d CROSS JOIN ({series}) n
"""
SQLITE_SERIES = (
    "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {k}) SELECT i FROM s"
)
POSTGRES_SERIES = "SELECT generate_series(1, {k}) AS i"
CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def _receiver_main(port: int) -> None:
    from aiohttp import web

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True})

    serve_forever(port, [web.post("/hook/{name}", hook)])


async def seed(database_url: str, copies: int) -> float:
    started = time.perf_counter()
    now = time.time()
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute(COPY_SQL.format(series=SQLITE_SERIES.format(k=copies), now=now, day=DAY_S))
            db.commit()
            db.execute("ANALYZE")
    else:
        connection = await asyncpg.connect(database_url)
        try:
            series = POSTGRES_SERIES.format(k=copies)
            await connection.execute(COPY_SQL.format(series=series, now=now, day=DAY_S))
            # What autovacuum does to a table that big soon after: statistics, and the
            # visibility map that lets the counts read the index alone.
            await connection.execute("VACUUM ANALYZE deliveries")
        finally:
            await connection.close()
    return round(time.perf_counter() - started, 1)


async def sign_in(http: aiohttp.ClientSession, url: str, key: str) -> None:
    async with http.get(url + "/dashboard/sign-in") as r:
        token = CSRF.search(await r.text())
    assert token is not None
    headers = {"Origin": url, "Sec-Fetch-Site": "same-origin"}
    form = {"key": key, "csrf": token.group(1)}
    async with http.post(url + "/dashboard/sign-in", data=form, headers=headers) as r:
        assert r.status == 200 and "/dashboard/overview" in str(r.url), r.status


async def timed(http: aiohttp.ClientSession, url: str, runs: int) -> dict[str, Any]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        async with http.get(url) as r:
            await r.read()
            assert r.status == 200, (url, r.status)
        times.append((time.perf_counter() - started) * 1000)
    p50 = statistics.median(times)
    return {"p50_ms": round(p50, 1), "max_ms": round(max(times), 1), "ok": p50 <= TARGET_MS}


async def scenario(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    env = gateway_env(database_url)
    key = create_tenant(env)
    auth = {"Authorization": f"Bearer {key}"}
    result: dict[str, Any] = {}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with process(_receiver_main, port):
        await wait_http(base + "/hook/x")
        async with contextlib.AsyncExitStack() as stack:
            http = await stack.enter_async_context(
                aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
            )
            gateway_port = free_port()
            settings = SimSettings(
                gateway_url=f"http://127.0.0.1:{gateway_port}/ingress/meta", send_statuses=False,
                phone_number_id="100000000077777", display_phone_number="15550077777",
            )  # fmt: skip
            sim = await stack.enter_async_context(Simulator(settings))
            ids: dict[str, str] = {}
            # 1. flow
            async with gateway_process(env, gateway_port) as (url, _):
                async with http.post(
                    url + "/v1/numbers", json=number_registration(sim), headers=auth
                ) as r:
                    assert r.status == 201, await r.text()
                for name in ("one", "two"):
                    made = {"url": f"{base}/hook/{name}", "label": name}
                    async with http.post(url + "/v1/destinations", json=made, headers=auth) as r:
                        assert r.status == 201, await r.text()
                        ids[name] = (await r.json())["id"]
                lane = asyncio.Semaphore(32)

                async def send(i: int) -> None:
                    async with lane:
                        user = sim.user(f"1557{i:07d}", f"User {i}")
                        await sim.send(user, "text", body=f"m{i}", retries=5)

                t0 = time.time()
                await asyncio.gather(*(send(i) for i in range(args.conversations)))
                flowed = 2 * args.conversations
                while True:  # every delivery finished
                    async with http.get(url + "/v1/deliveries?status=pending&limit=1",
                                        headers=auth) as r:  # fmt: skip
                        if not (await r.json())["data"]:
                            break
                    await asyncio.sleep(0.5)
                result["flow_s"] = round(time.time() - t0, 1)
            # 2. seed
            copies = max(0, args.deliveries // flowed - 1)
            result["seed_s"] = await seed(database_url, copies)
            result["deliveries"] = flowed * (copies + 1)
            result["conversations"] = args.conversations
            # 3. pages
            quiet = {**env, "WAHOOKS_WORKER_ENABLED": "false"}
            async with gateway_process(quiet, gateway_port) as (url, _):
                await sign_in(http, url, key)
                async with http.get(url + "/v1/deliveries?limit=1", headers=auth) as r:
                    newest = (await r.json())["data"][0]
                since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 1800))
                pages = {
                    "overview_hour": "/dashboard/overview",
                    "overview_day": "/dashboard/overview?window=day",
                    "overview_one_destination": f"/dashboard/overview?destination={ids['one']}",
                    "destinations": "/dashboard/destinations",
                    "destination": f"/dashboard/destinations/{ids['one']}",
                    "deliveries": "/dashboard/deliveries",
                    "deliveries_failed": "/dashboard/deliveries?status=failed",
                    "deliveries_destination": f"/dashboard/deliveries?destination={ids['two']}",
                    "deliveries_conversation":
                        f"/dashboard/deliveries?conversation={newest['conversationId']}",
                    "deliveries_last_30_min": f"/dashboard/deliveries?since={since}",
                    "delivery": f"/dashboard/deliveries/{newest['id']}",
                }  # fmt: skip
                result["pages"] = {
                    name: await timed(http, url + path, args.runs) for name, path in pages.items()
                }
    result["all_ok"] = all(p["ok"] for p in result["pages"].values())
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
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
        line = {"bench": "dashboard", "database": kind, **figures, "machine": machine}
        print(orjson.dumps(line).decode(), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
