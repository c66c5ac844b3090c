"""Media relay benchmark: one 50 MB video end to end, and the gateway's peak memory.

Inbound (the relay): the simulator sends a video message; the gateway (a `wahooks serve`
subprocess, as in e2e.py) fetches the file from the simulator's Graph API into its blob store,
delivers the webhook, and the receiver here downloads the file through
`GET /v1/media/download/{mediaId}` (following the 302 to a presigned URL on S3) and checks
its sha256 against the simulator's.
  relay_mb_s:    file size / (simulator's POST -> last byte at the receiver)
  fetch_s:       simulator's POST -> webhook at the receiver (fetch, store, deliver)
  download_mb_s: the receiver's download alone
Outbound: the same size uploaded with POST /v1/media (multipart, streamed) and sent as a
document by its media id (the gateway streams it to the simulator's Graph upload).
  upload_mb_s, send_mb_s: each step's size / time
peak_rss_mb: the gateway's VmHWM from /proc/<pid>/status after all runs (it includes start-up);
rss_start_mb: its VmRSS before the first run. The target is peak_rss_mb < 150.

Stores: `local` (a temp directory) and `s3` (a moto server on 127.0.0.1, in its own process).
Usage: .venv/bin/python bench/media.py [--size-mb 50] [--runs 3] [--stores local,s3]
Bounded: every wait has a time limit; all traffic stays on 127.0.0.1.
"""

import os
import sys

# Run as `python bench/media.py`, bench/ comes first on sys.path, and bench/socket_delivery.py would
# shadow the standard library's `socket` for every import below: move that folder to the end.
sys.path.sort(
    key=lambda p: os.path.realpath(p or ".") == os.path.dirname(os.path.realpath(__file__))
)

import argparse
import asyncio
import base64
import contextlib
import hashlib
import platform
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from harness import create_tenant, free_port, gateway_env, gateway_process, wait_http

from wahooks.demo.registration import number_registration
from wahooks.sim import SimSettings, Simulator

MB = 1024 * 1024
WAIT_S = 300
RSS_LIMIT_MB = 150


