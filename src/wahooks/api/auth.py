"""Tenant API keys: ``pk_live_`` + 32 random characters, shown once, stored hashed.

A key is found by its first 16 characters (unique, indexed) and checked against a SHA-256
hash in constant time. SHA-256 rather than bcrypt: the keys carry ~190 random bits, so a
slow hash buys nothing against guessing and would cost every request milliseconds.
"""

import hashlib
import hmac
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from wahooks.errors import Unauthorized
from wahooks.ids import random_chars
from wahooks.models import Tenant
from wahooks.store import Store

TENANT_KEY_PREFIX = "pk_live_"
KEY_RANDOM_CHARS = 32
LOOKUP_CHARS = 16

# auto_error off: a missing key is our own 401 with the error body, not FastAPI's 403.
bearer = HTTPBearer(
    auto_error=False, scheme_name="tenantKey", description="A tenant API key: pk_live_…"
)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def issue_tenant_key(store: Store, tenant_id: str) -> str:
    key = TENANT_KEY_PREFIX + random_chars(KEY_RANDOM_CHARS)
    await store.create_api_key(tenant_id, key[:LOOKUP_CHARS], hash_key(key))
    return key


async def authenticate(store: Store, key: str | None) -> Tenant:
    if not key:
        raise Unauthorized("missing API key: send Authorization: Bearer pk_live_…")
    if not key.startswith(TENANT_KEY_PREFIX) or len(key) != len(TENANT_KEY_PREFIX) + 32:
        raise Unauthorized("malformed API key")
    found = await store.find_api_key(key[:LOOKUP_CHARS])
    if found is None or not hmac.compare_digest(found[1], hash_key(key)):
        raise Unauthorized("unknown or revoked API key")
    return found[0]


async def current_tenant(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Tenant:
    """FastAPI dependency: the tenant whose Bearer key made this request.

    Taking ``bearer`` through ``Security`` puts the scheme on every operation that uses this
    dependency in the OpenAPI document."""
    store: Store = request.app.state.gateway.store
    return await authenticate(store, credentials.credentials if credentials else None)
