"""Proof that whoever registers a number holds it at Meta.

Before a number is stored, its access token must read, through the number's own Graph API
base URL (the client the sends use, behind the outbound-address guard):
1. the phone-number node, ``GET /{phone-number-id}?fields=id,...``, answering that id;
2. the WABA's numbers, ``GET /{waba-id}/phone_numbers``, listing it (every page).
Meta answers a token without rights on a node exactly as it answers a node that does not
exist, so the proof says nothing about numbers the token cannot read.

``prove`` raises, never returns a verdict to interpret:
- TokenRefused: Meta refused the token itself (invalid or expired: OAuth code 190 or HTTP
  401). That depends on the token alone, so Meta's message is passed on;
- NumberNotVerified: the token is valid but cannot read the number, or the number is not in
  that WABA. One fixed message (``not_verified``): the API answers the same when the number
  is registered by someone else, and any detail would tell the two apart;
- UpstreamError ``graph_unavailable``: no answer (network, timeout, 5xx, throttling, or an
  address the guard refuses): nothing was proven either way.
"""

import logging

from wahooks.errors import NumberNotVerified, TokenRefused, UpstreamError
from wahooks.models import Number
from wahooks.send.graph import GraphClient, GraphError

log = logging.getLogger(__name__)

INVALID_TOKEN_CODE = 190
# A WABA has at most a few dozen numbers; a page holds 100. The bound only stops a Graph
# API that pages forever.
MAX_PAGES = 20


def not_verified(number: Number) -> NumberNotVerified:
    """The refusal, identical for every reason it may stand for."""
    return NumberNotVerified(
        f"this access token cannot read phone number {number.phone_number_id} in WhatsApp "
        f"Business Account {number.waba_id} (check both ids and the token's permissions, "
        "whatsapp_business_management and whatsapp_business_messaging)"
    )


class OwnershipProof:
    def __init__(self, graph: GraphClient) -> None:
        self._graph = graph

    async def prove(self, number: Number) -> None:
        """Return when ``number``'s token reads its node and its WABA lists it; raise
        otherwise (see the module's docstring)."""
        try:
            node = await self._graph.phone_number(number)
            if str(node.get("id")) != number.phone_number_id:
                self._refuse(number, f"the node answered id {node.get('id')!r}")
            if not await self._listed(number):
                self._refuse(number, "the WABA does not list the number")
        except GraphError as exc:
            raise self._translate(number, exc) from exc

    async def _listed(self, number: Number) -> bool:
        after: str | None = None
        for _ in range(MAX_PAGES):
            page = await self._graph.waba_phone_numbers(number, after)
            data = page.get("data")
            if isinstance(data, list) and any(
                isinstance(item, dict) and str(item.get("id")) == number.phone_number_id
                for item in data
            ):
                return True
            paging = page.get("paging")
            cursors = paging.get("cursors") if isinstance(paging, dict) else None
            after = cursors.get("after") if isinstance(cursors, dict) else None
            if not isinstance(paging, dict) or "next" not in paging or not after:
                return False
        return False

    def _refuse(self, number: Number, why: str) -> None:
        # The operator's log says why; the answer does not (it must not differ by reason).
        log.info("number %s not verified: %s", number.phone_number_id, why)
        raise not_verified(number)

    def _translate(self, number: Number, exc: GraphError) -> Exception:
        if exc.transient:
            return UpstreamError(
                f"the Graph API at {number.graph_base_url} did not answer the ownership "
                f"check; nothing was registered, try again: {exc.message}",
                code="graph_unavailable",
            )
        if exc.code == INVALID_TOKEN_CODE or exc.http_status == 401:
            return TokenRefused(f"Meta refused the access token: {exc.message}")
        log.info(
            "number %s not verified: Graph code %s (HTTP %s)",
            number.phone_number_id,
            exc.code,
            exc.http_status,
        )
        return not_verified(number)
