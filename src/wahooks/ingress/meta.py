"""``/ingress/meta``: Meta's subscription handshake (GET) and notifications (POST).

The POST answers 200 only after everything it carried is committed; 401 on a bad
signature (nothing stored; a WABA-level change, which names no number, is checked against
the app secrets of the numbers registered for its WABA); 400 when it is not a notification
(nothing stored); 200 for numbers and WABAs we do not serve (logged; Meta must not retry
those forever); 5xx only when storing failed, so Meta retries. Plain Starlette endpoints:
this is the hot path.
"""

import logging
from collections.abc import Iterable

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from wahooks.digests import hub_signature_valid
from wahooks.ingress.identity import with_identity_changes
from wahooks.ingress.numbers import NumberDirectory
from wahooks.ingress.parse import InvalidNotification, parse_notification
from wahooks.metrics import Metrics
from wahooks.models import Number
from wahooks.pool.ingest import for_ingest
from wahooks.pool.notices import NoticePolicy
from wahooks.store import Store

log = logging.getLogger(__name__)

_OK = b'{"ok":true}'


def _error(status: int, code: str, message: str) -> Response:
    body = orjson.dumps({"error": {"code": code, "message": message}})
    return Response(body, status_code=status, media_type="application/json")


def _signed(
    body: bytes, header: str | None, numbers: Iterable[Number], of_wabas: Iterable[Number]
) -> bool:
    """Signed with the app secret of every number the POST names, and, for a WABA-level
    change, with the app secret of at least one number registered for its WABA (a WABA's
    numbers may belong to different apps; Meta signs with the subscribed app's)."""
    if not all(hub_signature_valid(body, header, s) for s in {n.app_secret for n in numbers}):
        return False
    secrets_by_waba: dict[str, set[str]] = {}
    for number in of_wabas:
        secrets_by_waba.setdefault(number.waba_id, set()).add(number.app_secret)
    return all(
        any(hub_signature_valid(body, header, secret) for secret in secrets)
        for secrets in secrets_by_waba.values()
    )


class MetaIngress:
    def __init__(
        self,
        store: Store,
        numbers: NumberDirectory,
        *,
        max_body_bytes: int,
        notices: NoticePolicy | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._notices = notices or NoticePolicy()
        self._numbers = numbers
        self._max_body = max_body_bytes

    async def handshake(self, request: Request) -> Response:
        params = request.query_params
        token = params.get("hub.verify_token", "")
        challenge = params.get("hub.challenge", "")
        if params.get("hub.mode") != "subscribe" or not token or not challenge:
            return _error(400, "invalid_request", "expected hub.mode=subscribe, hub.verify_token "
                          "and hub.challenge")  # fmt: skip
        if not await self._store.numbers.by_verify_token(token):
            return _error(403, "forbidden", "hub.verify_token matches no number")
        # The challenge is the caller's text echoed back: never let a browser sniff it as HTML.
        return PlainTextResponse(challenge, headers={"X-Content-Type-Options": "nosniff"})

    async def receive(self, request: Request) -> Response:
        response = await self._receive(request)
        if self._metrics is not None:
            self._metrics.notifications.labels(str(response.status_code)).inc()
        return response

    async def _receive(self, request: Request) -> Response:
        body = await self._read_body(request)
        if body is None:
            return _error(413, "payload_too_large", f"body exceeds {self._max_body} bytes")
        try:
            parsed = parse_notification(orjson.loads(body))
        except orjson.JSONDecodeError as exc:
            return _error(400, "invalid_json", f"body is not JSON: {exc}")
        except InvalidNotification as exc:
            return _error(400, "invalid_notification", str(exc))

        numbers = await self._numbers.lookup(parsed.phone_number_ids)
        unknown = parsed.phone_number_ids - numbers.keys()
        if unknown:
            log.warning("notification for unknown phone_number_id(s) %s ignored", sorted(unknown))
        wabas = parsed.waba_ids
        of_wabas = await self._store.numbers.of_wabas(sorted(wabas)) if wabas else {}
        unknown_wabas = parsed.waba_ids - {n.waba_id for n in of_wabas.values()}
        if unknown_wabas:
            log.warning("notification for unknown WABA(s) %s ignored", sorted(unknown_wabas))
        if not numbers and not of_wabas:
            return Response(_OK, media_type="application/json")
        header = request.headers.get("x-hub-signature-256")
        if not _signed(body, header, numbers.values(), of_wabas.values()):
            log.warning("bad X-Hub-Signature-256 for %s", sorted(numbers.keys() | of_wabas.keys()))
            return _error(401, "invalid_signature", "X-Hub-Signature-256 does not match")

        numbers = {**of_wabas, **numbers}
        batch = with_identity_changes(parsed.for_numbers(numbers))
        batch = for_ingest(batch, numbers, self._notices)
        try:
            outcome = await self._store.inbound.ingest(numbers, batch)
        except Exception:
            log.exception("storing a notification failed; Meta will retry")
            return _error(503, "store_unavailable", "could not store the notification; retry")
        if outcome.duplicates:
            log.info("ignored %d redelivered message(s)", outcome.duplicates)
        if self._metrics is not None:
            counted = self._metrics.ingested_by_outcome
            counted["stored"].inc(outcome.stored)
            counted["duplicate"].inc(outcome.duplicates)
            counted["status"].inc(outcome.statuses)
            counted["change"].inc(len(batch.unhandled))
            counted["invalid"].inc(len(batch.invalid))
        return Response(_OK, media_type="application/json")

    async def _read_body(self, request: Request) -> bytes | None:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max_body:
            return None
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self._max_body:
                return None
            chunks.append(chunk)
        return b"".join(chunks)
