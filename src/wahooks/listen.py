"""``wahooks listen``: receive a tenant's deliveries over the socket and forward each to a
local URL, so an application can be developed without a public URL.

It connects with ``ack=1`` and acknowledges a frame only after the local server answered
2xx, so nothing is lost while the local server is down or restarting: the frame is retried
here (with backoff, in order), and whatever is unacknowledged when ``listen`` stops comes
again on its next start. Each frame is POSTed as it arrived (JSON), with the
``X-Wahooks-Delivery-Id`` and ``X-Wahooks-Frame-Type`` headers.
"""

import asyncio
import logging
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
import orjson

from wahooks.errors import Unauthorized
from wahooks.retry import exponential, full_jitter

log = logging.getLogger(__name__)

FORWARDED = ("whatsapp_message", "message_sent", "message_status", "destination_disabled")
RECONNECT_MAX_S = 30.0
RETRY_MAX_S = 30.0


@dataclass(frozen=True, slots=True)
class ListenOptions:
    gateway_url: str  # http(s)://host:port of the gateway
    api_key: str
    forward_to: str
    conversation_id: str | None = None
    timeout_s: float = 10.0


def socket_url(options: ListenOptions) -> str:
    base = options.gateway_url.rstrip("/").replace("http://", "ws://", 1)
    base = base.replace("https://", "wss://", 1)
    query = {"apiKey": options.api_key, "ack": "1"}
    if options.conversation_id:
        query["conversationId"] = options.conversation_id
    return f"{base}/ws?{urllib.parse.urlencode(query)}"


class Forwarder:
    def __init__(
        self, options: ListenOptions, *, on_forwarded: Callable[[str], None] | None = None
    ) -> None:
        self._options = options
        self._on_forwarded = on_forwarded or (lambda _delivery_id: None)
        self._timeout = aiohttp.ClientTimeout(total=options.timeout_s)

    async def run(self) -> None:
        """Forward until cancelled; reconnect with jittered backoff. Raises Unauthorized when
        the gateway refuses the key or the conversation (retrying cannot help)."""
        async with aiohttp.ClientSession() as session:
            failures = 0
            while True:
                try:
                    await self._connection(session)
                    failures = 0
                except aiohttp.WSServerHandshakeError as exc:
                    if exc.status in (401, 403):
                        message = f"the gateway refused the socket: HTTP {exc.status}"
                        raise Unauthorized(message) from exc
                    failures += 1
                except (aiohttp.ClientError, OSError) as exc:
                    log.warning("socket connection failed: %s", exc)
                    failures += 1
                # Full jitter, as the reference client: random(0, min(cap, 2^n s)).
                await asyncio.sleep(full_jitter(exponential(1.0, failures + 1, RECONNECT_MAX_S)))

    async def _connection(self, session: aiohttp.ClientSession) -> None:
        async with session.ws_connect(socket_url(self._options), heartbeat=25) as ws:
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                frame = orjson.loads(message.data)
                kind = frame.get("type")
                if kind == "connected":
                    log.info("connected (%s scope), forwarding to %s", frame.get("scope"),
                             self._options.forward_to)  # fmt: skip
                elif kind in FORWARDED:
                    delivery_id = str(frame.get("data", {}).get("deliveryId", ""))
                    await self._forward(session, kind, delivery_id, message.data)
                    await ws.send_str(
                        orjson.dumps({"type": "ack", "deliveryId": delivery_id}).decode()
                    )
                    self._on_forwarded(delivery_id)

    async def _forward(
        self, session: aiohttp.ClientSession, kind: str, delivery_id: str, body: str
    ) -> None:
        """POST until the local server answers 2xx; frames wait behind it, in order."""
        headers = {
            "Content-Type": "application/json",
            "X-Wahooks-Delivery-Id": delivery_id,
            "X-Wahooks-Frame-Type": kind,
        }
        attempt = 0
        while True:
            try:
                async with session.post(
                    self._options.forward_to, data=body, headers=headers, timeout=self._timeout
                ) as response:
                    await response.read()
                    if 200 <= response.status < 300:
                        return
                    problem = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                problem = str(exc) or type(exc).__name__
            attempt += 1
            delay = exponential(1.0, attempt, RETRY_MAX_S)  # 1 s, 2 s, 4 s, … 30 s
            log.warning("forwarding %s failed (%s); again in %.1f s", delivery_id, problem, delay)
            await asyncio.sleep(delay)
