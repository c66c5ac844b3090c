"""The SSRF rulebook: every forbidden range named, its edges, and the allow-list."""

import ipaddress

import pytest

from wahooks.media.addresses import AddressPolicy, forbidden_reason, parse_address

FORBIDDEN = [
    ("0.0.0.0", '"this network"'),
    ("0.255.255.255", '"this network"'),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.1.1", "private"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.169.254", "link-local"),  # cloud metadata services live here
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.255", "carrier-grade NAT"),
    ("192.0.0.8", "IETF protocol assignments"),
    ("192.0.2.10", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.99", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking"),
    ("192.88.99.1", "6to4 relay anycast"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.254", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("::ffff:127.0.0.1", "IPv4-mapped (127.0.0.1, loopback)"),
    ("::ffff:10.1.2.3", "IPv4-mapped (10.1.2.3, private)"),
    ("::ffff:8.8.8.8", "IPv4-mapped (8.8.8.8)"),  # public inside, still not a v6 destination
    ("::127.0.0.1", "IPv4-compatible (deprecated)"),
    ("64:ff9b::7f00:1", "NAT64"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("100::1", "discard-only"),
    ("2001:db8::1", "documentation"),
    ("2001::1", "IETF protocol assignments"),  # Teredo
    ("2002:7f00:1::1", "6to4"),
    ("3fff::1", "documentation"),
    ("fc00::1", "unique-local"),
    ("fd12:3456:789a::1", "unique-local"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("febf:ffff::1", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),  # global-scope multicast: is_global would let it through
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "9.255.255.255",  # just below 10/8
    "11.0.0.0",  # just above 10/8
    "172.15.255.255",
    "172.32.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "169.253.255.255",
    "198.17.255.255",
    "198.20.0.0",
    "192.167.255.255",
    "192.169.0.0",
    "223.255.255.255",  # just below multicast
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
]


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
def test_forbidden_ranges_are_named(address: str, reason: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_unicast_passes(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None


def test_every_sample_is_refused_by_the_default_policy() -> None:
    policy = AddressPolicy()
    for address, reason in FORBIDDEN:
        assert policy.refusal(ipaddress.ip_address(address)) == reason
    for address in PUBLIC:
        assert policy.refusal(ipaddress.ip_address(address)) is None


def test_allow_list_opens_exactly_its_networks() -> None:
    policy = AddressPolicy.allowing(["127.0.0.1/32", "fd00::/8"])
    ip = ipaddress.ip_address
    assert policy.refusal(ip("127.0.0.1")) is None
    # The same host through a dual-stack socket is the same host.
    assert policy.refusal(ip("::ffff:127.0.0.1")) is None
    assert policy.refusal(ip("fd00::5")) is None
    assert policy.refusal(ip("127.0.0.2")) == "loopback"
    assert policy.refusal(ip("::1")) == "loopback"
    assert policy.refusal(ip("fc00::1")) == "unique-local"
    assert policy.refusal(ip("10.0.0.1")) == "private"
    # Host bits in a CIDR are tolerated, as in the setting's validator.
    assert AddressPolicy.allowing(["10.1.2.3/8"]).refusal(ip("10.200.0.1")) is None


@pytest.mark.parametrize(
    "text", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "017700000001", "localhost", ""]
)
def test_legacy_ipv4_spellings_are_not_addresses(text: str) -> None:
    # They must go through the resolver, whose real answer (127.0.0.1) is then checked.
    assert parse_address(text) is None


def test_canonical_addresses_parse() -> None:
    assert parse_address("127.0.0.1") == ipaddress.ip_address("127.0.0.1")
    assert parse_address("::ffff:7f00:1") == ipaddress.ip_address("::ffff:127.0.0.1")


def test_a_closed_policy_refuses_public_addresses_too() -> None:
    policy = AddressPolicy.allowing(["127.0.0.0/8"], public=False)
    ip = ipaddress.ip_address
    for address in PUBLIC:
        assert policy.refusal(ip(address)) == "public (outbound_allow_public is off)"
    assert policy.refusal(ip("127.0.0.1")) is None
    assert policy.refusal(ip("10.0.0.1")) == "private"
