"""Message-bus destinations against the webhook path: one JSON line per (database, method).

One `wahooks serve` subprocess per database, fed by the simulator; the tenant has one
destination at a time: a webhook to the sample receiver, then NATS JetStream, Redis
Streams and RabbitMQ (the machine's own servers on 127.0.0.1:4222, 6379, 5672: a fresh
stream, key or exchange and queue each, removed afterwards), then SQS (a FIFO queue on a
moto server this script starts on 127.0.0.1). Every consumer runs in its own process and
notes when each wamid arrived:
- webhook: the sample receiver (signatures checked);
- nats: a core subscription on the stream's subject (JetStream stores, then delivers);
- redis: ``XREAD BLOCK`` on the stream key;
- amqp: a consumer on the queue bound to the exchange;
- sqs: long-polling ``ReceiveMessage`` (4 pollers), deleting what it read; the arrival
  time is the message's ``SentTimestamp`` (when moto stored it, in ms), since moto's
  receives are slower than its sends.

moto is a Python stand-in for SQS, far slower than SQS itself: the sqs line measures moto,
so it runs --sqs-messages at --sqs-rate (below moto's capacity on this machine).

Reported per method:
- msgs_per_s: --messages sent as fast as --concurrency POSTs in flight allow, divided by
  (last arrival - first send);
- p50_ms / p99_ms: from the simulator's POST to arrival at the consumer, at an offered
  load of --rate messages per second (open loop);
- gateway_cpu_ms_per_msg: the gateway process's CPU time in the throughput phase per
  message (steadier than msgs/s when the machine is busy with other work);
- ratio_to_webhook: msgs_per_s over the webhook's in the same run.

Usage: .venv/bin/python bench/brokers.py [--messages 3000] [--rate 100]
       [--latency-messages 500] [--methods webhook,nats,redis,amqp,sqs]
       [--databases sqlite,postgres]
Bounded: every phase has a message count and a time limit; all traffic stays on 127.0.0.1.
"""

import argparse
import asyncio
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from e2e import cpu_seconds, receiver_process
from harness import (
    POSTGRES_URL,
    create_tenant,
    database,
    free_port,
    gateway_env,
    gateway_process,
    process,
    wait_http,
)

from wahooks.delivery.signing import new_secret
from wahooks.demo.registration import number_registration
from wahooks.sim import SimSettings, Simulator

PHASE_TIMEOUT_S = 180
NATS_URL = "nats://127.0.0.1:4222"
REDIS_URL = "redis://127.0.0.1:6379/0"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
SQS_REGION = "us-east-1"
SQS_KEYS = {"accessKeyId": "AKIABENCH0000000001", "secretAccessKey": "bench-secret-key"}


def wamid_of(body: bytes) -> str | None:
    try:
        return str(orjson.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]["id"])
    except (KeyError, IndexError, TypeError, orjson.JSONDecodeError):
        return None


# --- consumers (each in its own process, with /stats and /reset on its port) -------------


def _consumer_main(port: int, method: str, target: dict[str, str]) -> None:
    from aiohttp import web

    arrivals: dict[str, float] = {}

    def arrived(body: bytes, at: float | None = None) -> None:
        wamid = wamid_of(body)
        if wamid is not None:
            arrivals.setdefault(wamid, at or time.time())

    async def main() -> None:
        app = web.Application()

        async def stats(_: web.Request) -> web.Response:
            return web.json_response({"arrivals": arrivals})

        async def reset(_: web.Request) -> web.Response:
            arrivals.clear()
            return web.json_response({})

        app.router.add_get("/stats", stats)
        app.router.add_post("/reset", reset)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await CONSUMERS[method](target, arrived)

    asyncio.run(main())


async def _consume_nats(target: dict[str, str], arrived: Callable[[bytes], None]) -> None:
    import nats
    from nats.aio.msg import Msg

    async def on_message(msg: Msg) -> None:
        arrived(msg.data)

    client = await nats.connect(NATS_URL)
    await client.subscribe(target["subject"], cb=on_message)
    await asyncio.Event().wait()


async def _consume_redis(target: dict[str, str], arrived: Callable[[bytes], None]) -> None:
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(REDIS_URL)
    last = "$"
    while True:
        got = await client.xread({target["streamKey"]: last}, count=500, block=1000)
        for _, entries in got:
            for entry_id, fields in entries:
                arrived(fields[b"body"])
                last = entry_id


async def _consume_amqp(target: dict[str, str], arrived: Callable[[bytes], None]) -> None:
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=500)
    queue = await channel.get_queue(target["queue"])

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        arrived(message.body)
        await message.ack()

    await queue.consume(on_message)
    await asyncio.Event().wait()


