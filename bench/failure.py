"""Delivery under failure: a flaky receiver with an outage, one JSON line per database.

Simulated Meta notifications go into a `wahooks serve` subprocess at --rate messages per
second from --users senders (the conversations), open loop, --messages in all. The
receiver (its own process) answers 500 to --fail-share of the requests at random, and 503
to every request for --outage-s seconds from --outage-at-s after the first send. The
destination uses the App schedule (at once, 10 s, 60 s, 5 min).

Reported: delivered and lost (accepted but never answered 2xx by the deadline),
duplicates (messages answered 2xx more than once), order violations (per conversation,
first successful arrivals out of send order), recovered_s (from the end of the outage to
the last message's arrival), and the delivered rate before the outage and after it.

Usage: .venv/bin/python bench/failure.py [--messages 20000] [--rate 200] [--users 50]
       [--fail-share 0.3] [--outage-at-s 30] [--outage-s 60] [--databases sqlite,postgres]
Bounded: a message count, an offered rate and a deadline; all traffic stays on 127.0.0.1.
"""

import argparse
import asyncio
import contextlib
import itertools
import os
import platform
import random
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
    serve_forever,
    wait_http,
)

from wahooks.demo.registration import number_registration
from wahooks.sim import SimSettings, Simulator

APP_SCHEDULE = [0, 10, 60, 300]
DRAIN_DEADLINE_S = 300  # after the last send, for everything to arrive


def _receiver_main(port: int, fail_share: float, outage_at_s: float, outage_s: float) -> None:
    """Answers as the scenario says; /stats lists (wamid, sender, arrival time, status)."""
    from aiohttp import web

    seen: list[tuple[str, str, float, int]] = []
    armed: list[float] = []  # when the first send went out (set by POST /arm)
    rand = random.Random(7)

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        now = time.time()
        down = bool(armed) and outage_at_s <= now - armed[0] < outage_at_s + outage_s
        status = 503 if down else (500 if rand.random() < fail_share else 200)
        with contextlib.suppress(KeyError, IndexError, orjson.JSONDecodeError):
            message = orjson.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]
            seen.append((message["id"], message["from"], now, status))
        return web.Response(status=status)

    async def arm(request: web.Request) -> web.Response:
        armed[:] = [float((await request.json())["at"])]
        return web.json_response({})

    async def stats(_: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps(seen), content_type="application/json")

    routes = [web.post("/webhook", hook), web.post("/arm", arm), web.get("/stats", stats)]
    serve_forever(port, routes)


async def scenario(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    env = gateway_env(database_url)
    key = create_tenant(env)
    auth = {"Authorization": f"Bearer {key}"}
    port = free_port()
    with process(_receiver_main, port, args.fail_share, args.outage_at_s, args.outage_s):
        base = f"http://127.0.0.1:{port}"
        await wait_http(base + "/stats")
        async with contextlib.AsyncExitStack() as stack:
            http = await stack.enter_async_context(aiohttp.ClientSession())
            url, _ = await stack.enter_async_context(gateway_process(env))
            settings = SimSettings(
                gateway_url=url + "/ingress/meta", send_statuses=False,
                phone_number_id="100000000077777", display_phone_number="15550077777",
            )  # fmt: skip
            sim = await stack.enter_async_context(Simulator(settings))
            async with http.post(
                url + "/v1/numbers", json=number_registration(sim), headers=auth
            ) as r:
                assert r.status == 201, await r.text()
            destination = {"url": base + "/webhook", "retrySchedule": APP_SCHEDULE}
            async with http.post(url + "/v1/destinations", json=destination, headers=auth) as r:
                assert r.status == 201, await r.text()
            users = [sim.user(f"1555{i:07d}", f"User {i}") for i in range(args.users)]
            sent: dict[str, list[str]] = defaultdict(list)  # per sender, in send order
            refused = 0

            async def send(i: int) -> None:
                nonlocal refused
                user = users[i % len(users)]
                result = await sim.send(user, "text", body=f"message {i}", retries=5)
                if result.ok:
                    sent[user.wa_id].append(result.wamid)
                else:
                    refused += 1

            t0 = time.time()
            async with http.post(base + "/arm", json={"at": t0}) as r:
                assert r.status == 200
            tasks: list[asyncio.Task[None]] = []
            # Sends of one sender go in order: Meta sends a user's messages one after the
            # other, and the order checked is the order the gateway accepted them in.
            lanes = [asyncio.Lock() for _ in users]

            async def in_lane(i: int) -> None:
                async with lanes[i % len(users)]:
                    await send(i)

            for i in range(args.messages):
                delay = t0 + i / args.rate - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(in_lane(i)))
            await asyncio.gather(*tasks)
            sent_all = {w for ws in sent.values() for w in ws}
            deadline = time.time() + DRAIN_DEADLINE_S
            while True:
                async with http.get(base + "/stats") as r:
                    seen = orjson.loads(await r.read())
                delivered = {w for w, _, _, status in seen if status == 200}
                if sent_all <= delivered or time.time() > deadline:
                    break
                await asyncio.sleep(1)
    return summarise(seen, sent, refused, t0, args)


