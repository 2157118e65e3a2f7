"""Which other origins may use the backend: never '*', the frontend origin, and the listed ones."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from lumiere.config import Settings, reset_settings
from lumiere.web.origins import cross_origins, origin_of, websocket_origin_check


@pytest.fixture
def partner_origin(monkeypatch):
    monkeypatch.setenv("LUMIERE_CORS_ORIGINS", "https://partner.example, https://bi.example:8443/")
    reset_settings()
    yield
    reset_settings()


def test_cross_origins_are_the_frontend_and_the_listed_ones(partner_origin):
    assert cross_origins("http://localhost:3000/") == [
        "http://localhost:3000", "https://partner.example", "https://bi.example:8443",
    ]
    assert origin_of("https://App.Example.com/some/path") == "https://app.example.com"
    assert origin_of("javascript:alert(1)") is None


def test_rxconfig_allows_no_wildcard():
    from rxconfig import config

    assert "*" not in config.cors_allowed_origins
    assert list(config.cors_allowed_origins) == cross_origins(config.deploy_url)


@pytest.mark.parametrize("value", ["*", "https://a.example/path", "ftp://a.example", "a.example"])
def test_a_cors_origin_that_is_not_an_origin_is_refused(value):
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(cors_origins=value)


def test_frame_ancestors_setting_is_checked():
    assert Settings().frame_ancestors == "'none'"
    assert Settings(frame_ancestors="'self'  https://intranet.example").frame_ancestors == "'self' https://intranet.example"
    with pytest.raises(ValidationError):
        Settings(frame_ancestors="'none' https://a.example")
    with pytest.raises(ValidationError):
        Settings(frame_ancestors="*")


def test_cors_middleware_with_these_origins_grants_nothing_to_another_site():
    """The same Starlette middleware and arguments Reflex wraps the backend in, with our list."""
    app = Starlette(routes=[Route("/api/x", lambda request: PlainTextResponse("ok"))])
    app.add_middleware(CORSMiddleware, allow_credentials=True, allow_methods=["*"], allow_headers=["*"],
                       allow_origins=cross_origins("http://localhost:3000"))
    client = TestClient(app)
    evil = client.get("/api/x", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in evil.headers
    preflight = client.options("/api/x", headers={"Origin": "https://evil.example",
                                                   "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 400 and "access-control-allow-origin" not in preflight.headers
    frontend = client.get("/api/x", headers={"Origin": "http://localhost:3000"})
    assert frontend.headers["access-control-allow-origin"] == "http://localhost:3000"


def test_websocket_accepts_its_own_host_and_listed_origins_only():
    allowed = websocket_origin_check(["http://localhost:3000"])
    own_host = {"HTTP_HOST": "127.0.0.1:8123"}
    assert allowed("http://127.0.0.1:8123", own_host)
    assert allowed("http://localhost:3000", own_host)
    assert not allowed("https://evil.example", own_host)
    assert not allowed("http://127.0.0.1:9999", own_host)
    behind_proxy = {"HTTP_HOST": "10.0.0.5:3000", "HTTP_X_FORWARDED_HOST": "lumiere.example.com"}
    assert allowed("https://lumiere.example.com", behind_proxy)