async def _consume_sqs(target: dict[str, str], arrived: Callable[[bytes, float], None]) -> None:
    async with sqs_client(target["endpoint"]) as client:

        async def poll() -> None:
            while True:
                got = await client.receive_message(
                    QueueUrl=target["url"],
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=1,
                    MessageSystemAttributeNames=["SentTimestamp"],
                )
                messages = got.get("Messages", [])
                for message in messages:
                    stored = int(message["Attributes"]["SentTimestamp"]) / 1000
                    arrived(message["Body"].encode(), stored)
                if messages:
                    await client.delete_message_batch(
                        QueueUrl=target["url"],
                        Entries=[
                            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                            for n, m in enumerate(messages)
                        ],
                    )

        await asyncio.gather(*[poll() for _ in range(4)])


CONSUMERS: dict[str, Callable[..., Any]] = {
    "nats": _consume_nats,
    "redis": _consume_redis,
    "amqp": _consume_amqp,
    "sqs": _consume_sqs,
}


def sqs_client(endpoint: str) -> Any:
    from aiobotocore.session import get_session

    return get_session().create_client(
        "sqs",
        region_name=SQS_REGION,
        endpoint_url=endpoint,
        aws_access_key_id=SQS_KEYS["accessKeyId"],
        aws_secret_access_key=SQS_KEYS["secretAccessKey"],
    )


# --- targets: a fresh stream / key / exchange / queue, the destination's body ------------


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.asynccontextmanager
async def target(
    method: str, receiver_port: int, sqs_endpoint: str
) -> AsyncIterator[tuple[dict[str, Any], dict[str, str]]]:
    """(the destination's fields, what its consumer needs)."""
    tag = uuid.uuid4().hex[:8]
    if method == "webhook":
        yield {"url": f"http://127.0.0.1:{receiver_port}/webhook"}, {}
    elif method == "nats":
        import nats

        client = await nats.connect(NATS_URL)
        js = client.jetstream()
        stream, subject = f"WAHOOKS_BENCH_{tag}", f"wahooks.bench.{tag}"
        await js.add_stream(name=stream, subjects=[subject])
        try:
            yield (
                {"broker": {"url": NATS_URL, "stream": stream, "subject": subject}},
                {"subject": subject},
            )
        finally:
            await js.delete_stream(stream)
            await client.close()
    elif method == "redis":
        import redis.asyncio

        key = f"wahooks:bench:{tag}"
        client = redis.asyncio.Redis.from_url(REDIS_URL)
        try:
            yield (
                {"broker": {"url": REDIS_URL, "streamKey": key, "maxlen": 100000}},
                {"streamKey": key},
            )
        finally:
            await client.delete(key)
            await client.aclose()
    elif method == "amqp":
        import aio_pika

        connection = await aio_pika.connect(AMQP_URL)
        channel = await connection.channel()
        exchange = await channel.declare_exchange(f"wahooks.bench.{tag}", "direct")
        queue = await channel.declare_queue(f"wahooks.bench.q.{tag}")
        await queue.bind(exchange, "events")
        try:
            broker = {"url": AMQP_URL, "exchange": exchange.name, "routingKey": "events"}
            yield {"broker": broker}, {"queue": queue.name}
        finally:
            await queue.delete(if_unused=False, if_empty=False)
            await exchange.delete()
            await connection.close()
    else:
        async with sqs_client(sqs_endpoint) as client:
            created = await client.create_queue(
                QueueName=f"wahooks-bench-{tag}.fifo", Attributes={"FifoQueue": "true"}
            )
            url = created["QueueUrl"]
            broker = {"url": url, "region": SQS_REGION, "endpointUrl": sqs_endpoint, **SQS_KEYS}
            try:
                yield {"broker": broker}, {"url": url, "endpoint": sqs_endpoint}
            finally:
                await client.delete_queue(QueueUrl=url)


# --- the run ---------------------------------------------------------------------------


async def arrivals_of(
    http: aiohttp.ClientSession, stats_url: str, wamids: list[str]
) -> dict[str, float]:
    async with asyncio.timeout(PHASE_TIMEOUT_S):
        while True:
            async with http.get(stats_url) as r:
                got: dict[str, float] = (await r.json())["arrivals"]
            if all(w in got for w in wamids):
                return got
            await asyncio.sleep(0.05)


async def measure(
    http: aiohttp.ClientSession,
    send: Callable[[int], Any],
    stats_url: str,
    first: int,
    args: argparse.Namespace,
    gateway_pid: int,
) -> dict[str, Any]:
    """Warm-up, throughput, then latency at the offered rate, through one destination."""
    warm = await asyncio.gather(*[send(first + i) for i in range(100)])
    await arrivals_of(http, stats_url, [w for w, _ in warm])
    first += 100
    sem = asyncio.Semaphore(args.concurrency)

    async def bounded(i: int) -> tuple[str, float]:
        async with sem:
            result: tuple[str, float] = await send(i)
            return result

    cpu_before = cpu_seconds(gateway_pid)
    t0 = time.time()
    async with asyncio.timeout(PHASE_TIMEOUT_S):
        burst = await asyncio.gather(*[bounded(first + i) for i in range(args.messages)])
    got = await arrivals_of(http, stats_url, [w for w, _ in burst])
    throughput = args.messages / (max(got[w] for w, _ in burst) - t0)
    # The gateway's CPU per message: steadier than msgs/s on a machine that is not quiet.
    cpu_ms = (cpu_seconds(gateway_pid) - cpu_before) * 1000 / args.messages
    first += args.messages
    tasks = []
    start = time.perf_counter()
    for i in range(args.latency_messages):
        delay = start + i / args.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(first + i)))
    sent = dict(await asyncio.gather(*tasks))
    got = await arrivals_of(http, stats_url, list(sent))
    latencies = sorted((got[w] - t) * 1000 for w, t in sent.items())
    return {
        "msgs_per_s": round(throughput, 1),
        "gateway_cpu_ms_per_msg": round(cpu_ms, 2),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
    }


