"""The simulator's side of the webhook: signed notifications POSTed to the gateway (messages,
statuses, with Meta's retries), the statuses that follow a send, and the subscription
handshake."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from wahooks.sim import changes, notifications
from wahooks.sim.errors import GatewayUnreachable
from wahooks.sim.messages import Json, MessageBuilder, SimUser
from wahooks.sim.notifications import Layout
from wahooks.sim.sends import SentMessage
from wahooks.sim.settings import SimSettings

log = logging.getLogger(__name__)

# Backoff of `deliver(retries=...)`: Meta's is minutes to days; the sim keeps the shape.
RETRY_BASE_DELAY_S = 0.1
RETRY_MAX_DELAY_S = 5.0
# Status POSTs retry a little, so a gateway hiccup does not silently lose a status.
STATUS_RETRIES = 3


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one `send`/`send_batch` POSTed and how the gateway answered.

    `statuses` has one HTTP status per POST: two when `duplicate=True`.
    """

    messages: tuple[Json, ...]
    body: bytes
    statuses: tuple[int, ...]

    @property
    def message(self) -> Json:
        return self.messages[0]

    @property
    def wamid(self) -> str:
        wamid: str = self.messages[0]["id"]
        return wamid

    @property
    def wamids(self) -> list[str]:
        return [m["id"] for m in self.messages]

    @property
    def status(self) -> int:
        return self.statuses[0]

    @property
    def ok(self) -> bool:
        return all(s == 200 for s in self.statuses)


