"""Security headers, CORS and the API docs on the production server (single-port mode)."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

PAGE_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def test_pages_and_api_carry_the_security_headers(live_server):
    for path in ("/login", "/dashboard", "/api/auth/me", "/api/docs"):
        response = httpx.get(f"{live_server}{path}", follow_redirects=True, timeout=10)
        for name, value in PAGE_HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy, path
        assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0], path


def test_another_origin_gets_no_cors_grant(live_server):
    evil = {"Origin": "https://evil.example"}
    simple = httpx.get(f"{live_server}/api/auth/me", headers=evil, timeout=10)
    preflight = httpx.options(
        f"{live_server}/api/auth/me",
        headers={**evil, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"},
        timeout=10,
    )
    ping = httpx.get(f"{live_server}/ping", headers=evil, timeout=10)
    for response in (simple, preflight, ping):
        assert "access-control-allow-origin" not in response.headers


def test_api_docs_render_from_local_assets_under_the_csp(page):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/api/docs")
    expect(page.get_by_role("heading", name="Lumiere API")).to_be_visible()
    expect(page.get_by_text("/api/auth/login").first).to_be_visible()
    base = page.evaluate("window.location.origin")
    assert requested and all(url.startswith((base, "data:")) for url in requested), requested
