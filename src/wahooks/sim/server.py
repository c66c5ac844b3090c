"""The Simulator: one simulated Cloud API account, its HTTP server and its webhook client."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiohttp import web

from wahooks.sim import notifications
from wahooks.sim.control import ControlApi
from wahooks.sim.errors import GatewayUnreachable
from wahooks.sim.graph import GraphApi, MediaStage, SentMessage, UploadRecord
from wahooks.sim.media import MediaStore
from wahooks.sim.messages import Json, MessageBuilder, SimUser
from wahooks.sim.notifications import Layout
from wahooks.sim.settings import SimSettings
from wahooks.sim.templates import Templates

log = logging.getLogger(__name__)

# Backoff of `deliver(retries=...)`: Meta's is minutes to days; the sim keeps the shape.
RETRY_BASE_DELAY_S = 0.1
RETRY_MAX_DELAY_S = 5.0
# Status POSTs retry a little, so a gateway hiccup does not silently lose a status.
STATUS_RETRIES = 3
CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=30)
# Uploads may be up to Meta's 100 MB limit (graph.MAX_UPLOAD_BYTES) plus multipart framing.
_CLIENT_MAX_SIZE = 101 * 1024 * 1024


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


class Simulator:
    """A fake of Meta's Cloud API for one business number, speaking the real wire format.

    Use as `async with Simulator(SimSettings(...)) as sim:` or call start()/stop().
    `clock` gives Unix time for message timestamps and media URL expiry (tests inject one).
    """

    def __init__(
        self, settings: SimSettings | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings or SimSettings()
        self.clock = clock
        self.media = MediaStore()
        self.builder = MessageBuilder(
            media=self.media,
            business_number=self.settings.display_phone_number,
            clock=clock,
        )
        self.graph = GraphApi(
            settings=self.settings,
            media=self.media,
            clock=clock,
            base_url=lambda: self.base_url,
            on_sent=self._after_send,
        )
        self._control = ControlApi(self)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._port: int | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._conversations: dict[str, str] = {}

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        app = web.Application(client_max_size=_CLIENT_MAX_SIZE)
        # Control routes first: `/_sim/...` must not be taken for a Graph node.
        app.add_routes(self._control.routes())
        app.add_routes(self.graph.routes())
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.host, self.settings.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._session = aiohttp.ClientSession(timeout=CLIENT_TIMEOUT)

    async def stop(self) -> None:
        """Cancel pending status POSTs, close the client and the server."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._port = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def wait_idle(self) -> None:
        """Wait until every scheduled status POST has been made (bound it with asyncio.timeout)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- addresses -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("simulator not started")
        host = self.settings.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._port}"

    @property
    def graph_base_url(self) -> str:
        """What the gateway stores as the number's Graph API base URL."""
        return f"{self.base_url}/{self.settings.graph_version}"

    def info(self) -> Json:
        """Everything needed to register this number on the gateway."""
        s = self.settings
        return {
            "phone_number_id": s.phone_number_id,
            "waba_id": s.waba_id,
            "display_phone_number": s.display_phone_number,
            "graph_base_url": self.graph_base_url,
            "verify_token": s.verify_token,
            # A local stand-in for Meta with development secrets: handing them out is what
            # lets a demo or benchmark register the number without sharing a config file.
            "app_secret": s.app_secret,
            "access_token": s.access_token,
            "gateway_url": s.gateway_url,
        }

    # --- users, messages, notifications ----------------------------------------------------

    def user(self, wa_id: str, name: str) -> SimUser:
        return SimUser(wa_id=wa_id, name=name)

    def build_message(self, user: SimUser, type_: str, **fields: Any) -> Json:
        """A message item of `type_` in Meta's shape; see MessageBuilder.build for fields."""
        return self.builder.build(user, type_, **fields)

    def notification(
        self, messages: Sequence[tuple[SimUser, Json]], layout: Layout = "one_value"
    ) -> Json:
        return notifications.messages_notification(self.settings, messages, layout)

    @property
    def sent(self) -> list[SentMessage]:
        """Messages the gateway sent through the Graph API, oldest first."""
        return self.graph.sent

    def fail_next_sends(
        self, n: int = 1, code: int = 131000, http_status: int | None = None
    ) -> None:
        """The next `n` Graph sends answer an error (see GraphApi.fail_next_sends)."""
        self.graph.fail_next_sends(n, code, http_status)

    def fail_next_deliveries(self, n: int = 1, code: int = 131047) -> None:
        """The next `n` Graph sends are accepted and then reported `failed` with `code`."""
        self.graph.fail_next_deliveries(n, code)

    def fail_next_media(
        self, n: int = 1, http_status: int = 503, *, on: MediaStage = "metadata"
    ) -> None:
        """The next `n` media metadata requests, downloads, or (on="cut") downloads cut off
        halfway fail; see GraphApi.fail_next_media."""
        self.graph.fail_next_media(n, http_status, on=on)

    def fail_next_number_reads(self, n: int = 1, http_status: int = 503) -> None:
        """The next `n` reads of the phone-number node (the gateway's health check) fail
        with `http_status`; see GraphApi.fail_next_number_reads."""
        self.graph.fail_next_number_reads(n, http_status)

    def set_token_valid(self, valid: bool) -> None:
        """Invalidate the access token (as when it expires or is revoked at Meta), or make it
        valid again: while invalid, every Graph call answers 401, OAuthException code 190."""
        self.graph.token_valid = valid

    def fail_next_uploads(self, n: int = 1, http_status: int = 503) -> None:
        """The next `n` media uploads answer `http_status` (see GraphApi.fail_next_uploads)."""
        self.graph.fail_next_uploads(n, http_status)

    @property
    def templates(self) -> Templates:
        """The WABA's message templates (add, review, and what the gateway created)."""
        return self.graph.templates

    @property
    def uploads(self) -> list[UploadRecord]:
        """Media uploads the gateway made (accepted ones), oldest first."""
        return self.graph.uploads

    # --- talking to the gateway ------------------------------------------------------------

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
