"""API keys and who they belong to.

Three kinds, told apart by their prefix: ``op_live_`` (the operator), ``pk_live_`` (a tenant),
``ak_live_`` (one of a tenant's Apps); each is the prefix plus 32 random characters, shown
once, stored hashed. A key is found by its first 16 characters (unique, indexed) and checked
against a SHA-256 hash in constant time. SHA-256 rather than bcrypt: the keys carry ~190
random bits, so a slow hash buys nothing against guessing and would cost every request
milliseconds.
"""

import hashlib
import hmac
from typing import Annotated, NamedTuple

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from wahooks.errors import Forbidden, Unauthorized
from wahooks.ids import random_chars
from wahooks.models import KeyKind, Principal, Tenant
from wahooks.store import Store

KEY_PREFIXES: dict[KeyKind, str] = {
    KeyKind.OPERATOR: "op_live_",
    KeyKind.TENANT: "pk_live_",
    KeyKind.APP: "ak_live_",
}
TENANT_KEY_PREFIX = KEY_PREFIXES[KeyKind.TENANT]
KEY_RANDOM_CHARS = 32
LOOKUP_CHARS = 16

# auto_error off: a missing key is our own 401 with the error body, not FastAPI's 403.
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key: pk_live_… (tenant), ak_live_… (App) or op_live_… (operator).",
)


class NewKey(NamedTuple):
    key: str  # shown once
    prefix: str  # stored, for lookup and display
    key_hash: str  # stored


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(kind: KeyKind) -> NewKey:
    key = KEY_PREFIXES[kind] + random_chars(KEY_RANDOM_CHARS)
    return NewKey(key, key[:LOOKUP_CHARS], hash_key(key))


async def issue_tenant_key(store: Store, tenant_id: str) -> str:
    made = new_key(KeyKind.TENANT)
    await store.create_api_key(tenant_id, made.prefix, made.key_hash)
    return made.key


async def issue_operator_key(store: Store, label: str | None = None) -> str:
    made = new_key(KeyKind.OPERATOR)
    await store.create_operator_key(made.prefix, made.key_hash, label)
    return made.key


def key_kind(key: str) -> KeyKind | None:
    for kind, prefix in KEY_PREFIXES.items():
        if key.startswith(prefix) and len(key) == len(prefix) + KEY_RANDOM_CHARS:
            return kind
    return None


def _matches(stored_hash: str | None, key: str) -> bool:
    return stored_hash is not None and hmac.compare_digest(stored_hash, hash_key(key))


async def identify(store: Store, key: str | None) -> Principal:
    """Whose key this is; Unauthorized if it is missing, malformed, unknown or revoked."""
    if not key:
        raise Unauthorized("missing API key: send Authorization: Bearer pk_live_…")
    kind = key_kind(key)
    if kind is None:
        raise Unauthorized("malformed API key")
    prefix = key[:LOOKUP_CHARS]
    if kind is KeyKind.OPERATOR:
        if _matches(await store.find_operator_key(prefix), key):
            return Principal(kind=kind)
    elif kind is KeyKind.TENANT:
        found = await store.find_api_key(prefix)
        if found is not None and _matches(found[1], key):
            return Principal(kind=kind, tenant=found[0])
    else:
        app = await store.find_app_key(prefix)
        if app is not None and _matches(app[2], key):
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
