"""Alert webhooks: an alert as a signed JSON POST to the operator's or the tenant's URL.

The body carries what the e-mail says (the alert's kind, tenant and context); it is signed
as webhook deliveries are (signing.py: ``webhook-id`` = the alert id, so a receiver can drop
a repeat, ``webhook-timestamp``, ``webhook-signature``, ``X-Pipes-Signature``,
``X-Hub-Signature-256``). It goes out through the gateway's one outbound session, so the
outbound-address guard applies. A 2xx answer is success; anything else is for the caller
to retry.
"""

import time

import aiohttp
import orjson

from wahooks.delivery.signing import signature_headers
from wahooks.models import Alert, JsonObject
from wahooks.times import iso_time

TIMEOUT = aiohttp.ClientTimeout(total=15)
ERROR_CHARS = 300


class AlertHookFailed(Exception):
    """The receiver did not take it (no answer, or not 2xx)."""


def alert_body(alert: Alert) -> bytes:
    payload: JsonObject = {
        "type": "alert",
        "alertId": alert.id,
        "kind": alert.kind,
        "tenantId": alert.tenant_id,
        "tenantName": alert.tenant_name,
        "subject": alert.subject,
        "createdAt": iso_time(alert.created_at),
        "data": alert.data,
    }
    return orjson.dumps(payload)


async def post_alert(session: aiohttp.ClientSession, url: str, secret: str, alert: Alert) -> int:
    """POST the alert to ``url`` signed with ``secret``; the status, or AlertHookFailed."""
    body = alert_body(alert)
    headers = {
        "Content-Type": "application/json",
        **signature_headers(secret, alert.id, int(time.time()), body),
    }
    try:
        async with session.post(url, data=body, headers=headers, timeout=TIMEOUT) as response:
            status = response.status
            if not 200 <= status < 300:
                excerpt = (await response.content.read(ERROR_CHARS)).decode("utf-8", "replace")
                raise AlertHookFailed(f"HTTP {status}: {excerpt}")
            return status
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise AlertHookFailed(f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]) from exc
