"""/v1/tenants: the operator creates tenants (each with its first API key) and manages their
keys. Operator key (op_live_…) only."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from wahooks.accounts import create_tenant_with_key
from wahooks.api.auth import current_operator
from wahooks.api.base import ApiModel, HttpUrl, examples, iso
from wahooks.api.keys import (
    KeyId,
    KeyIn,
    KeyOut,
    NewKeyOut,
    issue_api_key,
    key_out,
    new_key_out,
    resource_id,
    revoke_api_key,
)
from wahooks.delivery.signing import new_secret
from wahooks.errors import InvalidRequest, NotFound
from wahooks.gateway import gateway_of
from wahooks.models import Principal, Tenant

Responses = dict[int | str, dict[str, Any]]
router = APIRouter(prefix="/v1/tenants", tags=["tenants"])
TenantId = Annotated[str, resource_id("tenantId")]

OperatorDep = Annotated[Principal, Depends(current_operator)]
_OPERATOR_KEY: Responses = {
    403: {"description": "forbidden: this takes the operator's key (op_live_…)."}
}
_NO_TENANT: Responses = {404: {"description": "not_found: no such tenant."}}


class TenantIn(ApiModel):
    model_config = ApiModel.model_config | examples({"name": "Acme Corp", "keyLabel": "production"})

    name: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="The customer's name, for people."
    )
    key_label: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        None, description="Label of the tenant's first API key."
    )


class TenantOut(ApiModel):
    id: str
    name: str
    created_at: str | None
    alert_email: str | None = Field(
        None,
        description="Where the tenant's alert e-mails go (a destination failing or "
        "disabled, a number down).",
    )
    alert_webhook_url: str | None = Field(
        None, description="Where the tenant's alert webhooks go (signed JSON POSTs)."
    )


EMAIL = r"^[^@\s,;<>]+@[^@\s,;<>]+$"


class TenantPatch(ApiModel):
    """Fields to change; those left out stay as they are."""

    model_config = ApiModel.model_config | examples(
        {"alertEmail": "ops@acme.example", "alertWebhookUrl": "https://acme.example/alerts"}
    )

    alert_email: Annotated[str, Field(max_length=254, pattern=EMAIL)] | None = Field(
        None,
        description="Where the tenant's alert e-mails go; null: none (the operator's "
        "addresses, WAHOOKS_ALERT_OPERATOR_EMAILS, are told in any case).",
    )
    alert_webhook_url: Annotated[HttpUrl, Field(max_length=2048)] | None = Field(
        None,
        description="Where the tenant's alerts are POSTed as signed JSON (the same context "
        "as the e-mails); setting it answers a new signing secret, once; null: none.",
    )


class PatchedTenantOut(TenantOut):
    alert_webhook_secret: str | None = Field(
        None,
        description="The secret that signs the alert webhooks (Standard Webhooks, as "
        "deliveries): in the answer that set alertWebhookUrl only.",
    )


class NewTenantOut(TenantOut):
    api_key: NewKeyOut = Field(description="The tenant's first key, shown this once.")


def _out(tenant: Tenant) -> TenantOut:
    return TenantOut(
        id=tenant.id,
        name=tenant.name,
        created_at=iso(tenant.created_at),
        alert_email=tenant.alert_email,
        alert_webhook_url=tenant.alert_webhook_url,
    )


async def _tenant(request: Request, tenant_id: str) -> Tenant:
    tenant = await gateway_of(request).store.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"no tenant {tenant_id}")
    return tenant


@router.post(
    "",
    operation_id="createTenant",
    status_code=201,
    response_model=NewTenantOut,
    response_model_by_alias=True,
    summary="Create a tenant",
    responses=_OPERATOR_KEY,
)
async def create_tenant(body: TenantIn, request: Request, _: OperatorDep) -> NewTenantOut:
    """A new tenant with its first `pk_live_…` key; the key is in this answer only."""
    tenant, issued = await create_tenant_with_key(
        gateway_of(request).store, body.name, body.key_label
    )
    return NewTenantOut(api_key=new_key_out(issued.record, issued.key), **_out(tenant).model_dump())


@router.get(
    "",
    operation_id="listTenants",
    response_model=list[TenantOut],
    response_model_by_alias=True,
    summary="List tenants",
    responses=_OPERATOR_KEY,
)
async def list_tenants(request: Request, _: OperatorDep) -> list[TenantOut]:
    """Every tenant, oldest first."""
    return [_out(t) for t in await gateway_of(request).store.tenants.all()]


@router.get(
    "/{tenantId}",
    operation_id="getTenant",
    response_model=TenantOut,
    response_model_by_alias=True,
    summary="Get a tenant",
    responses={**_OPERATOR_KEY, **_NO_TENANT},
)
async def get_tenant(tenant_id: TenantId, request: Request, _: OperatorDep) -> TenantOut:
    """One tenant by its id (`ten_…`)."""
    return _out(await _tenant(request, tenant_id))


@router.post(
    "/{tenantId}/keys",
    operation_id="createTenantKey",
    status_code=201,
    response_model=NewKeyOut,
    response_model_by_alias=True,
    summary="Create a tenant's API key",
    responses={**_OPERATOR_KEY, **_NO_TENANT},
)
async def create_tenant_key(
    tenant_id: TenantId, body: KeyIn, request: Request, _: OperatorDep
) -> NewKeyOut:
    """A new `pk_live_…` key for this tenant (e.g. one that lost its keys); shown once."""
    await _tenant(request, tenant_id)
    return await issue_api_key(request, tenant_id, body.label)


@router.get(
    "/{tenantId}/keys",
    operation_id="listTenantKeys",
    response_model=list[KeyOut],
    response_model_by_alias=True,
    summary="List a tenant's API keys",
    responses={**_OPERATOR_KEY, **_NO_TENANT},
)
async def list_tenant_keys(tenant_id: TenantId, request: Request, _: OperatorDep) -> list[KeyOut]:
    """The tenant's keys, revoked ones included; never the keys themselves."""
    await _tenant(request, tenant_id)
    return [key_out(k) for k in await gateway_of(request).store.tenants.api_keys(tenant_id)]


