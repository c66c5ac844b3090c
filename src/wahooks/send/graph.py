"""The Graph API's send endpoint: ``POST {graph base}/{phone-number-id}/messages``.

The base URL (which carries the API version) is the number's, so production code does not
know whether it talks to Meta or to the simulator. Transient failures (network, 5xx, Meta's
throttling codes) are retried with backoff; anything else is final and reported with Meta's
own code and message.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import aiohttp
import orjson

from wahooks.metrics import Metrics
from wahooks.models import JsonObject, Number
from wahooks.retry import scheduled
from wahooks.shares import FairShares

# Throttling: app (4), WABA (80007), account (130429) and per-recipient pair (131056) limits.
THROTTLING_CODES = frozenset({4, 80007, 130429, 131056})

T = TypeVar("T")


class GraphError(Exception):
    """A send Meta refused, or that could not reach it."""

    def __init__(
        self,
        message: str,
        code: int | None,  # Meta's error code; None for a network failure
        http_status: int | None,
        details: str | None = None,
        fbtrace_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.details = details
        self.fbtrace_id = fbtrace_id

    @property
    def transient(self) -> bool:
        if self.code is None or self.http_status is None:
            return True  # never reached Meta, or no answer
        return self.http_status >= 500 or self.code in THROTTLING_CODES

    def __str__(self) -> str:
        return self.message


def _graph_error(status: int, body: bytes) -> GraphError:
    try:
        error = orjson.loads(body).get("error") or {}
    except (orjson.JSONDecodeError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    code = error.get("code")
    return GraphError(
        message=str(error.get("message") or f"Graph API answered HTTP {status}"),
        code=code if isinstance(code, int) else 0,
        http_status=status,
        details=details if isinstance(details, str) else None,
        fbtrace_id=error.get("fbtrace_id"),
    )


class GraphClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        timeout_s: float,
        retry_delays_s: Sequence[float],
        metrics: Metrics | None = None,
        shares: FairShares | None = None,
    ) -> None:
        self._session = session
        self._metrics = metrics
        # Requests at once, by number (None: unbounded, for a client of its own).
        self._shares = shares
        self.timeout_s = timeout_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._retry_delays_s = tuple(retry_delays_s)

    async def send_message(self, number: Number, message: JsonObject) -> str:
        """Send one message object (``to``, ``type``, …); returns Meta's wamid."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **message}
        answer = await self._post(number, f"{number.phone_number_id}/messages", body)
        messages = answer.get("messages")
        if not isinstance(messages, list) or not messages or "id" not in messages[0]:
            raise GraphError("Graph API answered without a message id", 0, 200)
        return str(messages[0]["id"])

    async def mark_read(self, number: Number, wamid: str, *, typing: bool = False) -> None:
        """Mark an inbound message (and the earlier ones) read; ``typing`` also shows the
        typing indicator until the next reply, or 25 s (Meta's "Typing indicators" guide)."""
        body: JsonObject = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
        if typing:
            body["typing_indicator"] = {"type": "text"}
        answer = await self._post(number, f"{number.phone_number_id}/messages", body)
        if answer.get("success") is not True:
            raise GraphError("Graph API did not confirm the read", 0, 200)

    async def _post(self, number: Number, path: str, body: JsonObject) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        data = orjson.dumps(body)
        return await self.retrying(lambda: self.post_once(number, path, data, headers))

    async def retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """``attempt()`` again after each transient GraphError, with the configured delays."""
        attempts_made = 0
        while True:
            try:
                return await attempt()
            except GraphError as exc:
                delay = scheduled(self._retry_delays_s, attempts_made)
                if not exc.transient or delay is None:
                    raise
            attempts_made += 1
            if delay:
                await asyncio.sleep(delay)

    async def phone_number(self, number: Number) -> dict[str, Any]:
        """``GET /{phone-number-id}`` with the number's token, once (no retries: the health
        check reports a transient failure as it is). GraphError on any failure."""
        params = {"fields": "id,display_phone_number,verified_name,quality_rating"}
        return await self.request_once("GET", number, number.phone_number_id, params=params)

    async def waba_phone_numbers(self, number: Number, after: str | None = None) -> dict[str, Any]:
        """One page of ``GET /{waba-id}/phone_numbers`` (ids only) with the number's token,
        once; ``after``: the previous page's ``paging.cursors.after``."""
        params = {"fields": "id", "limit": "100"}
        if after is not None:
            params["after"] = after
        return await self.request_once(
            "GET", number, f"{number.waba_id}/phone_numbers", params=params
        )

    async def post_once(
        self,
        number: Number,
        path: str,
        data: Any,
        headers: dict[str, str],
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> dict[str, Any]:
        """One POST of `data` to ``{graph base}/{path}`` with the number's token; its JSON
        answer, or GraphError."""
        return await self.request_once(
            "POST", number, path, data=data, headers=headers, timeout=timeout
        )

    async def request_once(
        self,
        method: str,
        number: Number,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> dict[str, Any]:
        """One request to ``{graph base}/{path}`` with the number's token; its JSON object
        answer, or GraphError (transient for network errors, timeouts, 5xx, throttling)."""
        try:
            if self._shares is None:
                answer = await self._request_once(
                    method, number, path, params=params, data=data, headers=headers,
                    timeout=timeout,
                )  # fmt: skip
            else:
                # The wait for a turn is outside the request's timeout: a number's own
                # backlog waits on it, not on the Graph API.
                async with self._shares.hold(number.id):
                    answer = await self._request_once(
                        method, number, path, params=params, data=data, headers=headers,
                        timeout=timeout,
                    )  # fmt: skip
        except GraphError as exc:
            self._count(method, path, "network" if exc.code is None else str(exc.code))
            raise
        self._count(method, path, "ok")
        return answer

    def _count(self, method: str, path: str, outcome: str) -> None:
        if self._metrics is None:
            return
        last = path.rsplit("/", 1)[-1]
        # A bounded label: the edge (messages, media...) or "node" for an id.
        edge = last.replace("_", "").isalpha()  # phone_numbers, message_templates
        operation = f"{method} {last if edge else 'node'}"
        self._metrics.graph_calls.labels(operation, outcome).inc()

    async def _request_once(
        self,
        method: str,
        number: Number,
        path: str,
        *,
        params: Mapping[str, str] | None,
        data: Any,
        headers: Mapping[str, str] | None,
        timeout: aiohttp.ClientTimeout | None,
    ) -> dict[str, Any]:
        url = f"{number.graph_base_url}/{path}"
        all_headers = {"Authorization": f"Bearer {number.access_token}", **(headers or {})}
        try:
            async with self._session.request(
                method,
                url,
                params=params,
                data=data,
                headers=all_headers,
                timeout=timeout or self._timeout,
            ) as response:
                raw = await response.read()
                status = response.status
        except TimeoutError as exc:
            raise GraphError("Graph API did not answer in time", None, None) from exc
        except aiohttp.ClientError as exc:
            raise GraphError(f"Graph API unreachable: {exc}", None, None) from exc
        if status >= 300:
            raise _graph_error(status, raw)
        try:
            answer = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise GraphError("Graph API answered with invalid JSON", 0, status) from exc
        if not isinstance(answer, dict):
            raise GraphError("Graph API answered with a non-object", 0, status)
        return answer
