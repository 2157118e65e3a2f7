"""Signed links: a token opens only what it was signed for, only for its purpose, only until it expires."""

from __future__ import annotations

import pytest

from lumiere.storage.signed_links import BadLink, sign, verify


def test_a_token_gives_back_its_payload_for_its_purpose_only() -> None:
    token = sign("download", {"run_id": 7}, ttl_s=60)
    assert verify("download", token) == {"run_id": 7}
    with pytest.raises(BadLink):
        verify("unsubscribe", token)


def test_a_changed_payload_or_signature_is_refused() -> None:
    token = sign("download", {"run_id": 7}, ttl_s=60)
    forged = sign("download", {"run_id": 8}, ttl_s=60).split(".")[0] + "." + token.split(".")[1]
    for bad in (forged, token[:-2], token + "x", "", "a.b.c", "no-dot", "%%%.***", "x" * 5000):
        with pytest.raises(BadLink):
            verify("download", bad)


def test_an_expired_token_says_so() -> None:
    token = sign("download", {"run_id": 7}, ttl_s=-1)
    with pytest.raises(BadLink) as raised:
        verify("download", token)
    assert raised.value.expired
    assert verify("unsubscribe", sign("unsubscribe", {"s": 1}, ttl_s=None)) == {"s": 1}
