"""The address filter decides on addresses alone: nothing here opens a connection or asks a DNS server."""

from __future__ import annotations

import ipaddress

import pytest

from lumiere.storage.address_filter import IPAddress, decide, embedded_ipv4, first_refused, parse_address
from tests.helpers.rows import present

REFUSED = [
    # (address, words the reason must contain)
    ("0.0.0.0", "this network"),
    ("0.1.2.3", "this network"),
    ("10.0.0.1", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.169.254", "link-local"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.0.0.1", "IETF protocol assignment"),
    ("192.0.0.9", "IETF protocol assignment"),  # is_global in Python 3.11: the finding
    ("192.0.0.170", "IETF protocol assignment"),
    ("192.0.2.10", "TEST-NET-1"),
    ("192.88.99.1", "6to4 relay"),
    ("192.168.1.1", "private"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking"),
    ("198.51.100.7", "TEST-NET-2"),
    ("203.0.113.9", "TEST-NET-3"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fc00::1", "unique local"),
    ("fd12:3456::1", "unique local"),
    ("fe80::1", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("100::1", "discard-only"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("2001:2::1", "benchmarking"),
    ("2001:10::1", "ORCHID"),
    ("5f00::1", "segment routing"),
    ("4000::1", "reserved IPv6"),
    ("64:ff9b:1::a00:1", "local-use NAT64"),
    # IPv4 wrapped in IPv6: the inner address decides.
    ("::ffff:127.0.0.1", "loopback: 127.0.0.1 carried as IPv4-mapped"),
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:0:192.168.0.1", "IPv4-translated"),
    ("::127.0.0.1", "IPv4-compatible"),
    ("::2", "this network"),
    ("64:ff9b::7f00:1", "loopback: 127.0.0.1 carried as NAT64"),  # the finding
    ("64:ff9b::a9fe:a9fe", "link-local"),
    ("64:ff9b::c000:0001", "IETF protocol assignment"),
    ("2002:7f00:1::", "loopback: 127.0.0.1 carried as 6to4"),
    ("2002:c0a8:101::1", "private"),
    # Teredo: the client 127.0.0.1 is stored bit-flipped (0x80fffffe).
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback: 127.0.0.1 carried as Teredo client"),
    # A Teredo server in a private range is refused as well.
    ("2001:0:a00:1:8000:63bf:f7f7:f7f7", "Teredo server"),
]

ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.15.255.255",
    "172.32.0.0",
    "192.0.1.1",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",
    "2001:4860:4860::8888",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # 8.8.8.8 behind NAT64
    "2002:808:808::1",  # 8.8.8.8 over 6to4
    "2001:0:4136:e378:8000:63bf:f7f7:f7f7",  # Teredo: server 65.54.227.120, client 8.8.8.8
]


def _address(text: str) -> IPAddress:
    """An address the test spells out in full, so it parses."""
    address = parse_address(text)
    assert address is not None, text
    return address


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_refused_addresses_name_their_range(text, reason):
    decision = decide(_address(text))
    assert not decision.allowed
    assert reason in present(decision.reason)


@pytest.mark.parametrize("text", ALLOWED)
def test_public_addresses_are_allowed(text):
    decision = decide(_address(text))
    assert decision.allowed, decision.reason
    assert decision.reason is None


def test_wrapped_forms_give_back_the_inner_address():
    assert embedded_ipv4(ipaddress.IPv6Address("64:ff9b::7f00:1")) == [("NAT64", ipaddress.IPv4Address("127.0.0.1"))]
    teredo = embedded_ipv4(ipaddress.IPv6Address("2001:0:4136:e378:8000:63bf:80ff:fffe"))
    assert teredo == [("Teredo client", ipaddress.IPv4Address("127.0.0.1")),
                      ("Teredo server", ipaddress.IPv4Address("65.54.227.120"))]
    assert embedded_ipv4(ipaddress.IPv6Address("2606:4700::1111")) == []


def test_parse_address_reads_brackets_and_zones_and_rejects_names():
    assert parse_address("[::1]") == ipaddress.IPv6Address("::1")
    assert parse_address("fe80::1%eth0") == ipaddress.IPv6Address("fe80::1")
    assert parse_address(" 10.0.0.1 ") == ipaddress.IPv4Address("10.0.0.1")
    assert parse_address("db.example.com") is None


def test_one_refused_address_among_many_refuses_the_lot():
    public, private = _address("8.8.8.8"), _address("10.1.2.3")
    assert first_refused([public, public]) is None
    refused = first_refused([public, private, public])
    assert refused is not None and refused.address == private
