"""Every API response carries the security headers; the docs need no other host."""

from __future__ import annotations

import re

import pytest

from lumiere.config import reset_settings

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
}


def test_success_error_and_docs_responses_carry_the_headers(client, make_user):
    user = make_user()
    responses = {
        "200": client.get("/api/auth/me", headers=user["headers"]),
        "401": client.get("/api/auth/me"),
        "404": client.get("/api/no-such-route"),
        "422": client.post("/api/auth/login", json={}),
        "docs": client.get("/api/docs"),
        "openapi": client.get("/api/openapi.json"),
    }
    for label, response in responses.items():
        for name, value in EXPECTED.items():
            assert response.headers.get(name) == value, (label, name)
        policy = response.headers["content-security-policy"]
        assert policy.startswith("default-src 'self';") and "frame-ancestors 'none'" in policy, label
    assert [r.status_code for r in responses.values()] == [200, 401, 404, 422, 200, 200]


def test_docs_page_uses_only_local_assets_that_are_served(client):
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "SwaggerUIBundle" in docs.text
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", docs.text)  # nothing from another host
    assets = re.findall(r"(?:src|href)=\"(/api/docs/assets/[^\"]+)\"", docs.text)
    assert {asset.rsplit("/", 1)[1] for asset in assets} == {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200 and len(served.content) > 1000, asset
        assert served.headers["x-content-type-options"] == "nosniff"
    # The page's one inline script is allowed by its hash, not by 'unsafe-inline'.
    script_sources = docs.headers["content-security-policy"].split("script-src ", 1)[1].split(";", 1)[0]
    assert "'unsafe-inline'" not in script_sources and "'sha256-" in script_sources
    assert client.get("/api/openapi.json").json()["info"]["title"] == "Lumiere API"


@pytest.fixture
def framing_allowed(monkeypatch):
    monkeypatch.setenv("LUMIERE_FRAME_ANCESTORS", "'self' https://intranet.example.com")
    reset_settings()
    yield
    reset_settings()


def test_framing_can_be_allowed_by_setting(framing_allowed, app_db):
    from fastapi.testclient import TestClient

    from lumiere.api import create_api

    response = TestClient(create_api()).get("/api/openapi.json")
    assert "frame-ancestors 'self' https://intranet.example.com" in response.headers["content-security-policy"]
    assert "x-frame-options" not in response.headers
