"""One webhook attempt: prepare (render + sign), send (POST), classify the outcome.

The aiohttp session comes from create_app (one pool, connections reused across
deliveries). Redirects are not followed: a 3xx is a failure, as Standard Webhooks says.
"""

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from wahooks.delivery.retry import parse_retry_after
from wahooks.delivery.signing import signature_headers
from wahooks.formats import FORMATS
from wahooks.models import AttemptResult, Clock, DeliveryId, Destination, MessageEvent

USER_AGENT = "wahooks-webhooks/0.1"


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    url: str
    body: bytes
    headers: dict[str, str]
    timeout_s: float

    def capped(self, max_timeout_s: float) -> "PreparedRequest":
        if self.timeout_s <= max_timeout_s:
            return self
        return PreparedRequest(self.url, self.body, self.headers, max_timeout_s)


def prepare(
    destination: Destination, event: MessageEvent, webhook_id: str, now: float
) -> PreparedRequest:
    body = FORMATS[destination.format](event)
    secret, previous = destination.signing_secrets(now)
    headers = signature_headers(secret, webhook_id, int(now), body, previous)
    headers["Content-Type"] = "application/json"
    headers["User-Agent"] = USER_AGENT
    return PreparedRequest(destination.url, body, headers, destination.timeout_s)


def excerpt_text(raw: bytes, limit: int) -> str:
    """A response body as text any database stores: bytes that are not UTF-8, and NUL
    (PostgreSQL's text refuses it), become U+FFFD; then cut back to ``limit`` UTF-8 bytes."""
    text = raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    return text.encode()[:limit].decode("utf-8", errors="ignore")


class WebhookSender:
    def __init__(
        self, session: aiohttp.ClientSession, *, excerpt_bytes: int, clock: Clock = time.time
    ) -> None:
        self._session = session
        self._excerpt_bytes = excerpt_bytes
        self._clock = clock

    async def send(self, delivery_id: DeliveryId, request: PreparedRequest) -> AttemptResult:
        started = self._clock()
        t0 = time.perf_counter()
        status: int | None = None
        excerpt = b""
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
                while len(excerpt) < self._excerpt_bytes:
                    chunk = await response.content.read(self._excerpt_bytes - len(excerpt))
                    if not chunk:
                        break
                    excerpt += chunk
        except TimeoutError:
            error, detail = "timeout", f"no answer within {request.timeout_s:g} s"
        except aiohttp.ClientSSLError as exc:
            error, detail = "tls", str(exc)
        except aiohttp.ClientConnectorError as exc:
            error, detail = "connect", str(exc)
        except (aiohttp.ClientError, asyncio.IncompleteReadError, OSError) as exc:
            error, detail = "network", f"{type(exc).__name__}: {exc}"
        latency_ms = (time.perf_counter() - t0) * 1000
        if status is not None and not 200 <= status <= 299:
            error, detail = f"status_{status // 100}xx", f"receiver answered {status}"
        return AttemptResult(
            delivery_id=delivery_id,
            started_at=started,
            status_code=status,
            latency_ms=round(latency_ms, 3),
            response_excerpt=excerpt_text(excerpt, self._excerpt_bytes),
            error=error,
            error_detail=detail,
            retry_after_s=parse_retry_after(retry_after, started),
        )
