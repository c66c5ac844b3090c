"""Control API under `/_sim/`: lets another process (benchmark, demo, curl) drive the sim."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wahooks.sim import changes
from wahooks.sim.errors import GatewayUnreachable
from wahooks.sim.graph import MediaStage
from wahooks.sim.messages import InvalidMessage
from wahooks.sim.notifications import Layout

if TYPE_CHECKING:
    from wahooks.sim.server import Simulator

MAX_COUNT = 10_000


class SendRequest(BaseModel):
    """`POST /_sim/messages`: any other key is a field of the message type."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    from_: str = Field(alias="from", min_length=1, pattern=r"^[0-9]+$")
    name: str = "Sim User"
    type: str = "text"
    count: int = Field(default=1, ge=1, le=MAX_COUNT)
    batch: bool = False
    layout: Layout = "one_value"
    duplicate: bool = False
    wrong_signature: bool = False


class FailRequest(BaseModel):
    """`POST /_sim/fail-sends`."""

    count: int = Field(default=1, ge=1, le=MAX_COUNT)
    code: int = 131000
    http_status: int | None = Field(default=None, ge=400, le=599)
    asynchronous: bool = False


class FailMediaRequest(BaseModel):
    """`POST /_sim/fail-media`."""

    model_config = ConfigDict(populate_by_name=True)

    count: int = Field(default=1, ge=1, le=MAX_COUNT)
    http_status: int = Field(default=503, ge=400, le=599, alias="httpStatus")
    on: MediaStage = "metadata"


class TokenRequest(BaseModel):
    """`POST /_sim/token`: make the access token invalid (expired) or valid again."""

    valid: bool


class UserIdUpdateRequest(BaseModel):
    """`POST /_sim/user-id-update`: Meta gives the user a new BSUID (a ``user_id_update``
    change; a ``user_changed_user_id`` system message is `POST /_sim/messages` with
    ``type: system``)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", min_length=1, pattern=r"^[0-9]+$")
    name: str = "Sim User"
    hides_phone: bool = Field(default=False, alias="hidesPhone")


class FailNumberRequest(BaseModel):
    """`POST /_sim/fail-number-reads`: the phone-number node's next reads fail."""

    model_config = ConfigDict(populate_by_name=True)

    count: int = Field(default=1, ge=1, le=MAX_COUNT)
    http_status: int = Field(default=503, ge=400, le=599, alias="httpStatus")


class NumberRequest(BaseModel):
    """`POST /_sim/numbers`: another number, readable with its own access token."""

    model_config = ConfigDict(populate_by_name=True)

    phone_number_id: str = Field(alias="phoneNumberId", min_length=1, pattern=r"^[0-9]+$")
    waba_id: str = Field(alias="wabaId", min_length=1, pattern=r"^[0-9]+$")
    access_token: str = Field(alias="accessToken", min_length=1)
    display_phone_number: str = Field("15550000001", alias="displayPhoneNumber", min_length=1)
    verified_name: str = Field("Wahooks Simulator", alias="verifiedName", min_length=1)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def _error(status: int, code: str, message: str) -> web.Response:
    return _json({"error": {"code": code, "message": message}}, status=status)


