"""The phone-number node and a WABA's ``phone_numbers`` edge, read with a token's permissions.

Shapes as Meta's Graph API reference gives them ("WhatsApp Business Phone Number" node:
``id``, ``display_phone_number``, ``verified_name``, ``quality_rating``,
``code_verification_status``, ``platform_type``, ``throughput``; the WhatsApp Business
Account's ``phone_numbers`` edge: ``{"data": [nodes], "paging": {"cursors": {"before",
"after"}, "next"}}``, ``next`` only when there is a further page). A node the token may not
read, whether it exists or not, is Graph's code 100 / subcode 33 (HTTP 400).
"""

from __future__ import annotations

import base64
from collections import deque

from aiohttp import web

from wahooks.sim.accounts import Accounts, SimNumber
from wahooks.sim.graph_errors import invalid, json_response, no_such_object, transient_failure
from wahooks.sim.messages import Json

# Meta's default page size for an edge.
DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def node(number: SimNumber, fields: str | None) -> Json:
    """The phone-number node; with `fields`, only those (and the id), as Graph answers."""
    answer: Json = {
        "verified_name": number.verified_name,
        "code_verification_status": "VERIFIED",
        "display_phone_number": "+" + number.display_phone_number,
        "quality_rating": "GREEN",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
        "id": number.phone_number_id,
    }
    if fields:
        wanted = {f.strip() for f in fields.split(",")} | {"id"}
        answer = {k: v for k, v in answer.items() if k in wanted}
    return answer


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(str(index).encode()).decode()


def _index(cursor: str) -> int | None:
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except ValueError:
        return None


class PhoneNumbers:
    def __init__(self, accounts: Accounts) -> None:
        self._accounts = accounts
        # Injected failures of `GET /{phone-number-id}` (fail_next_number_reads).
        self.failures: deque[int] = deque()

    def read(self, token: str, node_id: str, fields: str | None) -> web.Response | None:
        """The answer to ``GET /{node_id}`` if it is a phone number; None for another
        kind of node (a media id), which the caller answers."""
        number = self._accounts.number(token, node_id)
        if number is None:
            # Meta does not tell "no such number" from "not yours".
            return no_such_object("get", node_id) if self._accounts.exists(node_id) else None
        if self.failures:
            return transient_failure(self.failures.popleft())
        return json_response(node(number, fields))

    def list(self, request: web.Request, token: str, waba_id: str) -> web.Response:
        """``GET /{waba_id}/phone_numbers`` (``fields``, ``limit``, ``after``)."""
        numbers = self._accounts.of_waba(token, waba_id)
        if numbers is None:
            return no_such_object("get", waba_id)
        query = request.query
        try:
            limit = int(query.get("limit", DEFAULT_LIMIT))
        except ValueError:
            return invalid("limit must be an integer.")
        limit = max(1, min(limit, MAX_LIMIT))
        start = 0
        if "after" in query:
            after = _index(query["after"])
            if after is None:
                return invalid("after is not a valid cursor.")
            start = after + 1
        page = numbers[start : start + limit]
        answer: Json = {"data": [node(n, query.get("fields")) for n in page]}
        if page:
            paging: Json = {
                "cursors": {"before": _cursor(start), "after": _cursor(start + len(page) - 1)}
            }
            if start + len(page) < len(numbers):
                after_last = _cursor(start + len(page) - 1)
                paging["next"] = str(request.url.update_query(after=after_last))
            answer["paging"] = paging
        return json_response(answer)
