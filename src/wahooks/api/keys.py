"""API keys: a tenant's own keys (/v1/keys, tenant key) and the operator's keys
(/v1/operator/keys, operator key).

A key is shown once, when it is created; lists show its id, its first characters (to tell
keys apart), label and times, never the key or its hash. A revoked key is refused (401) from
its next request on.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field

from wahooks.accounts import issue_operator_key, issue_tenant_key
from wahooks.api.auth import current_operator, current_tenant
from wahooks.api.base import ApiModel, examples, iso
from wahooks.errors import Conflict, LastKey, NotFound
from wahooks.gateway import gateway_of
from wahooks.models import KeyRecord, Principal, Tenant

Responses = dict[int | str, dict[str, Any]]
router = APIRouter(tags=["keys"])

Label = Annotated[str, Field(min_length=1, max_length=200)]


def resource_id(alias: str) -> Any:
    """An id in a path (ten_…, key_…, opk_…, num_…), named ``alias`` in the URL: camelCase,
    as every path parameter of the API. Anything but a plain id is a 400, before the
    database."""
    return Path(
        alias=alias, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$", description="An id."
    )


KeyId = Annotated[str, resource_id("keyId")]


class KeyIn(ApiModel):
    model_config = ApiModel.model_config | examples({"label": "ci-deploy"})

    label: Label | None = Field(None, description="A name for people, e.g. where it is used.")


class KeyOut(ApiModel):
    id: str
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    label: str | None
    created_at: str | None
    revoked_at: str | None = Field(description="When it was revoked; null while it is live.")


class NewKeyOut(KeyOut):
    key: str = Field(description="The key itself. Shown this once: store it now.")


def key_out(record: KeyRecord) -> KeyOut:
    return KeyOut(
        id=record.id,
        prefix=record.prefix,
        label=record.label,
        created_at=iso(record.created_at),
        revoked_at=iso(record.revoked_at),
    )


def new_key_out(record: KeyRecord, key: str) -> NewKeyOut:
    return NewKeyOut(key=key, **key_out(record).model_dump())


async def issue_api_key(request: Request, tenant_id: str, label: str | None) -> NewKeyOut:
    issued = await issue_tenant_key(gateway_of(request).store, tenant_id, label)
    return new_key_out(issued.record, issued.key)


async def revoke_api_key(
    request: Request, tenant_id: str, key_id: str, *, keep_one: bool
) -> KeyOut:
    try:
        record = await gateway_of(request).store.tenants.revoke_api_key(
            tenant_id, key_id, keep_one=keep_one
        )
    except LastKey as exc:
        raise Conflict(f"key {key_id} is the tenant's last live key: create another first") from exc
    if record is None:
        raise NotFound(f"no key {key_id}")
    return key_out(record)


TenantDep = Annotated[Tenant, Depends(current_tenant)]
OperatorDep = Annotated[Principal, Depends(current_operator)]
_TENANT_KEY: Responses = {403: {"description": "forbidden: this takes a tenant key (pk_live_…)."}}
_OPERATOR_KEY: Responses = {
    403: {"description": "forbidden: this takes the operator's key (op_live_…)."}
}


# --- a tenant's own keys -----------------------------------------------------------------


@router.post(
    "/v1/keys",
    operation_id="createKey",
    status_code=201,
    response_model=NewKeyOut,
    response_model_by_alias=True,
    summary="Create an API key",
    responses=_TENANT_KEY,
)
async def create_key(body: KeyIn, request: Request, tenant: TenantDep) -> NewKeyOut:
    """A new `pk_live_…` key of this tenant. The key is in this answer only."""
    return await issue_api_key(request, tenant.id, body.label)


@router.get(
    "/v1/keys",
    operation_id="listKeys",
    response_model=list[KeyOut],
    response_model_by_alias=True,
    summary="List API keys",
    responses=_TENANT_KEY,
)
async def list_keys(request: Request, tenant: TenantDep) -> list[KeyOut]:
    """This tenant's keys, revoked ones included, oldest first; never the keys themselves."""
    return [key_out(k) for k in await gateway_of(request).store.tenants.api_keys(tenant.id)]


@router.delete(
    "/v1/keys/{keyId}",
    operation_id="revokeKey",
    response_model=KeyOut,
    response_model_by_alias=True,
    summary="Revoke an API key",
    responses={
        **_TENANT_KEY,
        404: {"description": "not_found: no such key of this tenant."},
        409: {"description": "conflict: it is the tenant's last live key."},
    },
)
async def revoke_key(key_id: KeyId, request: Request, tenant: TenantDep) -> KeyOut:
    """Revoke a key: its next request is refused (401). Revoking a revoked key answers it
    as it is. The last live key is kept (409), so the tenant keeps a way in."""
    return await revoke_api_key(request, tenant.id, key_id, keep_one=True)


# --- the operator's keys -----------------------------------------------------------------


@router.post(
    "/v1/operator/keys",
    operation_id="createOperatorKey",
    status_code=201,
    response_model=NewKeyOut,
    response_model_by_alias=True,
    summary="Create an operator key",
    responses=_OPERATOR_KEY,
)
async def create_operator_key(body: KeyIn, request: Request, _: OperatorDep) -> NewKeyOut:
    """A new `op_live_…` key. The key is in this answer only."""
    issued = await issue_operator_key(gateway_of(request).store, body.label)
    return new_key_out(issued.record, issued.key)


@router.get(
    "/v1/operator/keys",
    operation_id="listOperatorKeys",
    response_model=list[KeyOut],
    response_model_by_alias=True,
    summary="List operator keys",
    responses=_OPERATOR_KEY,
)
async def list_operator_keys(request: Request, _: OperatorDep) -> list[KeyOut]:
    """Every operator key, revoked ones included, oldest first; never the keys themselves."""
    return [key_out(k) for k in await gateway_of(request).store.tenants.operator_keys()]


@router.delete(
    "/v1/operator/keys/{keyId}",
    operation_id="revokeOperatorKey",
    response_model=KeyOut,
    response_model_by_alias=True,
    summary="Revoke an operator key",
    responses={
        **_OPERATOR_KEY,
        404: {"description": "not_found: no such operator key."},
        409: {"description": "conflict: it is the last live operator key."},
    },
)
async def revoke_operator_key(key_id: KeyId, request: Request, _: OperatorDep) -> KeyOut:
    """Revoke an operator key: its next request is refused (401). The last live operator
    key cannot be revoked (409): the operator would lock itself out."""
    try:
        record = await gateway_of(request).store.tenants.revoke_operator_key(key_id)
    except LastKey as exc:
        raise Conflict(
            f"operator key {key_id} is the last live one: create another first, or the "
            "operator is locked out"
        ) from exc
    if record is None:
        raise NotFound(f"no operator key {key_id}")
    return key_out(record)
