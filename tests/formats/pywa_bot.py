"""A Meta bot written with ``pywa`` (pywa_async), as a customer would write it, used as the
receiving app of the ``meta`` format: pywa's own Starlette routes on 127.0.0.1, pywa's own
signature check (``X-Hub-Signature-256`` with the app secret, here the destination's secret),
pywa's own filters (WABA id and phone number id must be the number's), and one handler per
update type that records what pywa parsed.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from pywa_async import WhatsApp
from pywa_async.types import RawUpdate
from starlette.applications import Starlette

from wahooks.server import serve_in_background

ENDPOINT = "/whatsapp"
HANDLERS = (
    "on_message",
    "on_callback_button",
    "on_callback_selection",
    "on_message_status",
    "on_phone_number_change",
    "on_identity_change",
    "on_edited_message",
    "on_deleted_message",
    "on_outgoing_message",
    "on_call_connect",
    "on_user_marketing_preferences",
    "on_template_status_update",
    "on_account_update",
)


@dataclass
class Parsed:
    handler: str  # which pywa handler got it, e.g. "on_callback_button"
    update: Any  # what pywa built: Message, CallbackButton, MessageStatus, ...


@dataclass
class PywaBot:
    app_secret: str
    phone_id: str
    waba_id: str
    parsed: list[Parsed] = field(default_factory=list)
    raw: list[RawUpdate] = field(default_factory=list)
    url: str = ""

    def client(self) -> WhatsApp:
        app = Starlette()
        wa = WhatsApp(
            server=app,
            webhook_endpoint=ENDPOINT,
            verify_token="pywa-verify-token",
            app_secret=self.app_secret,
            phone_id=self.phone_id,
            waba_id=self.waba_id,
            filter_updates=True,
            validate_updates=True,
        )
        for name in HANDLERS:
            getattr(wa, name)()(self._recorder(name))

        @wa.on_raw_update()  # type: ignore[misc]
        async def raw(_: WhatsApp, update: RawUpdate) -> None:
            self.raw.append(update)

        return wa

    def _recorder(self, handler: str) -> Any:
        async def record(_: WhatsApp, update: Any) -> None:
            self.parsed.append(Parsed(handler, update))

        record.__name__ = handler
        return record

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["PywaBot"]:
        wa = self.client()
        async with serve_in_background(wa._server) as base:
            self.url = base + ENDPOINT
            yield self

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[Parsed]:
        deadline = time.monotonic() + timeout
        while len(self.parsed) < count:
            assert time.monotonic() < deadline, f"pywa parsed {len(self.parsed)} of {count}"
            await asyncio.sleep(0.02)
        return self.parsed


class PywaErrors(logging.Handler):
    """Collects what pywa logs at ERROR (e.g. "Failed to construct update")."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    @contextlib.contextmanager
    def watching(self) -> Any:
        logger = logging.getLogger("pywa")
        logger.addHandler(self)
        try:
            yield self
        finally:
            logger.removeHandler(self)
