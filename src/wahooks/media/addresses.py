"""Which IP addresses outbound requests must never reach (pure; the SSRF guard's rulebook).

A URL given by a customer (a media link, a webhook destination, a number's Graph base URL)
could otherwise make the gateway talk to its own host, the private network around it or a
cloud metadata service. Everything that is not ordinary public unicast is refused.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _nets(*pairs: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(cidr), why) for cidr, why in pairs)


# Checked in order, so the most specific name wins (broadcast before reserved 240/4).
_V4_FORBIDDEN = _nets(
    ("255.255.255.255/32", "broadcast"),
    ("0.0.0.0/8", '"this network"'),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
)
_V6_FORBIDDEN = _nets(
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::ffff:0:0/96", "IPv4-mapped"),
    ("::/96", "IPv4-compatible (deprecated)"),
    ("64:ff9b::/96", "NAT64"),
    ("64:ff9b:1::/48", "local-use NAT64"),
    ("100::/64", "discard-only"),
    ("2001:db8::/32", "documentation"),
    ("2001::/23", "IETF protocol assignments"),
    ("2002::/16", "6to4"),
    ("3fff::/20", "documentation"),
    ("fc00::/7", "unique-local"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
)


def forbidden_reason(address: IPAddress) -> str | None:
    """Why `address` must not be connected to, or None for ordinary public unicast."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # ::ffff:a.b.c.d reaches a.b.c.d through a dual-stack socket: name what it embeds.
        inner = forbidden_reason(address.ipv4_mapped)
        return f"IPv4-mapped ({address.ipv4_mapped}{', ' + inner if inner else ''})"
    table = _V4_FORBIDDEN if isinstance(address, ipaddress.IPv4Address) else _V6_FORBIDDEN
    for network, why in table:
        if address in network:
            return why
    # The tables above name every range we know of; this catches any the IANA registry
    # (as Python's ipaddress knows it) adds later.
    if not address.is_global:
        return "not globally routable"
    return None


def parse_address(text: str) -> IPAddress | None:
    """An IP address in its canonical text form (IPv6 zone allowed), or None.

    Legacy IPv4 spellings (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``) are
    not addresses here: the resolver turns them into real ones, which are then checked.
    """
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Forbidden ranges minus an explicit allow-list (development and tests only); with
    ``public`` off, public addresses are forbidden too (a closed network)."""

    allow: tuple[IPNetwork, ...] = ()
    public: bool = True

    @classmethod
    def allowing(cls, cidrs: Iterable[str], *, public: bool = True) -> AddressPolicy:
        """From CIDR strings, e.g. ``Settings.outbound_allow_networks``."""
        return cls(tuple(ipaddress.ip_network(c, strict=False) for c in cidrs), public)

    def refusal(self, address: IPAddress) -> str | None:
        """Why this policy refuses `address`, or None when it may be connected to."""
        reason = forbidden_reason(address)
        if reason is None and not self.public:
            reason = "public (outbound_allow_public is off)"
        if reason is None or self._allowed(address):
            return None
        return reason

    def _allowed(self, address: IPAddress) -> bool:
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(a.version == net.version and a in net for a in candidates for net in self.allow)


LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1/128")
"""The allow-list the demo, tests and benchmarks use: everything they run is on this machine."""