def proc_status(pid: int, field: str) -> float:
    """A /proc/<pid>/status memory field (VmRSS, VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


async def create_bucket(endpoint: str, bucket: str) -> None:
    from aiobotocore.session import get_session

    await wait_http(endpoint)
    async with get_session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    ) as client:
        await client.create_bucket(Bucket=bucket)


@contextlib.asynccontextmanager
async def gateway_for(
    media_env: dict[str, str], tmp: Path
) -> AsyncIterator[tuple[str, str, subprocess.Popen[bytes]]]:
    env = gateway_env(f"sqlite:///{tmp}/bench-{uuid.uuid4().hex[:8]}.db", **media_env)
    key = create_tenant(env)
    async with gateway_process(env) as (url, proc):
        yield url, key, proc


class Webhooks:
    """The receiving app's webhook endpoint: each payload's media id, as it arrives."""

    def __init__(self) -> None:
        self.arrived: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application(client_max_size=16 * MB)
        app.router.add_post("/webhook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return f"http://127.0.0.1:{self.port}/webhook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        payload = orjson.loads(await request.read())
        await self.arrived.put((time.perf_counter(), payload))
        return web.json_response({"ok": True})


async def download(http: aiohttp.ClientSession, url: str, key: str, media_id: str) -> str:
    """The file's sha256 (base64, as Meta states it), streamed; a presigned redirect is
    followed without the API key, as the reference tells clients to."""
    auth = {"Authorization": f"Bearer {key}"}
    digest = hashlib.sha256()
    async with http.get(
        f"{url}/v1/media/download/{media_id}", headers=auth, allow_redirects=False
    ) as r:
        if r.status == 302:
            target = r.headers["Location"]
        else:
            assert r.status == 200, r.status
            async for chunk in r.content.iter_chunked(256 * 1024):
                digest.update(chunk)
            return base64.b64encode(digest.digest()).decode()
    async with http.get(target) as r:
        assert r.status == 200, r.status
        async for chunk in r.content.iter_chunked(256 * 1024):
            digest.update(chunk)
    return base64.b64encode(digest.digest()).decode()


async def multipart_upload(
    http: aiohttp.ClientSession, url: str, key: str, size: int
) -> dict[str, Any]:
    block = os.urandom(MB)

    async def body() -> AsyncIterator[bytes]:
        for _ in range(size // MB):
            yield block

    form = aiohttp.FormData()
    form.add_field("file", body(), filename="big.bin", content_type="application/octet-stream")
    async with http.post(
        url + "/v1/media", data=form, headers={"Authorization": f"Bearer {key}"}
    ) as r:
        answer: dict[str, Any] = await r.json()
        assert r.status == 201, answer
        return answer


async def run_store(store: str, media_env: dict[str, str], args: argparse.Namespace) -> dict:
    size = args.size_mb * MB
    webhooks = Webhooks()
    receiver_url = await webhooks.start()
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            gateway_for(media_env, Path(tmp)) as (url, key, proc),
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT_S)) as http,
        ):
            auth = {"Authorization": f"Bearer {key}"}
            settings = SimSettings(gateway_url=url + "/ingress/meta", send_statuses=False)
            async with Simulator(settings) as sim:
                async with http.post(
                    url + "/v1/numbers", json=number_registration(sim), headers=auth
                ) as r:
                    assert r.status == 201, await r.text()
                destination = {"url": receiver_url, "label": "bench", "timeoutSeconds": 30}
                async with http.post(url + "/v1/destinations", json=destination, headers=auth) as r:
                    assert r.status == 201, await r.text()
                user = sim.user("15550001111", "Bench")
                rss_start = proc_status(proc.pid, "VmRSS")
                relays, fetches, downloads, uploads, sends = [], [], [], [], []
                verified = True
                conversation = ""
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    sent = await sim.send(user, "video", size=size, mime_type="video/mp4")
                    assert sent.ok, sent.status
                    async with asyncio.timeout(WAIT_S):
                        t_hook, payload = await webhooks.arrived.get()
                    media = payload["pipes"]["media"]
                    conversation = payload["pipes"]["conversationId"]
                    assert not media.get("unavailable"), media
                    t_dl = time.perf_counter()
                    got = await download(http, url, key, media["mediaId"])
                    t_end = time.perf_counter()
                    graph_media = sim.media.get(sent.message["video"]["id"])
                    assert graph_media is not None
                    verified = verified and got == graph_media.sha256
                    relays.append(args.size_mb / (t_end - t0))
                    fetches.append(t_hook - t0)
                    downloads.append(args.size_mb / (t_end - t_dl))
                    # Outbound: upload, then send it as a document by its id.
                    t_up = time.perf_counter()
                    uploaded = await multipart_upload(http, url, key, size)
                    t_send = time.perf_counter()
                    send_body = {"conversationId": conversation, "media": uploaded["mediaId"]}
                    async with http.post(
                        url + "/v1/messages/send", json=send_body, headers=auth
                    ) as r:
                        assert r.status == 200, await r.text()
                    t_sent = time.perf_counter()
                    verified = verified and sim.uploads[-1].size == size
                    uploads.append(args.size_mb / (t_send - t_up))
                    sends.append(args.size_mb / (t_sent - t_send))
                peak = proc_status(proc.pid, "VmHWM")
    await webhooks.stop()
    return {
        "bench": "media",
        "store": store,
        "size_mb": args.size_mb,
        "runs": args.runs,
        "relay_mb_s": round(statistics.median(relays), 1),
        "relay_mb_s_best": round(max(relays), 1),
        "fetch_s": round(statistics.median(fetches), 3),
        "download_mb_s": round(statistics.median(downloads), 1),
        "upload_mb_s": round(statistics.median(uploads), 1),
        "send_mb_s": round(statistics.median(sends), 1),
        "rss_start_mb": round(rss_start, 1),
        "peak_rss_mb": round(peak, 1),
        "under_150mb": peak < RSS_LIMIT_MB,
        "verified": verified,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }


async def main(args: argparse.Namespace) -> int:
    ok = True
    for store in args.stores.split(","):
        if store == "local":
            with tempfile.TemporaryDirectory(prefix="wahooks-bench-media-") as media_dir:
                line = await run_store(store, {"WAHOOKS_MEDIA_URL": f"file://{media_dir}"}, args)
        elif store == "s3":
            with moto_server() as endpoint:
                await create_bucket(endpoint, "bench")
                env = {
                    "WAHOOKS_MEDIA_URL": "s3://bench/media",
                    "WAHOOKS_MEDIA_S3_ENDPOINT_URL": endpoint,
                    "WAHOOKS_MEDIA_S3_ACCESS_KEY_ID": "bench",
                    "WAHOOKS_MEDIA_S3_SECRET_ACCESS_KEY": "bench",
                }
                line = await run_store(store, env, args)
        else:
            raise SystemExit(f"unknown store {store!r}: local or s3")
        ok = ok and line["under_150mb"] and line["verified"]
        print(orjson.dumps(line).decode(), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=50, help="file size (MB)")
    parser.add_argument("--runs", type=int, default=3, help="relays (and uploads) per store")
    parser.add_argument("--stores", default="local,s3")
    sys.exit(asyncio.run(main(parser.parse_args())))
