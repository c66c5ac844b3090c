"""The Simulator: one simulated Cloud API account, its HTTP server and its webhook client
(client.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

import aiohttp
from aiohttp import web

from wahooks.sim.accounts import SimNumber
from wahooks.sim.client import GatewayClient, SendResult
from wahooks.sim.control import ControlApi
from wahooks.sim.graph import GraphApi, MediaStage, SentMessage, UploadRecord
from wahooks.sim.media import MediaStore
from wahooks.sim.messages import Json, MessageBuilder, SimUser
from wahooks.sim.settings import SimSettings
from wahooks.sim.templates import Templates

__all__ = ["SendResult", "Simulator"]

CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=30)
# Uploads may be up to Meta's 100 MB limit (transfers.MAX_UPLOAD_BYTES) plus multipart framing.
_CLIENT_MAX_SIZE = 101 * 1024 * 1024


class Simulator(GatewayClient):
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

    def user(
        self, wa_id: str, name: str, *, username: str | None = None, hides_phone: bool = False
    ) -> SimUser:
        """``username``/``hides_phone``: a user who adopted a username and whose phone
        number Meta withholds (only the business-scoped user id is sent)."""
        return SimUser(wa_id=wa_id, name=name, username=username, hides_phone=hides_phone)

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

    def trickle_media(self, bytes_per_s: float | None) -> None:
        """Media downloads trickle at ``bytes_per_s`` (None: full speed); see
        GraphApi.trickle_downloads."""
        self.graph.trickle_downloads(bytes_per_s)

    def slow_sends(self, seconds: float) -> None:
        """Every message send answers ``seconds`` late from now on (0: at once), as
        an overloaded Graph API does; ``graph.most_sends_waiting`` says how many waited at
        once."""
        self.graph.send_delay_s = seconds

    def fail_next_number_reads(self, n: int = 1, http_status: int = 503) -> None:
        """The next `n` reads of the phone-number node (the gateway's health check) fail
        with `http_status`; see GraphApi.fail_next_number_reads."""
        self.graph.fail_next_number_reads(n, http_status)

    def add_number(
        self,
        phone_number_id: str,
        *,
        waba_id: str,
        access_token: str,
        display_phone_number: str = "15550000001",
        verified_name: str = "Wahooks Simulator",
    ) -> None:
        """Another number Meta knows, in WABA ``waba_id``, readable with ``access_token``
        (the token granted on that WABA): its node and the WABA's ``phone_numbers`` answer
        that token, and refuse every other as Meta does. Its sends are not simulated."""
        self.graph.accounts.add(
            SimNumber(
                phone_number_id=phone_number_id,
                waba_id=waba_id,
                access_token=access_token,
                display_phone_number=display_phone_number,
                verified_name=verified_name,
            )
        )

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