class ControlApi:
    def __init__(self, sim: Simulator) -> None:
        self._sim = sim

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/_sim/messages", self._messages),
            web.get("/_sim/sent", self._sent),
            web.get("/_sim/info", self._info),
            web.post("/_sim/fail-sends", self._fail_sends),
            web.post("/_sim/fail-media", self._fail_media),
            web.post("/_sim/token", self._token),
            web.post("/_sim/fail-number-reads", self._fail_number_reads),
            web.post("/_sim/numbers", self._add_number),
            web.post("/_sim/user-id-update", self._user_id_update),
        ]

    async def _body(self, request: web.Request) -> Any:
        try:
            return orjson.loads(await request.read())
        except orjson.JSONDecodeError as exc:
            raise InvalidMessage(f"body is not valid JSON: {exc}") from exc

    async def _messages(self, request: web.Request) -> web.Response:
        try:
            req = SendRequest.model_validate(await self._body(request))
            fields = dict(req.model_extra or {})
            user = self._sim.user(req.from_, req.name)
            # Build everything first, so a bad field is a 400 before anything is sent.
            if req.batch:
                items = [(user, req.type, fields)] * req.count
                result = await self._sim.send_batch(
                    items,
                    layout=req.layout,
                    duplicate=req.duplicate,
                    wrong_signature=req.wrong_signature,
                )
                return _json({"wamids": result.wamids, "gatewayStatus": _worst(result.statuses)})
            self._sim.build_message(user, req.type, **fields)
            wamids: list[str] = []
            statuses: list[int] = []
            for _ in range(req.count):
                one = await self._sim.send(
                    user,
                    req.type,
                    duplicate=req.duplicate,
                    wrong_signature=req.wrong_signature,
                    **fields,
                )
                wamids.append(one.wamid)
                statuses.extend(one.statuses)
        except ValidationError as exc:
            return _error(400, "invalid_request", _describe(exc))
        except (InvalidMessage, ValueError) as exc:
            return _error(400, "invalid_request", str(exc))
        except GatewayUnreachable as exc:
            return _error(502, "gateway_unreachable", str(exc))
        return _json({"wamids": wamids, "gatewayStatus": _worst(statuses)})

    async def _sent(self, request: web.Request) -> web.Response:
        return _json([sent.to_json() for sent in self._sim.sent])

    async def _info(self, request: web.Request) -> web.Response:
        return _json(self._sim.info())

    async def _fail_sends(self, request: web.Request) -> web.Response:
        try:
            req = FailRequest.model_validate(await self._body(request))
        except ValidationError as exc:
            return _error(400, "invalid_request", _describe(exc))
        except InvalidMessage as exc:
            return _error(400, "invalid_request", str(exc))
        if req.asynchronous:
            self._sim.fail_next_deliveries(req.count, req.code)
        else:
            self._sim.fail_next_sends(req.count, req.code, req.http_status)
        return _json({"pending": req.count})

    async def _fail_media(self, request: web.Request) -> web.Response:
        try:
            req = FailMediaRequest.model_validate(await self._body(request))
        except ValidationError as exc:
            return _error(400, "invalid_request", _describe(exc))
        except InvalidMessage as exc:
            return _error(400, "invalid_request", str(exc))
        self._sim.fail_next_media(req.count, req.http_status, on=req.on)
        return _json({"pending": req.count})

    async def _token(self, request: web.Request) -> web.Response:
        try:
            req = TokenRequest.model_validate(await self._body(request))
        except ValidationError as exc:
            return _error(400, "invalid_request", _describe(exc))
        except InvalidMessage as exc:
            return _error(400, "invalid_request", str(exc))
        self._sim.set_token_valid(req.valid)
        return _json({"valid": req.valid})

    async def _fail_number_reads(self, request: web.Request) -> web.Response:
        try:
            req = FailNumberRequest.model_validate(await self._body(request))
        except ValidationError as exc:
            return _error(400, "invalid_request", _describe(exc))
        except InvalidMessage as exc:
            return _error(400, "invalid_request", str(exc))
        self._sim.fail_next_number_reads(req.count, req.http_status)
        return _json({"pending": req.count})

    async def _add_number(self, request: web.Request) -> web.Response:
        try:
            req = NumberRequest.model_validate(await self._body(request))
        except ValidationError as exc:
            return _error(400, "invalid_request", _describe(exc))
        except InvalidMessage as exc:
            return _error(400, "invalid_request", str(exc))
        self._sim.add_number(
            req.phone_number_id,
            waba_id=req.waba_id,
            access_token=req.access_token,
            display_phone_number=req.display_phone_number,
            verified_name=req.verified_name,
        )
        return _json({"phoneNumberId": req.phone_number_id, "wabaId": req.waba_id})

    async def _user_id_update(self, request: web.Request) -> web.Response:
        try:
            req = UserIdUpdateRequest.model_validate(await self._body(request))
            user = self._sim.user(req.from_, req.name, hides_phone=req.hides_phone)
            new = user.with_new_user_id()
            value = changes.user_id_update(self._sim.settings, user, new, int(self._sim.clock()))
            status = await self._sim.send_change("user_id_update", value)
        except ValidationError as exc:
            return _error(400, "invalid_request", _describe(exc))
        except InvalidMessage as exc:
            return _error(400, "invalid_request", str(exc))
        except GatewayUnreachable as exc:
            return _error(502, "gateway_unreachable", str(exc))
        body = {"previousUserId": user.user_id, "userId": new.user_id, "gatewayStatus": status}
        return _json(body)


def _worst(statuses: list[int] | tuple[int, ...]) -> int:
    """200 if the gateway took every POST, else the first other answer."""
    return next((s for s in statuses if s != 200), 200)


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in exc.errors()
    )
