"""One webhook attempt: prepare (render + sign), send (POST), classify the outcome.

The aiohttp session comes from create_app (one pool, connections reused across
deliveries). Redirects are not followed: a 3xx is a failure, as Standard Webhooks says.
Which statuses count as delivered is the format's rule (``FormatSpec.accepts``): every 2xx,
or for Wassenger only 200-209.
"""

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import aiohttp

from wahooks.delivery.signing import signature_headers
from wahooks.formats import SPECS, is_2xx
from wahooks.models import AttemptResult, Clock, DeliveryId, Destination, MessageEvent
from wahooks.retry import parse_retry_after

USER_AGENT = "wahooks-webhooks/0.1"
# A reply in a response body is a few small JSON objects; reading more would only let a
# receiver make us hold its answer in memory.
REPLY_MAX_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    url: str
    body: bytes
    headers: dict[str, str]
    timeout_s: float
    accepts: Callable[[int], bool] = is_2xx  # the statuses that acknowledge it
    # Bytes of the response body to hand back whole (a reply may be in it); 0: none.
    body_bytes: int = 0

    def capped(self, max_timeout_s: float) -> "PreparedRequest":
        if self.timeout_s <= max_timeout_s:
            return self
        return replace(self, timeout_s=max_timeout_s)


def _signed(destination: Destination, body: bytes, webhook_id: str, now: float) -> PreparedRequest:
    spec = SPECS[destination.format]
    secret, previous = destination.signing_secrets(now)
    headers = signature_headers(secret, webhook_id, int(now), body, previous)
    headers["Content-Type"] = "application/json"
    headers["User-Agent"] = USER_AGENT
    return PreparedRequest(
        destination.url,
        body,
        headers,
        destination.timeout_s,
        accepts=spec.accepts,
        body_bytes=REPLY_MAX_BYTES if spec.reply is not None else 0,
    )


def prepare(
    destination: Destination, event: MessageEvent, webhook_id: str, now: float
) -> PreparedRequest:
    """One event, one POST (a renderer may raise ``SkipEvent``)."""
    return _signed(destination, SPECS[destination.format].render(event), webhook_id, now)


def prepare_batch(
    destination: Destination, events: Sequence[MessageEvent], webhook_id: str, now: float
) -> PreparedRequest:
    """Several events of one batched type in one POST, rendered by the format's batch rule."""
    batch = SPECS[destination.format].batch
    if batch is None:
        raise ValueError(f"the {destination.format} format sends no batches")
    return _signed(destination, batch.render(events), webhook_id, now)


def excerpt_text(raw: bytes, limit: int) -> str:
    """A response body as text any database stores: bytes that are not UTF-8, and NUL
    (PostgreSQL's text refuses it), become U+FFFD; then cut back to ``limit`` UTF-8 bytes."""
    text = raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    return text.encode()[:limit].decode("utf-8", errors="ignore")


@dataclass(frozen=True, slots=True)
class Answer:
    """An attempt, and the start of the response body when the request asked for it."""

    result: AttemptResult
    body: bytes = b""  # at most PreparedRequest.body_bytes
    body_cut: bool = False  # the body went on past body_bytes


class WebhookSender:
    def __init__(
        self, session: aiohttp.ClientSession, *, excerpt_bytes: int, clock: Clock = time.time
    ) -> None:
        self._session = session
        self._excerpt_bytes = excerpt_bytes
        self._clock = clock

    async def send(self, delivery_id: DeliveryId, request: PreparedRequest) -> AttemptResult:
        return (await self.exchange(delivery_id, request)).result

    async def exchange(self, delivery_id: DeliveryId, request: PreparedRequest) -> Answer:
        """POST, and read as much of the answer as the excerpt and ``body_bytes`` need (one
        byte more than ``body_bytes``, to tell a body that fits from one that was cut)."""
        started = self._clock()
        t0 = time.perf_counter()
        status: int | None = None
        read_bytes = max(self._excerpt_bytes, request.body_bytes + 1 if request.body_bytes else 0)
        head = b""  # the start of the response body
        retry_after: str | None = None
        error: str | None = None
        detail: str | None = None
        try:
            async with self._session.post(
                request.url,
                data=request.body,
                headers=request.headers,
                timeout=aiohttp.ClientTimeout(total=request.timeout_s),
                allow_redirects=False,
            ) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
                # read(n) returns what has arrived so far: gather up to n bytes.
                while len(head) < read_bytes:
                    chunk = await response.content.read(read_bytes - len(head))
                    if not chunk:
                        break
                    head += chunk
        except TimeoutError:
            error, detail = "timeout", f"no answer within {request.timeout_s:g} s"
        except aiohttp.ClientSSLError as exc:
            error, detail = "tls", str(exc)
        except aiohttp.ClientConnectorError as exc:
            error, detail = "connect", str(exc)
        except (aiohttp.ClientError, asyncio.IncompleteReadError, OSError) as exc:
            error, detail = "network", f"{type(exc).__name__}: {exc}"
        latency_ms = (time.perf_counter() - t0) * 1000
        if status is not None and not request.accepts(status):
            error, detail = f"status_{status // 100}xx", f"receiver answered {status}"
            if is_2xx(status):
                detail += ", which this destination's format does not count as delivered"
        result = AttemptResult(
            delivery_id=delivery_id,
            started_at=started,
            status_code=status,
            latency_ms=round(latency_ms, 3),
            response_excerpt=excerpt_text(head, self._excerpt_bytes),
            error=error,
            error_detail=detail,
            retry_after_s=parse_retry_after(retry_after, started),
        )
        if not request.body_bytes:
            return Answer(result)
        return Answer(result, head[: request.body_bytes], body_cut=len(head) > request.body_bytes)
