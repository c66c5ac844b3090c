"""The SSRF guard over real TCP on loopback: reached when allow-listed, refused otherwise,
and every refusal comes before a connection is made (the servers count their accepts)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from wahooks.api.errors import status_of
from wahooks.errors import WahooksError
from wahooks.media.addresses import AddressPolicy
from wahooks.media.guard import ForbiddenAddress, GuardedResolver, guarded_session

from .helpers import FixedResolver, counting_server, ipv6_loopback_available, redirect_to

LOCAL_ONLY = AddressPolicy.allowing(["127.0.0.1/32"])
needs_ipv6 = pytest.mark.skipif(not ipv6_loopback_available(), reason="no IPv6 loopback")


async def get(policy: AddressPolicy, url: str, resolver: FixedResolver | None = None) -> int:
    async with (
        guarded_session(policy, resolver=resolver) as session,
        session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response,
    ):
        await response.read()
        return response.status


async def test_allow_listed_loopback_is_reached() -> None:
    async with counting_server("127.0.0.1") as server:
        assert await get(LOCAL_ONLY, server.url) == 200
        assert server.connections == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "0x7f000001", "[::ffff:127.0.0.1]"])
async def test_loopback_forms_are_refused_without_the_allow_list(host: str) -> None:
    async with counting_server("127.0.0.1") as server:
        with pytest.raises(ForbiddenAddress) as refused:
            await get(AddressPolicy(), f"http://{host}:{server.port}/")
        assert server.connections == 0
    assert refused.value.reason in ("loopback", "IPv4-mapped (127.0.0.1, loopback)")
    assert refused.value.address in ("127.0.0.1", "::ffff:7f00:1")


@pytest.mark.parametrize("host", ["2130706433", "0177.0.0.1", "127.1", "017700000001"])
async def test_legacy_numeric_ipv4_is_refused(host: str) -> None:
    # Recent aiohttp refuses these spellings itself before resolving; older versions
    # resolve them like getaddrinfo does, and then the guard sees 127.0.0.1.
    async with counting_server("127.0.0.1") as server:
        with pytest.raises((ForbiddenAddress, aiohttp.InvalidUrlClientError)):
            await get(AddressPolicy(), f"http://{host}:{server.port}/")
        assert server.connections == 0


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1"])
async def test_resolver_catches_legacy_spellings_by_their_real_address(host: str) -> None:
    # Independently of aiohttp's own check: the system resolver turns them into 127.0.0.1,
    # which the guarded resolver refuses (an allow-listed 127.0.0.1 shows it is that address).
    with pytest.raises(ForbiddenAddress, match=r"127\.0\.0\.1") as refused:
        await GuardedResolver(AddressPolicy()).resolve(host, 80)
    assert refused.value.host == host and refused.value.reason == "loopback"
    answers = await GuardedResolver(LOCAL_ONLY).resolve(host, 80)
    assert [a["host"] for a in answers] == ["127.0.0.1"]


@needs_ipv6
async def test_ipv6_loopback_is_refused() -> None:
    async with counting_server("::1") as server:
        with pytest.raises(ForbiddenAddress, match="loopback"):
            await get(LOCAL_ONLY, server.url)
        assert server.connections == 0
        # Control: the same server is reachable once allow-listed.
        assert await get(AddressPolicy.allowing(["::1/128"]), server.url) == 200
        assert server.connections == 1


async def test_a_name_resolving_to_a_forbidden_address_is_refused() -> None:
    resolver = FixedResolver({"intranet.example": [["127.0.0.2"]]})
    async with counting_server("127.0.0.2") as server:
        url = f"http://intranet.example:{server.port}/"
        with pytest.raises(ForbiddenAddress) as refused:
            await get(LOCAL_ONLY, url, resolver)
        assert server.connections == 0
        assert refused.value.host == "intranet.example"
        assert str(refused.value) == (
            "intranet.example resolves to 127.0.0.2, a loopback address: not allowed"
        )
        # Control: allow-listed, the name reaches the very same server.
        assert await get(AddressPolicy.allowing(["127.0.0.2/32"]), url, resolver) == 200
        assert server.connections == 1


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (["10.0.0.7"], "private"),
        (["172.20.1.1"], "private"),
        (["192.168.0.10"], "private"),
        (["169.254.169.254"], "link-local"),
        (["100.100.100.200"], "carrier-grade NAT"),
        (["fd00::1"], "unique-local"),
        (["fe80::1"], "link-local"),
        (["64:ff9b::a00:1"], "NAT64"),
        # One bad address among good ones spoils the name: that is how rebinding looks.
        (["93.184.216.34", "10.0.0.1"], "private"),
    ],
)
async def test_names_resolving_to_private_networks_are_refused(
    answer: list[str], reason: str
) -> None:
    # Straight against the resolver: these addresses are never to be connected to, not even
    # by a test, so no session is involved.
    resolver = GuardedResolver(LOCAL_ONLY, FixedResolver({"internal.example": [answer]}))
    with pytest.raises(ForbiddenAddress) as refused:
        await resolver.resolve("internal.example", 443)
    assert refused.value.reason == reason


async def test_public_answers_pass_the_resolver() -> None:
    answer = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    resolver = GuardedResolver(AddressPolicy(), FixedResolver({"example.com": [answer]}))
    assert [a["host"] for a in await resolver.resolve("example.com", 443)] == answer


async def test_one_lookup_per_connection_and_the_vetted_address_is_used() -> None:
    # A rebinding name: vetted answer first, a different one on any later lookup.
    resolver = FixedResolver({"rebind.example": [["127.0.0.1"], ["127.0.0.2"]]})
    async with counting_server("127.0.0.1") as good, counting_server("127.0.0.2") as other:
        assert good.port != 0
        url = f"http://rebind.example:{good.port}/"
        assert await get(LOCAL_ONLY, url, resolver) == 200
        assert resolver.lookups == {"rebind.example": 1}
        assert (good.connections, other.connections) == (1, 0)


async def test_redirect_to_a_forbidden_address_is_refused_on_that_hop() -> None:
    async with counting_server("127.0.0.2") as target:
        async with counting_server("127.0.0.1", redirect_to(target.url)) as start:
            with pytest.raises(ForbiddenAddress, match=r"127\.0\.0\.2"):
                await get(LOCAL_ONLY, start.url)
            assert (start.connections, target.connections) == (1, 0)
            # Control: with the target allow-listed too, the same redirect is followed.
            both = AddressPolicy.allowing(["127.0.0.1/32", "127.0.0.2/32"])
            assert await get(both, start.url) == 200
            assert (start.connections, target.connections) == (2, 1)


async def test_redirect_to_a_name_of_a_forbidden_address_is_refused() -> None:
    resolver = FixedResolver({"inside.example": [["127.0.0.2"]]})
    async with counting_server("127.0.0.2") as target:
        location = f"http://inside.example:{target.port}/"
        async with counting_server("127.0.0.1", redirect_to(location)) as start:
            with pytest.raises(ForbiddenAddress, match=r"inside\.example"):
                await get(LOCAL_ONLY, start.url, resolver)
            assert (start.connections, target.connections) == (1, 0)


@needs_ipv6
async def test_redirect_to_ipv6_loopback_is_refused() -> None:
    async with counting_server("::1") as target:
        async with counting_server("127.0.0.1", redirect_to(target.url)) as start:
            with pytest.raises(ForbiddenAddress, match="::1"):
                await get(LOCAL_ONLY, start.url)
            assert (start.connections, target.connections) == (1, 0)


async def test_proxy_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy would be the one connecting to the target, out of the guard's sight.
    async with counting_server("127.0.0.1") as proxy, counting_server("127.0.0.1") as server:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("http_proxy", proxy.url)
        assert await get(LOCAL_ONLY, server.url) == 200
        assert (proxy.connections, server.connections) == (0, 1)


async def test_refusal_is_a_connection_error_and_a_400() -> None:
    # Webhook senders already count aiohttp connection errors as a failed attempt; the API
    # renders WahooksErrors.
    error = ForbiddenAddress("h", "10.0.0.1", "private")
    assert isinstance(error, aiohttp.ClientConnectionError)
    assert isinstance(error, WahooksError)
    assert (status_of(error), error.code) == (400, "forbidden_address")


async def test_many_refusals_leave_nothing_open() -> None:
    async with counting_server("127.0.0.1") as server:
        async with guarded_session(AddressPolicy()) as session:
            for _ in range(50):
                with pytest.raises(ForbiddenAddress):
                    async with session.get(server.url):
                        pass
        assert server.connections == 0
    await asyncio.sleep(0)
