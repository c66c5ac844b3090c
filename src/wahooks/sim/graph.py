"""The Graph API routes the gateway calls: media metadata and download, sends, uploads,
the phone-number node and a WABA's phone numbers (phone_numbers.py, with the tokens' rights
in accounts.py), and the WABA's message templates (templates.py). Its answers are in
graph_errors.py, sends' records and checks in sends.py, media bytes over HTTP in
transfers.py."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections import deque
from collections.abc import Callable
from typing import Literal

import orjson
from aiohttp import web

from wahooks.sim.accounts import Accounts, SimNumber
from wahooks.sim.graph_errors import (
    fbtrace_id,
    graph_error,
    invalid,
    json_response,
    no_such_object,
    transient_failure,
)
from wahooks.sim.media import MediaObject, MediaStore
from wahooks.sim.messages import Json, new_wamid
from wahooks.sim.notifications import ERROR_TEXTS
from wahooks.sim.phone_numbers import PhoneNumbers
from wahooks.sim.sends import SERVER_ERROR_CODES, OnSent, SendFailure, SentMessage, send_error
from wahooks.sim.settings import SimSettings
from wahooks.sim.templates import Templates
from wahooks.sim.transfers import (
    MAX_UPLOAD_BYTES,
    UploadRecord,
    cut_download,
    read_upload,
    stream_download,
    trickle_download,
)

__all__ = [
    "MAX_UPLOAD_BYTES",
    "GraphApi",
    "MediaStage",
    "OnSent",
    "SendFailure",
    "SentMessage",
    "UploadRecord",
    "fbtrace_id",
    "graph_error",
]

_VERSION = r"{version:v[0-9]+\.[0-9]+}"

# Which media request `fail_next_media` breaks.
MediaStage = Literal["metadata", "download", "cut"]


class GraphApi:
    """The Graph API of one simulated account."""

    def __init__(
        self,
        *,
        settings: SimSettings,
        media: MediaStore,
        clock: Callable[[], float],
        base_url: Callable[[], str],
        on_sent: OnSent,
    ) -> None:
        self._settings = settings
        self._media = media
        self._clock = clock
        self._base_url = base_url
        self._on_sent = on_sent
        self._failures: deque[SendFailure] = deque()
        self.trickle_bytes_per_s: float | None = None  # trickle_downloads
        self.send_delay_s = 0.0  # slow_sends: how long each send takes to answer
        self.sends_waiting = 0  # sends being delayed now
        self.most_sends_waiting = 0  # the most at once, since the start
        # Injected media failures (fail_next_media): HTTP statuses to answer instead; for
        # downloads, None means "send half the bytes, then drop the connection".
        self._metadata_failures: deque[int] = deque()
        self._download_failures: deque[int | None] = deque()
        # Signs download URLs; a fresh key per run, like Meta's URLs die with their signature.
        self._url_key = secrets.token_bytes(32)
        self._upload_failures: deque[int] = deque()
        self.accounts = Accounts(
            SimNumber(
                phone_number_id=settings.phone_number_id,
                waba_id=settings.waba_id,
                display_phone_number=settings.display_phone_number,
                access_token=settings.access_token,
            )
        )
        self.phone_numbers = PhoneNumbers(self.accounts)
        # False once the access token is invalidated (expired or revoked, as Meta would):
        # every Graph call then answers 401 with OAuthException code 190.
        self.token_valid = True
        self.sent: list[SentMessage] = []
        self.uploads: list[UploadRecord] = []
        self.marked_read: list[str] = []
        # (message id, how many messages had been sent by then): tests check the order.
        self.typing_shown: list[tuple[str, int]] = []
        self.templates = Templates(graph_error)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/media-download/{media_id}", self._download),
            web.get(f"/{_VERSION}/{{node}}", self._get_node),
            web.get(f"/{_VERSION}/{{node}}/phone_numbers", self._list_phone_numbers),
            web.delete(f"/{_VERSION}/{{node}}", self._delete_node),
            web.post(f"/{_VERSION}/{{node}}/messages", self._send),
            web.post(f"/{_VERSION}/{{node}}/media", self._upload),
            web.get(f"/{_VERSION}/{{node}}/message_templates", self._list_templates),
            web.post(f"/{_VERSION}/{{node}}/message_templates", self._create_template),
        ]

    def fail_next_sends(self, n: int, code: int, http_status: int | None = None) -> None:
        """The next `n` sends answer a Graph error with `code`.

        An HTTP status given as `code` (5xx) answers that status with Meta's generic 131000;
        Graph codes answer HTTP 400, or 500 for Meta's server-side codes.
        """
        if 500 <= code <= 599:
            failure = SendFailure(131000, http_status or code)
        else:
            status = http_status or (500 if code in SERVER_ERROR_CODES else 400)
            failure = SendFailure(code, status)
        self._failures.extend([failure] * n)

    def fail_next_deliveries(self, n: int, code: int = 131047) -> None:
        """The next `n` sends are accepted, then reported `failed` with `code` in a status."""
        self._failures.extend([SendFailure(code, 200, asynchronous=True)] * n)

    def fail_next_media(
        self, n: int = 1, http_status: int = 503, *, on: MediaStage = "metadata"
    ) -> None:
        """The next `n` media requests of one stage fail, as Meta's transient errors do.

        `on="metadata"`: `GET /{media-id}` answers `http_status` with a Graph error.
        `on="download"`: the download URL answers `http_status`.
        `on="cut"`: the download sends half the file, then the connection drops.
        """
        if on == "metadata":
            self._metadata_failures.extend([http_status] * n)
        elif on == "download":
            self._download_failures.extend([http_status] * n)
        else:
            self._download_failures.extend([None] * n)

    def trickle_downloads(self, bytes_per_s: float | None) -> None:
        """Every download from now on trickles at ``bytes_per_s`` (None: full speed again),
        as a slow or overloaded CDN does."""
        self.trickle_bytes_per_s = bytes_per_s

    def fail_next_number_reads(self, n: int = 1, http_status: int = 503) -> None:
        """The next `n` reads of the phone-number node answer `http_status` with a Graph
        error (429: Meta's rate limit, code 4; else its transient code 2)."""
        self.phone_numbers.failures.extend([http_status] * n)

    def fail_next_uploads(self, n: int = 1, http_status: int = 503) -> None:
        """The next `n` media uploads answer `http_status` with a Graph error (after reading
        the body, as a server that failed while storing it would)."""
        self._upload_failures.extend([http_status] * n)

    def media_url(self, media_id: str) -> str:
        expires = f"{self._clock() + self._settings.media_url_ttl_s:.3f}"
        return (
            f"{self._base_url()}/media-download/{media_id}"
            f"?expires={expires}&sig={self._url_sig(media_id, expires)}"
        )

    def _url_sig(self, media_id: str, expires: str) -> str:
        msg = f"{media_id}:{expires}".encode()
        return hmac.new(self._url_key, msg, hashlib.sha256).hexdigest()[:32]

    def _token(self, request: web.Request) -> str | None:
        """The request's access token if Meta issued it and it is still valid."""
        if not self.token_valid:
            return None
        header = request.headers.get("Authorization", "")
        token = header[7:] if header[:7].lower() == "bearer " else request.query.get("access_token")
        return token if token is not None and self.accounts.knows(token) else None

    def _authorized(self, request: web.Request) -> bool:
        return self._token(request) is not None

    def _own_number(self, request: web.Request, node: str) -> bool:
        """Whether the request's token may act as the simulator's own number ``node``."""
        token = self._token(request)
        return (
            token is not None
            and node == self._settings.phone_number_id
            and self.accounts.number(token, node) is not None
        )

    def _own_waba(self, request: web.Request, node: str) -> bool:
        token = self._token(request)
        return (
            token is not None
            and node == self._settings.waba_id
            and self.accounts.of_waba(token, node) is not None
        )

    def _unauthorized(self) -> web.Response:
        if not self.token_valid:  # Meta's answer for an expired session token
            return graph_error(
                401,
                "Error validating access token: Session has expired.",
                code=190,
                subcode=463,
            )
        return graph_error(401, "Invalid OAuth access token - Cannot parse access token", code=190)

    def _available_media(self, media_id: str) -> MediaObject | None:
        media = self._media.get(media_id)
        return media if media is not None and media.available else None

    async def _get_node(self, request: web.Request) -> web.Response:
        token = self._token(request)
        if token is None:
            return self._unauthorized()
        node = request.match_info["node"]
        number = self.phone_numbers.read(token, node, request.query.get("fields"))
        if number is not None:
            return number
        if self._metadata_failures:
            return transient_failure(self._metadata_failures.popleft())
        media = self._available_media(node)
        if media is None:
            return no_such_object("get", node, http_status=404)
        return json_response(
            {
                "messaging_product": "whatsapp",
                "url": self.media_url(media.id),
                "mime_type": media.mime_type,
                "sha256": media.sha256,
                "file_size": media.file_size,
                "id": media.id,
            }
        )

    async def _list_phone_numbers(self, request: web.Request) -> web.Response:
        token = self._token(request)
        if token is None:
            return self._unauthorized()
        return self.phone_numbers.list(request, token, request.match_info["node"])

    async def _delete_node(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        node = request.match_info["node"]
        if self._available_media(node) is None:
            return no_such_object("delete", node, http_status=404)
        self._media.make_unavailable(node)
        return json_response({"success": True})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            return self._unauthorized()
        media_id = request.match_info["media_id"]
        expires = request.query.get("expires", "")
        sig = request.query.get("sig", "")
        try:
            expired = self._clock() > float(expires)
        except ValueError:
            expired = True
        valid = hmac.compare_digest(sig.encode(), self._url_sig(media_id, expires).encode())
        media = self._available_media(media_id)
        if expired or not valid or media is None:
            return graph_error(404, "URL expired or media not found", code=100)
        if self._download_failures:
            failure = self._download_failures.popleft()
            if failure is None:
                return await cut_download(request, media)
            return transient_failure(failure)
        if self.trickle_bytes_per_s is not None:
            return await trickle_download(request, media, self.trickle_bytes_per_s)
        return await stream_download(request, media)

    async def _read_json(self, request: web.Request) -> Json | web.Response:
        try:
            payload = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return invalid("The request body is not valid JSON.")
        if not isinstance(payload, dict):
            return invalid("The request body must be a JSON object.")
        return payload

    async def _send(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        node = request.match_info["node"]
        if not self._own_number(request, node):
            return no_such_object("post", node)
        payload = await self._read_json(request)
        if isinstance(payload, web.Response):
            return payload
        if payload.get("status") == "read":
            # Mark-as-read (and typing indicator) share the endpoint; no wamid, no statuses.
            message_id = payload.get("message_id")
            if payload.get("messaging_product") != "whatsapp" or not isinstance(message_id, str):
                return invalid("status=read requires messaging_product and message_id.")
            typing = payload.get("typing_indicator")
            if typing is not None and typing != {"type": "text"}:
                return invalid('typing_indicator must be {"type": "text"}.')
            self.marked_read.append(message_id)
            if typing is not None:
                self.typing_shown.append((message_id, len(self.sent)))
            return json_response({"success": True})
        problem = send_error(payload)
        if problem is not None:
            return invalid(problem)
        if self.send_delay_s:
            await self._slowly()
        failure = self._failures.popleft() if self._failures else None
        if failure is not None and not failure.asynchronous:
            title, details = ERROR_TEXTS.get(failure.code, ("Error", f"Error {failure.code}"))
            return graph_error(
                failure.http_status,
                f"(#{failure.code}) {title}",
                code=failure.code,
                details=details,
            )
        to: str = payload.get("to") or payload["recipient"]
        # A phone number as its digits; a business-scoped user id as it is.
        wa_id = to if "recipient" in payload else "".join(ch for ch in to if ch.isdigit())
        sent = SentMessage(
            wamid=new_wamid(),
            phone_number_id=node,
            to=wa_id,
            type=payload.get("type", "text"),
            payload=payload,
            at=self._clock(),
        )
        self.sent.append(sent)
        self._on_sent(sent, failure.code if failure is not None else None)
        return json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [
                    {"input": to, ("user_id" if "recipient" in payload else "wa_id"): wa_id}
                ],
                "messages": [{"id": sent.wamid}],
            }
        )

    async def _slowly(self) -> None:
        self.sends_waiting += 1
        self.most_sends_waiting = max(self.most_sends_waiting, self.sends_waiting)
        try:
            await asyncio.sleep(self.send_delay_s)
        finally:
            self.sends_waiting -= 1

    async def _list_templates(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        node = request.match_info["node"]
        if not self._own_waba(request, node):
            return no_such_object("get", node)
        return await self.templates.list_templates(request)

    async def _create_template(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        node = request.match_info["node"]
        if not self._own_waba(request, node):
            return no_such_object("post", node)
        payload = await self._read_json(request)
        if isinstance(payload, web.Response):
            return payload
        return await self.templates.create(payload)

    async def _upload(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        node = request.match_info["node"]
        if not self._own_number(request, node):
            return no_such_object("post", node)
        if self._upload_failures:
            async for _ in request.content.iter_any():
                pass
            return transient_failure(self._upload_failures.popleft())
        upload = await read_upload(request, self._media)
        if isinstance(upload, web.Response):
            return upload
        self.uploads.append(upload)
        return json_response({"id": upload.media_id})