class GatewayClient:
    """What the Simulator sends to the gateway; the Simulator provides the state below."""

    settings: SimSettings
    clock: Callable[[], float]
    builder: MessageBuilder
    _session: aiohttp.ClientSession | None
    _tasks: set[asyncio.Task[None]]
    _conversations: dict[str, str]

    def build_message(self, user: SimUser, type_: str, **fields: Any) -> Json:
        """A message item of `type_` in Meta's shape; see MessageBuilder.build for fields."""
        return self.builder.build(user, type_, **fields)

    def notification(
        self, messages: Sequence[tuple[SimUser, Json]], layout: Layout = "one_value"
    ) -> Json:
        return notifications.messages_notification(self.settings, messages, layout)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("simulator not started")
        return self._session

    async def deliver(
        self,
        notification: Json | bytes,
        *,
        sign: bool = True,
        wrong_signature: bool = False,
        retries: int = 0,
    ) -> int:
        """POST one notification to the gateway; the gateway's HTTP status.

        With `retries`, a non-200 answer or a connection error is retried with exponential
        backoff like Meta does, at most `retries` more times. Raises GatewayUnreachable when
        the last attempt could not connect.
        """
        body = (
            notification if isinstance(notification, bytes) else notifications.encode(notification)
        )
        headers = notifications.headers(
            self.settings.app_secret, body, sign=sign, wrong=wrong_signature
        )
        session = self._client()
        for attempt in range(retries + 1):
            try:
                async with session.post(self.settings.gateway_url, data=body, headers=headers) as r:
                    await r.read()
                    status = r.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                if attempt == retries:
                    raise GatewayUnreachable(f"{self.settings.gateway_url}: {exc!r}") from exc
                status = 0
            if status == 200 or attempt == retries:
                return status
            await asyncio.sleep(min(RETRY_BASE_DELAY_S * 2**attempt, RETRY_MAX_DELAY_S))
        raise AssertionError("unreachable")

    async def _post_twice(
        self, body: bytes, duplicate: bool, wrong_signature: bool, retries: int
    ) -> tuple[int, ...]:
        first = await self.deliver(body, wrong_signature=wrong_signature, retries=retries)
        if not duplicate:
            return (first,)
        # Meta redelivers byte-identical notifications (same signature).
        second = await self.deliver(body, wrong_signature=wrong_signature, retries=retries)
        return (first, second)

    async def send(
        self,
        user: SimUser,
        type_: str,
        *,
        duplicate: bool = False,
        wrong_signature: bool = False,
        retries: int = 0,
        **fields: Any,
    ) -> SendResult:
        """Build one message from `user`, POST it to the gateway, return what happened."""
        message = self.build_message(user, type_, **fields)
        body = notifications.encode(self.notification([(user, message)]))
        statuses = await self._post_twice(body, duplicate, wrong_signature, retries)
        return SendResult(messages=(message,), body=body, statuses=statuses)

    async def send_batch(
        self,
        items: Sequence[tuple[SimUser, str, dict[str, Any]]],
        *,
        layout: Layout = "one_value",
        duplicate: bool = False,
        wrong_signature: bool = False,
        retries: int = 0,
    ) -> SendResult:
        """Several messages (user, type, fields) in one POST, laid out as `layout`."""
        pairs = [(user, self.build_message(user, type_, **fields)) for user, type_, fields in items]
        body = notifications.encode(self.notification(pairs, layout))
        statuses = await self._post_twice(body, duplicate, wrong_signature, retries)
        return SendResult(messages=tuple(m for _, m in pairs), body=body, statuses=statuses)

    def _status_item(self, wamid: str, status: str, recipient_id: str, **kw: Any) -> Json:
        now = int(self.clock())
        conversation_id = self._conversations.setdefault(recipient_id, secrets.token_hex(16))
        return notifications.status_item(
            wamid,
            status,
            recipient_id,
            timestamp=now,
            conversation_id=conversation_id,
            # Meta states the conversation's expiry on the first status only.
            conversation_expires=now + 24 * 3600 if status == "sent" else None,
            **kw,
        )

    async def send_status(
        self,
        wamid: str,
        status: str,
        recipient_id: str,
        *,
        errors: Sequence[Json] | None = None,
        error_code: int | None = None,
        contact: SimUser | None = None,
        retries: int = 0,
    ) -> int:
        """POST one status notification for a message the business sent; the gateway's status.

        `failed` carries `errors` (or one built from `error_code`, default 131026).
        """
        if error_code is not None and errors is None:
            errors = [notifications.graph_error_item(error_code)]
        item = self._status_item(wamid, status, recipient_id, errors=errors)
        notification = notifications.statuses_notification(
            self.settings, [item], [contact] if contact else ()
        )
        return await self.deliver(notification, retries=retries)

    async def send_change(
        self,
        field: str,
        value: Json,
        *,
        waba_level: bool = False,
        wrong_signature: bool = False,
        retries: int = 0,
    ) -> int:
        """POST one change of webhook field ``field`` (see sim/changes.py for values); a
        WABA-level one (templates, the account) carries the entry's ``time``, as Meta's do.
        Returns the gateway's status."""
        entry_time = int(self.clock()) if waba_level else None
        notification = changes.change_notification(
            self.settings, field, value, entry_time=entry_time
        )
        return await self.deliver(notification, wrong_signature=wrong_signature, retries=retries)

    def _after_send(self, sent: SentMessage, failure_code: int | None) -> None:
        if failure_code is not None:
            first_delay = self.settings.status_delays_s[0] if self.settings.status_delays_s else 0.0
            steps: list[tuple[float, str]] = [(first_delay, "failed")]
        elif self.settings.send_statuses:
            # Fewer delays than statuses sends fewer statuses, e.g. (0.1,) sends "sent" only.
            delays = self.settings.status_delays_s
            steps = list(zip(delays, ("sent", "delivered", "read"), strict=False))
        else:
            return
        task = asyncio.get_running_loop().create_task(
            self._post_statuses(sent, steps, failure_code)
        )
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.warning("status notification failed: %r", exc)

    async def _post_statuses(
        self, sent: SentMessage, steps: list[tuple[float, str]], failure_code: int | None
    ) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        for delay, status in steps:
            await asyncio.sleep(max(0.0, started + delay - loop.time()))
            code = failure_code if status == "failed" else None
            gateway_status = await self.send_status(
                sent.wamid, status, sent.to, error_code=code, retries=STATUS_RETRIES
            )
            if gateway_status != 200:
                log.warning(
                    "gateway answered %s to status %s of %s", gateway_status, status, sent.wamid
                )

    async def subscribe(self, *, verify_token: str | None = None) -> bool:
        """Meta's subscription handshake; True if the gateway echoed the challenge."""
        challenge = str(secrets.randbelow(10**9))
        params = {
            "hub.mode": "subscribe",
            "hub.verify_token": self.settings.verify_token
            if verify_token is None
            else verify_token,
            "hub.challenge": challenge,
        }
        async with self._client().get(self.settings.gateway_url, params=params) as response:
            text = await response.text()
            return response.status == 200 and text == challenge