async def run_database(
    database_url: str, receiver_port: int, secret: str, sqs_endpoint: str, args: argparse.Namespace
) -> list[dict[str, Any]]:
    env = gateway_env(database_url)
    key = create_tenant(env)
    auth = {"Authorization": f"Bearer {key}"}
    results = []
    async with (
        aiohttp.ClientSession() as http,
        gateway_process(env) as (url, gateway),
        Simulator(SimSettings(gateway_url=url + "/ingress/meta", send_statuses=False)) as sim,
    ):
        async with http.post(url + "/v1/numbers", json=number_registration(sim), headers=auth) as r:
            assert r.status == 201, await r.text()
        users = [sim.user(f"1555{i:07d}", f"User {i}") for i in range(args.users)]

        async def send(i: int) -> tuple[str, float]:
            started = time.time()
            result = await sim.send(users[i % args.users], "text", body=f"message {i}")
            if not result.ok:
                raise RuntimeError(f"gateway answered {result.status}")
            return result.wamid, started

        sent = 0
        for method in args.methods.split(","):
            load_before = load()  # other work on the machine shows in the figures
            async with target(method, receiver_port, sqs_endpoint) as (fields, consumer):
                body = {"secret": secret, "label": "bench", **fields}
                if method != "webhook":
                    body["method"] = method
                async with http.post(url + "/v1/destinations", json=body, headers=auth) as r:
                    assert r.status == 201, await r.text()
                    destination_id = (await r.json())["id"]
                with consumer_process(method, consumer, receiver_port) as stats_url:
                    await wait_http(stats_url)
                    async with http.post(stats_url.replace("/stats", "/reset")):
                        pass
                    own = args
                    if method == "sqs":
                        own = argparse.Namespace(
                            **{**vars(args), "messages": args.sqs_messages, "rate": args.sqs_rate}
                        )
                    result = await measure(http, send, stats_url, sent, own, gateway.pid)
                sent += 100 + own.messages + own.latency_messages
                async with http.delete(
                    f"{url}/v1/destinations/{destination_id}", headers=auth
                ) as r:
                    assert r.status == 204, await r.text()
                results.append(
                    {
                        "method": method,
                        **result,
                        "messages": own.messages,
                        "offered_rate": own.rate,
                        "load_before": load_before,
                    }
                )
    webhook = next((r["msgs_per_s"] for r in results if r["method"] == "webhook"), None)
    for r in results:
        r["ratio_to_webhook"] = round(r["msgs_per_s"] / webhook, 3) if webhook else None
    return results


@contextlib.contextmanager
def consumer_process(method: str, consumer: dict[str, str], receiver_port: int) -> Iterator[str]:
    """The consumer's /stats URL (the sample receiver's, on its port + 1, for webhooks)."""
    if method == "webhook":
        yield f"http://127.0.0.1:{receiver_port + 1}/stats"
        return
    port = free_port()
    with process(_consumer_main, port, method, consumer):
        yield f"http://127.0.0.1:{port}/stats"


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


async def main(args: argparse.Namespace) -> None:
    secret = new_secret()
    with (
        receiver_process(secret) as receiver_port,
        moto_server() as sqs_endpoint,
        tempfile.TemporaryDirectory() as tmp,
    ):
        await wait_http(f"http://127.0.0.1:{receiver_port + 1}/stats")
        await wait_http(sqs_endpoint)
        for kind in args.databases.split(","):
            async with database(kind, args.postgres_url, Path(tmp)) as url:
                results = await run_database(url, receiver_port, secret, sqs_endpoint, args)
            for result in results:
                line = {
                    "bench": "brokers",
                    "database": kind,
                    **result,
                    "latency_messages": args.latency_messages,
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                }
                print(orjson.dumps(line).decode(), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000, help="throughput phase size")
    parser.add_argument("--rate", type=float, default=100, help="offered load for latency")
    parser.add_argument("--latency-messages", type=int, default=500)
    parser.add_argument("--users", type=int, default=200, help="distinct WhatsApp senders")
    parser.add_argument("--concurrency", type=int, default=32, help="POSTs in flight")
    parser.add_argument("--methods", default="webhook,nats,redis,amqp,sqs")
    parser.add_argument("--sqs-messages", type=int, default=500, help="sqs throughput phase")
    parser.add_argument("--sqs-rate", type=float, default=20, help="sqs offered load")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
    )
    asyncio.run(main(parser.parse_args()))
