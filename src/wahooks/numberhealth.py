"""Number health: is each number's Cloud API connection usable?

A check reads the phone-number node (``GET /{phone-number-id}?fields=display_phone_number,
verified_name,quality_rating``) with the number's access token:
- 200 → ``healthy``;
- a transient failure (network, timeout, 5xx, Meta's throttling codes) → ``degraded``;
- an invalid or expired token (401, OAuthException 190), a permission error (Graph codes
  10 and 200-299, HTTP 403) or any other refusal → ``down``.
The result, a one-line detail and the time are stored on the number.

Every ``interval_s`` each number is checked once, whichever process gets it first (a
conditional update claims it); ``check_now`` runs one at once (the API's health-check).
"""

import asyncio
import logging
import time

from wahooks.background import Loop
from wahooks.models import Clock, Number
from wahooks.send.graph import GraphClient, GraphError
from wahooks.store import Store

log = logging.getLogger(__name__)

HEALTHY, DEGRADED, DOWN = "healthy", "degraded", "down"
INVALID_TOKEN_CODE = 190
# Graph's permission errors: 10 (permission denied) and 200-299 (permission not granted).
PERMISSION_CODES = frozenset({10, *range(200, 300)})
# Numbers checked at once by one process.
CONCURRENCY = 8
# The longest wait between two looks for numbers due.
MAX_TICK_S = 60.0
DETAIL_CHARS = 500


def classify(answer: dict[str, object] | None, error: GraphError | None) -> tuple[str, str]:
    """(health, detail) from a check's answer or its error."""
    if error is None:
        answer = answer or {}
        name = answer.get("verified_name") or "?"
        phone = answer.get("display_phone_number") or "?"
        quality = answer.get("quality_rating") or "unknown"
        return HEALTHY, f"{name} ({phone}), quality rating {quality}"
    where = f"HTTP {error.http_status}" if error.http_status else "no answer"
    code = f", code {error.code}" if error.code else ""
    said = f"{error.message} ({where}{code})"
    if error.transient:
        return DEGRADED, f"Graph API failing for now: {said}"[:DETAIL_CHARS]
    if error.http_status == 401 or error.code == INVALID_TOKEN_CODE:
        return DOWN, f"access token invalid or expired: {said}"[:DETAIL_CHARS]
    if error.http_status == 403 or error.code in PERMISSION_CODES:
        return DOWN, f"access token lacks permission: {said}"[:DETAIL_CHARS]
    return DOWN, f"Graph API refused the check: {said}"[:DETAIL_CHARS]


class NumberHealth:
    def __init__(
        self, store: Store, graph: GraphClient, *, interval_s: float, clock: Clock = time.time
    ) -> None:
        self._store = store
        self._graph = graph
        self._interval_s = interval_s
        self._clock = clock
        self._loop = Loop("number-health")
        self._slots = asyncio.Semaphore(CONCURRENCY)

    async def check_now(self, number_id: str) -> Number | None:
        """Check one number now; the number as stored afterwards (None: it is gone)."""
        found = await self._store.numbers.for_check(number_id)
        if found is None:
            return None
        await self._check(*found)
        return await self._store.numbers.any(number_id)

    async def run_once(self) -> int:
        """Check every number that is due; how many this process checked."""
        checked = 0
        while True:
            due = await self._store.numbers.due_for_health(self._interval_s)
            if not due:
                return checked
            claimed = []
            for number_id in due:
                found = await self._store.numbers.claim_health_check(number_id, self._interval_s)
                if found is not None:
                    claimed.append(found)
            if not claimed:
                return checked  # the rest went to other processes
            await asyncio.gather(*(self._guarded(number, token) for number, token in claimed))
            checked += len(claimed)

    async def _guarded(self, number: Number, stored_token: str) -> None:
        async with self._slots:
            try:
                await self._check(number, stored_token)
            except Exception:
                log.exception("health check of number %s failed", number.id)

    async def _check(self, number: Number, stored_token: str) -> None:
        answer: dict[str, object] | None = None
        error: GraphError | None = None
        try:
            answer = await self._graph.phone_number(number)
        except GraphError as exc:
            error = exc
        health, detail = classify(answer, error)
        if health != HEALTHY:
            log.warning("number %s is %s: %s", number.id, health, detail)
        await self._store.numbers.record_health(number.id, stored_token, health, detail)

    def start(self) -> None:
        if self._interval_s > 0:
            self._loop.start(self._run)

    async def stop(self) -> None:
        """After the checks in progress (each bounded by the Graph API timeout)."""
        await self._loop.stop()

    async def _run(self) -> None:
        tick = min(self._interval_s / 4, MAX_TICK_S)
        while not self._loop.stopping:
            try:
                await self.run_once()
            except Exception:
                log.exception("number health checks failed; trying again later")
            await self._loop.pause(tick, wakeable=False)