def summarise(
    seen: list[Any], sent: dict[str, list[str]], refused: int, t0: float, args: argparse.Namespace
) -> dict[str, Any]:
    first_ok: dict[str, float] = {}
    successes: dict[str, int] = defaultdict(int)
    order: dict[str, list[str]] = defaultdict(list)
    for wamid, sender, at, status in sorted(seen, key=lambda s: s[2]):
        if status != 200:
            continue
        successes[wamid] += 1
        if wamid not in first_ok:
            first_ok[wamid] = at
            order[sender].append(wamid)
    accepted = {w for ws in sent.values() for w in ws}
    violations = 0
    for sender, in_send_order in sent.items():
        expected = [w for w in in_send_order if w in first_ok]
        arrived = [w for w in order[sender] if w in accepted]
        violations += sum(1 for a, b in zip(arrived, expected, strict=True) if a != b)
    outage_end = t0 + args.outage_at_s + args.outage_s
    before = [at for at in first_ok.values() if at < t0 + args.outage_at_s]
    after = sorted(at for at in first_ok.values() if at >= outage_end)
    last = max(first_ok.values(), default=t0)
    sending_ends = t0 + args.messages / args.rate
    after_rate_window = [at for at in after if at < sending_ends]
    # While draining, a conversation's messages go one after another: the gap between two
    # of its arrivals is the cost of one step of its queue (1.4 attempts at 30% failures).
    steps = [
        b - a
        for wamids in order.values()
        for a, b in itertools.pairwise(first_ok[w] for w in wamids)
        if a >= outage_end
    ]
    return {
        "accepted": len(accepted),
        "refused_by_gateway": refused,
        "delivered": len(accepted & set(first_ok)),
        "lost": len(accepted - set(first_ok)),
        "duplicates": sum(1 for n in successes.values() if n > 1),
        "order_violations": violations,
        "requests": len(seen),
        "recovered_s": round(last - outage_end, 1),
        "msgs_per_s_before_outage": round(len(before) / args.outage_at_s, 1),
        "drain_step_ms_p50": round(statistics.median(steps) * 1000, 1) if steps else None,
        "msgs_per_s_after_outage": round(
            len(after_rate_window) / max(sending_ends - outage_end, 1e-9), 1
        ),
    }


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.databases.split(","):
            async with database(kind, args.postgres_url, Path(tmp)) as url:
                result = await scenario(url, args)
            line = {
                "bench": "failure",
                "database": kind,
                **result,
                "messages": args.messages,
                "offered_rate": args.rate,
                "conversations": args.users,
                "fail_share": args.fail_share,
                "outage_s": args.outage_s,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            }
            print(orjson.dumps(line).decode(), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--rate", type=float, default=200, help="messages offered per second")
    parser.add_argument("--users", type=int, default=50, help="conversations")
    parser.add_argument("--fail-share", type=float, default=0.3, help="random 500s")
    parser.add_argument("--outage-at-s", type=float, default=30)
    parser.add_argument("--outage-s", type=float, default=60)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
    )
    asyncio.run(main(parser.parse_args()))
