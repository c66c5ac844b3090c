"""Dashboard sessions: the key a person signed in with, sealed into an HttpOnly cookie.

The cookie holds the key itself, encrypted and authenticated (Fernet) under a key derived
from the keyring's for this purpose alone (``Keyring.derive``), with its expiry and the
session's CSRF token. Nothing is kept server-side, and every request identifies the key again
exactly as the REST API does (``api.auth.identify``): a revoked key, or a deleted App, ends
every session made with it at the next click. The cookie is SameSite=Strict, HttpOnly, and
Secure when the page was reached over https.

A copied cookie works until it expires, as a copied key would until revoked: sign-out
clears it from the browser, and revoking the key is what ends it everywhere.
"""

import base64
import secrets
from dataclasses import dataclass

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from starlette.requests import HTTPConnection
from starlette.responses import Response

from wahooks.api.app_scope import tenant_or_own_app
from wahooks.api.auth import identify
from wahooks.errors import Unauthorized
from wahooks.gateway import gateway_of
from wahooks.models import KeyKind, Principal, Tenant
from wahooks.secrets import Keyring

COOKIE = "wahooks_session"
PURPOSE = "dashboard-sessions"
CSRF_BYTES = 24


class SignInRequired(Unauthorized):
    """No session, or one that expired or whose key no longer works: off to sign in."""


@dataclass(frozen=True, slots=True)
class Session:
    principal: Principal
    csrf: str  # what every form of this session carries (csrf.py)
    expires_at: float
    # The tenant as the API scopes it: an App key's is an AppTenant (its App's only).
    tenant: Tenant | None

    @property
    def kind(self) -> KeyKind:
        return self.principal.kind


@dataclass(frozen=True, slots=True)
class Sealed:
    key: str
    csrf: str
    expires_at: float


class SessionCodec:
    """Seals and opens session cookies; the first derived key seals, any opens (a cookie
    sealed before a key rotation works until its key is dropped)."""

    def __init__(self, keyring: Keyring, ttl_s: float) -> None:
        fernets = [
            Fernet(base64.urlsafe_b64encode(bytes.fromhex(k))) for k in keyring.derive(PURPOSE)
        ]
        self._fernet = MultiFernet(fernets)
        self.ttl_s = ttl_s

    def __repr__(self) -> str:
        return "SessionCodec()"

    def seal(self, key: str, now: float) -> tuple[str, Sealed]:
        sealed = Sealed(key, secrets.token_urlsafe(CSRF_BYTES), now + self.ttl_s)
        payload = orjson.dumps({"k": sealed.key, "c": sealed.csrf, "e": sealed.expires_at})
        return self._fernet.encrypt(payload).decode(), sealed

    def open(self, value: str, now: float) -> Sealed | None:
        """The sealed session, or None if forged, garbled or expired."""
        try:
            data = orjson.loads(self._fernet.decrypt(value.encode()))
            sealed = Sealed(str(data["k"]), str(data["c"]), float(data["e"]))
        except (InvalidToken, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None
        return sealed if now < sealed.expires_at else None


def codec_of(connection: HTTPConnection) -> SessionCodec:
    codec: SessionCodec = connection.app.state.sessions
    return codec


async def current_session(connection: HTTPConnection) -> Session:
    """The signed-in session of this request; SignInRequired when there is none (or its
    key was revoked since)."""
    value = connection.cookies.get(COOKIE)
    gateway = gateway_of(connection)
    sealed = codec_of(connection).open(value, gateway.clock()) if value else None
    if sealed is None:
        raise SignInRequired("sign in with a key")
    try:
        principal = await identify(gateway.store, sealed.key)
    except Unauthorized:
        raise SignInRequired("the key of this session is no longer valid") from None
    tenant = None if principal.kind is KeyKind.OPERATOR else await tenant_or_own_app(principal)
    return Session(principal, sealed.csrf, sealed.expires_at, tenant)


def set_session_cookie(response: Response, connection: HTTPConnection, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(codec_of(connection).ttl_s),
        path="/dashboard",
        httponly=True,
        samesite="strict",
        secure=connection.url.scheme == "https",
    )


def clear_session_cookie(response: Response, connection: HTTPConnection) -> None:
    response.delete_cookie(
        COOKIE,
        path="/dashboard",
        httponly=True,
        samesite="strict",
        secure=connection.url.scheme == "https",
    )
