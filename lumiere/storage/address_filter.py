"""Which IP addresses a user's database connection may go to: a pure decision, no I/O.

Python's `is_global` changes between versions and misses cases (`192.0.0.0/24`, NAT64), so the
refused ranges are an explicit table. IPv6 forms that carry an IPv4 address (IPv4-mapped,
IPv4-compatible, SIIT, 6to4, Teredo, NAT64) are unwrapped and the IPv4 address inside is checked
too, since a gateway on the path would deliver the connection there.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class RefusedRange:
    network: IPNetwork
    label: str


def _ranges(*rows: tuple[str, str]) -> tuple[RefusedRange, ...]:
    return tuple(RefusedRange(ipaddress.ip_network(network), label) for network, label in rows)


# Most specific first: the first match names the reason.
REFUSED_IPV4 = _ranges(
    ("255.255.255.255/32", "broadcast"),
    ("0.0.0.0/8", "'this network' (0.0.0.0/8)"),
    ("10.0.0.0/8", "private (10.0.0.0/8)"),
    ("100.64.0.0/10", "carrier-grade NAT (100.64.0.0/10)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private (172.16.0.0/12)"),
    ("192.0.0.0/24", "IETF protocol assignment (192.0.0.0/24)"),
    ("192.0.2.0/24", "documentation (TEST-NET-1)"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.168.0.0/16", "private (192.168.0.0/16)"),
    ("198.18.0.0/15", "benchmarking (198.18.0.0/15)"),
    ("198.51.100.0/24", "documentation (TEST-NET-2)"),
    ("203.0.113.0/24", "documentation (TEST-NET-3)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved (240.0.0.0/4)"),
)
REFUSED_IPV6 = _ranges(
    ("::/128", "unspecified (::)"),
    ("::1/128", "loopback (::1)"),
    ("64:ff9b:1::/48", "local-use NAT64 (64:ff9b:1::/48)"),
    ("100::/64", "discard-only (100::/64)"),
    ("2001:2::/48", "benchmarking (2001:2::/48)"),
    ("2001:10::/28", "ORCHID (2001:10::/28)"),
    ("2001:db8::/32", "documentation (2001:db8::/32)"),
    ("3fff::/20", "documentation (3fff::/20)"),
    ("5f00::/16", "segment routing (5f00::/16)"),
    ("fc00::/7", "unique local (fc00::/7)"),
    ("fe80::/10", "link-local (fe80::/10)"),
    ("fec0::/10", "site-local (fec0::/10)"),
    ("ff00::/8", "multicast (ff00::/8)"),
)
# Global unicast IPv6 is 2000::/3; everything else is reserved unless it wraps an IPv4 address.
GLOBAL_UNICAST_IPV6 = ipaddress.IPv6Network("2000::/3")
IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True)
class AddressDecision:
    """Whether one address may be connected to; `reason` names the refused range (None when allowed)."""

    address: IPAddress
    reason: str | None = None

    @property
    def allowed(self) -> bool:
        return self.reason is None


def parse_address(text: str) -> IPAddress | None:
    """The IP address in `text` (an IPv6 zone like `%eth0` dropped), or None if it is not one."""
    try:
        return ipaddress.ip_address(text.strip().strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, each with the name of the form that carries it."""
    value = int(address)
    low32 = ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address in IPV4_MAPPED:
        return [("IPv4-mapped", low32)]
    if address in IPV4_TRANSLATED:
        return [("IPv4-translated", low32)]
    if address in NAT64_WELL_KNOWN:
        return [("NAT64", low32)]
    if address in IPV4_COMPATIBLE and address not in (ipaddress.IPv6Address("::"), ipaddress.IPv6Address("::1")):
        return [("IPv4-compatible", low32)]
    if address.sixtofour is not None:
        return [("6to4", address.sixtofour)]
    if address.teredo is not None:
        server, client = address.teredo  # the client address is stored XOR'ed; ipaddress undoes it
        return [("Teredo client", client), ("Teredo server", server)]
    return []


def _refusal(address: IPAddress) -> str | None:
    table = REFUSED_IPV4 if isinstance(address, ipaddress.IPv4Address) else REFUSED_IPV6
    for refused in table:
        if address in refused.network:
            return refused.label
    return None


def decide(address: IPAddress) -> AddressDecision:
    """Allowed only when the address and every IPv4 address wrapped in it are outside the refused ranges."""
    if (label := _refusal(address)) is not None:
        return AddressDecision(address, label)
    if isinstance(address, ipaddress.IPv6Address):
        wrapped = embedded_ipv4(address)
        for form, inner in wrapped:
            if (label := _refusal(inner)) is not None:
                return AddressDecision(address, f"{label}: {inner} carried as {form}")
        if not wrapped and address not in GLOBAL_UNICAST_IPV6:
            return AddressDecision(address, "reserved IPv6 (outside 2000::/3)")
    return AddressDecision(address)


def first_refused(addresses: list[IPAddress]) -> AddressDecision | None:
    """The decision on the first refused address, or None when every one is allowed."""
    for address in addresses:
        decision = decide(address)
        if not decision.allowed:
            return decision
    return None