@router.delete(
    "/{tenantId}/keys/{keyId}",
    operation_id="revokeTenantKey",
    response_model=KeyOut,
    response_model_by_alias=True,
    summary="Revoke a tenant's API key",
    responses={
        **_OPERATOR_KEY,
        404: {"description": "not_found: no such tenant, or no such key of it."},
    },
)
async def revoke_tenant_key(
    tenant_id: TenantId, key_id: KeyId, request: Request, _: OperatorDep
) -> KeyOut:
    """Revoke one of the tenant's keys, even its last one (the operator can issue another):
    its next request is refused (401)."""
    await _tenant(request, tenant_id)
    return await revoke_api_key(request, tenant_id, key_id, keep_one=False)


@router.patch(
    "/{tenantId}",
    operation_id="updateTenant",
    response_model=PatchedTenantOut,
    response_model_by_alias=True,
    summary="Update a tenant",
    responses={
        **_OPERATOR_KEY,
        **_NO_TENANT,
        400: {"description": "invalid_request: nothing to change, or a field is wrong."},
    },
)
async def update_tenant(
    tenant_id: TenantId, body: TenantPatch, request: Request, _: OperatorDep
) -> PatchedTenantOut:
    """Set (or clear, with null) the tenant's alert e-mail address and alert webhook. A
    webhook URL set gets a new signing secret, answered this once."""
    store = gateway_of(request).store
    given = body.model_fields_set
    if not given:
        raise InvalidRequest("nothing to change: give alertEmail or alertWebhookUrl")
    await _tenant(request, tenant_id)
    if "alert_email" in given and not await store.alerts.set_tenant_email(
        tenant_id, body.alert_email
    ):
        raise NotFound(f"no tenant {tenant_id}")
    secret: str | None = None
    if "alert_webhook_url" in given:
        url = body.alert_webhook_url
        secret = new_secret() if url is not None else None
        if not await store.alerts.set_tenant_webhook(tenant_id, url, secret):
            raise NotFound(f"no tenant {tenant_id}")
    tenant = await _tenant(request, tenant_id)
    return PatchedTenantOut(alert_webhook_secret=secret, **_out(tenant).model_dump())
