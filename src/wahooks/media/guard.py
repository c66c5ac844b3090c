"""The SSRF guard: aiohttp sessions that connect only to addresses the policy allows.

Two checks, both at the connection level, so every request and every redirect hop passes:

- ``GuardedResolver`` resolves a host name and refuses it if any address it resolves to is
  forbidden. aiohttp then connects to exactly those vetted addresses (it hands them to the
  socket as numbers): there is no second lookup, so no DNS-rebinding gap.
- ``socket_factory`` sees the numeric address of every socket aiohttp is about to connect,
  IP-literal hosts included (aiohttp skips the resolver for those), and refuses before the
  socket exists. Anything it cannot parse as an IP address is refused too.

Do not pass ``proxy=`` to a guarded session: the guard would vet the proxy, not the target.
"""

from __future__ import annotations

import socket
from typing import Any

import aiohttp
from aiohappyeyeballs import AddrInfoType, SocketFactoryType
from aiohttp.abc import AbstractResolver, ResolveResult

from wahooks.errors import WahooksError
from wahooks.media.addresses import AddressPolicy, parse_address


class ForbiddenAddress(WahooksError, aiohttp.ClientConnectionError):
    """An outbound connection the SSRF guard refused; nothing was sent to `address`.

    It is an ``aiohttp.ClientConnectionError`` so code that already treats connection errors
    as a failed attempt (webhook deliveries) does so here too; as a WahooksError the API
    answers it with 400 ``forbidden_address``.
    """

    code = "forbidden_address"

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(f"{host} resolves to {address}, a {reason} address: not allowed")
        self.host = host
        self.address = address
        self.reason = reason


def check_address(policy: AddressPolicy, host: str, address: str) -> None:
    """Raise ForbiddenAddress unless `policy` lets us connect to `address` (found for `host`)."""
    parsed = parse_address(address)
    if parsed is None:
        raise ForbiddenAddress(host, address, "non-canonical")
    reason = policy.refusal(parsed)
    if reason is not None:
        raise ForbiddenAddress(host, address, reason)


class GuardedResolver(AbstractResolver):
    """Resolves with `inner`, then vets each address.

    The default inner resolver is aiohttp's ThreadedResolver: the system's getaddrinfo, which
    holds no resources, so nothing needs closing when the connector goes away.
    All of a name's addresses must pass: a name mixing public and private addresses is
    refused outright, as a rebinding or split-horizon trick would look.
    """

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner if inner is not None else aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            check_address(self._policy, host, result["host"])
        return results

    async def close(self) -> None:
        await self._inner.close()


def guarded_socket_factory(policy: AddressPolicy) -> SocketFactoryType:
    """An aiohttp ``socket_factory`` that refuses forbidden addresses before creating a socket."""

    def create(addr_info: AddrInfoType) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        address = str(sockaddr[0])
        check_address(policy, address, address)
        return socket.socket(family=family, type=type_, proto=proto)

    return create


def guarded_connector(
    policy: AddressPolicy, *, resolver: AbstractResolver | None = None, **kwargs: Any
) -> aiohttp.TCPConnector:
    """A TCPConnector that only connects where `policy` allows; `kwargs` go to TCPConnector.

    `resolver` replaces aiohttp's default name resolution (its answers are still vetted).
    """
    return aiohttp.TCPConnector(
        resolver=GuardedResolver(policy, resolver),
        socket_factory=guarded_socket_factory(policy),
        **kwargs,
    )


def guarded_session(
    policy: AddressPolicy,
    *,
    resolver: AbstractResolver | None = None,
    connector_options: dict[str, Any] | None = None,
    **session_options: Any,
) -> aiohttp.ClientSession:
    """A ClientSession on a guarded connector.

    ``trust_env`` is off so HTTP(S)_PROXY variables cannot route around the guard.
    """
    connector = guarded_connector(policy, resolver=resolver, **(connector_options or {}))
    return aiohttp.ClientSession(connector=connector, trust_env=False, **session_options)
