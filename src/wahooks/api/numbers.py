"""/v1/numbers: WhatsApp numbers and their Cloud API connections.

The operator registers pool numbers (shared by tenants through activations) and dedicated
numbers for a tenant or an App; a tenant or App may register its own dedicated number
(bring your own number). Secrets (access token, app secret, verify token) are accepted but
never returned; they are stored encrypted. The operator sees and manages every number; a
tenant sees its own numbers and the pool numbers and manages its own; an App its own.
Health (healthy / degraded / down) comes from Graph API checks of each number's token.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from wahooks.api.auth import any_key
from wahooks.api.keys import resource_id
from wahooks.api.number_models import NumberIn, NumberOut, NumberPatch, number_out
from wahooks.errors import Conflict, Forbidden, InvalidRequest, NotFound
from wahooks.gateway import gateway_of
from wahooks.ids import new_id
from wahooks.models import KeyKind, Number, Principal
from wahooks.ownership import not_verified
from wahooks.store import Duplicate
from wahooks.store.keys_ops import NumberChanges

router = APIRouter(prefix="/v1/numbers", tags=["numbers"])
NumberId = Annotated[str, resource_id("numberId")]

Responses = dict[int | str, dict[str, Any]]
_NOT_FOUND: Responses = {404: {"description": "not_found: no such number visible to this key."}}
_MANAGED: Responses = {
    403: {
        "description": "forbidden: a pool number is managed by the operator; an App manages "
        "its own numbers only."
    },
    **_NOT_FOUND,
}


async def _visible(request: Request, who: Principal, number_id: str) -> Number:
    """The number if this key may see it: the operator any, a tenant its own and the pool
    numbers, an App its own; else NotFound (another tenant's number is not disclosed)."""
    store = gateway_of(request).store
    number: Number | None
    if who.kind is KeyKind.OPERATOR:
        number = await store.numbers.any(number_id)
    elif who.kind is KeyKind.TENANT:
        assert who.tenant is not None
        number = await store.numbers.get(who.tenant.id, number_id)
    else:
        number = await store.numbers.any(number_id)
        if number is not None and number.app_id != who.app_id:
            number = None
    if number is None:
        raise NotFound(f"no number {number_id}")
    return number


async def _managed(request: Request, who: Principal, number_id: str) -> Number:
    """The number if this key may change it: the operator any; a tenant its own dedicated
    numbers; an App its own."""
    number = await _visible(request, who, number_id)
    if who.kind is not KeyKind.OPERATOR and number.kind == "pool":
        raise Forbidden(f"number {number_id} is a pool number: the operator manages it")
    return number


async def _owner(request: Request, body: NumberIn, who: Principal) -> tuple[str | None, str | None]:
    """(tenant, App) of a number being registered, checked against who registers it."""
    if body.kind == "pool":
        if who.kind is not KeyKind.OPERATOR:
            raise Forbidden("pool numbers are registered by the operator (op_live_… key)")
        if body.tenant_id or body.app_id:
            raise InvalidRequest("a pool number has no tenantId or appId: tenants activate it")
        return None, None
    if who.kind is KeyKind.APP:
        if body.tenant_id or (body.app_id and body.app_id != who.app_id):
            raise Forbidden("an App key registers numbers for its own App only")
        assert who.tenant is not None
        return who.tenant.id, who.app_id
    store = gateway_of(request).store
    tenant_id: str | None
    if who.kind is KeyKind.TENANT:
        assert who.tenant is not None
        if body.tenant_id and body.tenant_id != who.tenant.id:
            raise Forbidden("a tenant key registers numbers for its own tenant only")
        tenant_id = who.tenant.id
    else:
        tenant_id = body.tenant_id
    if body.app_id:
        app_tenant = await store.tenants.app_tenant(body.app_id)
        if app_tenant is None or (tenant_id is not None and app_tenant != tenant_id):
            raise NotFound(f"no app {body.app_id}")
        return app_tenant, body.app_id
    if tenant_id is None:
        raise InvalidRequest("a dedicated number needs tenantId or appId")
    if who.kind is KeyKind.OPERATOR and await store.tenants.get(tenant_id) is None:
        raise NotFound(f"no tenant {tenant_id}")
    return tenant_id, None


WhoDep = Annotated[Principal, Depends(any_key)]


def _sees(who: Principal, number: Number) -> bool:
    """Whether this key can already see ``number`` (so naming it in a refusal tells it
    nothing new): the operator every number, a tenant its own and the pool numbers, an App
    its own."""
    if who.kind is KeyKind.OPERATOR:
        return True
    if who.kind is KeyKind.APP:
        return number.app_id is not None and number.app_id == who.app_id
    assert who.tenant is not None
    return number.kind == "pool" or number.tenant_id == who.tenant.id


async def _taken(request: Request, who: Principal, phone_number_id: str) -> Number | None:
    """The live number with this phone-number id, if another key's; a clear 409 if this key
    can see it anyway."""
    store = gateway_of(request).store
    found = (await store.numbers.by_phone_number_ids([phone_number_id])).get(phone_number_id)
    if found is not None and _sees(who, found):
        raise Conflict(f"phone number id {phone_number_id} is already registered")
    return found


@router.post(
    "",
    operation_id="createNumber",
    status_code=201,
    response_model=NumberOut,
    response_model_by_alias=True,
    summary="Register a number",
    responses={
        400: {
            "description": "token_refused: Meta refused the access token (invalid or "
            "expired); invalid_request: a field is wrong."
        },
        403: {
            "description": "number_not_verified: the access token cannot read this phone "
            "number in this WABA through the Graph API, or the number is registered by "
            "someone else (one answer for both); forbidden: a pool number takes the "
            "operator's key, a tenant or App registers only its own dedicated numbers."
        },
        404: {"description": "not_found: no such tenant or App."},
        409: {"description": "conflict: this key's own number is already registered."},
        502: {
            "description": "graph_unavailable: the Graph API did not answer the ownership "
            "check; nothing was registered."
        },
    },
)
async def create_number(body: NumberIn, request: Request, who: WhoDep) -> NumberOut:
    """Register a WhatsApp number with its Cloud API connection, once its access token
    proves it: the token must read the phone-number node and find it among its WABA's
    phone numbers, through the given Graph API base URL. The secrets are stored encrypted
    and never shown again."""
    gateway = gateway_of(request)
    tenant_id, app_id = await _owner(request, body, who)
    number = Number(
        id=new_id("num"),
        tenant_id=tenant_id,
        app_id=app_id,
        display_name=body.display_name,
        kind=body.kind,
        phone_number_id=body.phone_number_id,
        waba_id=body.waba_id,
        display_phone_number=body.display_phone_number,
        access_token=body.access_token,
        app_secret=body.app_secret,
        verify_token=body.verify_token,
        graph_base_url=body.graph_api_base_url.rstrip("/"),
        created_at=gateway.clock(),
    )
    # Another key's number gets the refusal of a number the token cannot read, and only
    # after the proof: neither the answer nor its timing tells the two apart.
    taken = await _taken(request, who, number.phone_number_id)
    assert gateway.ownership is not None
    await gateway.ownership.prove(number)
    if taken is not None:
        raise not_verified(number)
    try:
        await gateway.store.numbers.create(number)
    except Duplicate as exc:  # registered meanwhile
        await _taken(request, who, number.phone_number_id)
        raise not_verified(number) from exc
    gateway.numbers.forget(number.phone_number_id)
    return number_out(number)


@router.get(
    "",
    operation_id="listNumbers",
    response_model=list[NumberOut],
    response_model_by_alias=True,
    summary="List numbers",
)
async def list_numbers(request: Request, who: WhoDep) -> list[NumberOut]:
    """The numbers this key sees, oldest first, without secrets: the operator every number,
    a tenant its own and the pool numbers, an App its own."""
    store = gateway_of(request).store
    if who.kind is KeyKind.OPERATOR:
        found = await store.numbers.all()
    elif who.kind is KeyKind.TENANT:
        assert who.tenant is not None
        found = await store.numbers.of_tenant(who.tenant.id)
    else:
        assert who.app_id is not None and who.tenant is not None
        # The window does not matter here: only the numbers are shown.
        of_app = await store.apps.numbers(who.tenant.id, who.app_id, window_s=0)
        found = [n.number for n in of_app]
    return [number_out(n) for n in found]


@router.get(
    "/{numberId}",
    operation_id="getNumber",
    response_model=NumberOut,
    response_model_by_alias=True,
    summary="Get a number",
    responses=_NOT_FOUND,
)
async def get_number(number_id: NumberId, request: Request, who: WhoDep) -> NumberOut:
    """One number by its id (`num_…`), without secrets."""
    return number_out(await _visible(request, who, number_id))


@router.patch(
    "/{numberId}",
    operation_id="updateNumber",
    response_model=NumberOut,
    response_model_by_alias=True,
    summary="Change a number",
    responses=_MANAGED,
)
async def update_number(
    number_id: NumberId, body: NumberPatch, request: Request, who: WhoDep
) -> NumberOut:
    """Change a number's display name or Cloud API connection (access token, app secret,
    verify token, Graph API base URL). A new token or URL makes the health unknown until
    the next check. The ingress uses the new app secret within seconds."""
    number = await _managed(request, who, number_id)
    given = body.model_fields_set
    for field in ("access_token", "app_secret", "verify_token", "graph_api_base_url"):
        if field in given and getattr(body, field) is None:
            raise InvalidRequest(f"{_camel(field)}: cannot be null")
    if not given:
        raise InvalidRequest("nothing to change: give displayName, accessToken, appSecret, "
                             "verifyToken or graphApiBaseUrl")  # fmt: skip
    changes = NumberChanges(
        display_name=body.display_name,
        set_display_name="display_name" in given,
        access_token=body.access_token,
        app_secret=body.app_secret,
        verify_token=body.verify_token,
        graph_base_url=body.graph_api_base_url.rstrip("/") if body.graph_api_base_url else None,
    )
    gateway = gateway_of(request)
    updated = await gateway.store.numbers.update(number.id, changes)
    gateway.numbers.forget(number.phone_number_id)
    if updated is None:
        raise NotFound(f"no number {number_id}")
    return number_out(updated)


def _camel(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(p.title() for p in rest)


@router.delete(
    "/{numberId}",
    operation_id="deleteNumber",
    response_model=NumberOut,
    response_model_by_alias=True,
    summary="Disconnect a number",
    responses=_MANAGED,
)
async def delete_number(number_id: NumberId, request: Request, who: WhoDep) -> NumberOut:
    """Disconnect a number: its notifications are ignored from now on (as an unknown
    number's), it is no longer listed, and its phone-number id may be registered again.
    Its conversations and deliveries stay. Answers the number as it was."""
    number = await _managed(request, who, number_id)
    gateway = gateway_of(request)
    if not await gateway.store.numbers.delete(number):
        raise NotFound(f"no number {number_id}")
    gateway.numbers.forget(number.phone_number_id)
    return number_out(number)


@router.post(
    "/{numberId}/health-check",
    operation_id="checkNumberHealth",
    response_model=NumberOut,
    response_model_by_alias=True,
    summary="Check a number's health now",
    responses=_MANAGED,
)
async def check_number_health(number_id: NumberId, request: Request, who: WhoDep) -> NumberOut:
    """Check the number's access token against the Graph API now (as the periodic check
    does) and answer the number with the result: healthy, degraded (a transient failure)
    or down (an invalid or expired token, or missing permissions)."""
    number = await _managed(request, who, number_id)
    checker = gateway_of(request).number_health
    assert checker is not None
    checked = await checker.check_now(number.id)
    if checked is None:
        raise NotFound(f"no number {number_id}")
    return number_out(checked)
