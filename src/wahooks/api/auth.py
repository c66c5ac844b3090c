"""Whose key a request carries: the key resolved into a Principal, and the FastAPI
dependencies that require one kind or another.

The key format, its hashing and issuing are below the web layer (keys.py, accounts.py), so
the CLI and the demo make keys without importing the API.
"""

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from wahooks.errors import Forbidden, Unauthorized
from wahooks.keys import KEY_PREFIXES, key_kind, key_matches, lookup_prefix
from wahooks.logs import bind
from wahooks.models import KeyKind, Principal, Tenant
from wahooks.store import Store

# auto_error off: a missing key is our own 401 with the error body, not FastAPI's 403.
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key: pk_live_… (tenant), ak_live_… (App) or op_live_… (operator).",
)


async def identify(store: Store, key: str | None) -> Principal:
    """Whose key this is; Unauthorized if it is missing, malformed, unknown or revoked."""
    if not key:
        raise Unauthorized("missing API key: send Authorization: Bearer pk_live_…")
    kind = key_kind(key)
    if kind is None:
        raise Unauthorized("malformed API key")
    prefix = lookup_prefix(key)
    if kind is KeyKind.OPERATOR:
        if key_matches(await store.tenants.find_operator_key(prefix), key):
            return Principal(kind=kind)
    elif kind is KeyKind.TENANT:
        found = await store.tenants.find_api_key(prefix)
        if found is not None and key_matches(found[1], key):
            bind(tenant_id=found[0].id)  # on every line logged for this request
            return Principal(kind=kind, tenant=found[0])
    else:
        app = await store.tenants.find_app_key(prefix)
        if app is not None and key_matches(app[2], key):
            bind(tenant_id=app[0].id, app_id=app[1])
            return Principal(kind=kind, tenant=app[0], app_id=app[1])
    raise Unauthorized("unknown or revoked API key")


async def authenticate(store: Store, key: str | None) -> Tenant:
    """A tenant key's tenant (the WebSocket and most of /v1 take tenant keys)."""
    principal = await identify(store, key)
    if principal.kind is not KeyKind.TENANT or principal.tenant is None:
        raise Forbidden(
            f"this endpoint takes a tenant key (pk_live_…), not an {principal.kind} key"
        )
    return principal.tenant


async def _principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Principal:
    """Taking ``bearer`` through ``Security`` puts the scheme on every operation whose
    dependencies reach this one, in the OpenAPI document."""
    store: Store = request.app.state.gateway.store
    return await identify(store, credentials.credentials if credentials else None)


PrincipalDep = Annotated[Principal, Depends(_principal)]


def _require(principal: Principal, *kinds: KeyKind) -> Principal:
    if principal.kind not in kinds:
        wanted = " or ".join(f"{k.value} ({KEY_PREFIXES[k]}…)" for k in kinds)
        raise Forbidden(f"this endpoint takes an {wanted} key, not an {principal.kind.value} key")
    return principal


async def current_tenant(principal: PrincipalDep) -> Tenant:
    """FastAPI dependency: the tenant whose pk_live_ key made this request."""
    principal = _require(principal, KeyKind.TENANT)
    assert principal.tenant is not None
    return principal.tenant


async def current_operator(principal: PrincipalDep) -> Principal:
    """FastAPI dependency: the request was made with an operator key."""
    return _require(principal, KeyKind.OPERATOR)


async def current_app(principal: PrincipalDep) -> Principal:
    """FastAPI dependency: an App key's principal (tenant and app_id set)."""
    return _require(principal, KeyKind.APP)


async def tenant_or_app(principal: PrincipalDep) -> Principal:
    """FastAPI dependency for endpoints both tenants and Apps call (sends, media)."""
    return _require(principal, KeyKind.TENANT, KeyKind.APP)


async def any_key(principal: PrincipalDep) -> Principal:
    """FastAPI dependency for endpoints the operator may call as well (numbers)."""
    return principal
