"""Builds the FastAPI app and the ASGI dispatcher that puts it in front of Reflex."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from lumiere.api import ai, auth, charts, data, insights, queries, users
from lumiere.api.errors import install_error_handlers

ROUTERS = [auth.router, users.router, data.router, ai.router, queries.router, charts.router, insights.router]
API_PREFIX = "/api"

ASGIApp = Callable[..., Any]


def create_api() -> FastAPI:
    api = FastAPI(
        title="Lumiere API",
        version="1.0",
        description="Ask your data in plain language. Authenticate with `Authorization: Bearer <access_token>`.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    install_error_handlers(api)
    for router in ROUTERS:
        api.include_router(router)
    return api


def api_in_front_of(api: FastAPI) -> Callable[[ASGIApp], ASGIApp]:
    """An `api_transformer` sending every /api request to the API (its own 404/405 included)
    and everything else (pages, websocket, Reflex endpoints) to Reflex."""

    def transform(reflex_asgi: ASGIApp) -> ASGIApp:
        async def dispatch(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "lifespan":
                await reflex_asgi(scope, receive, send)
                return
            path = scope.get("path", "")
            if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
                await api(scope, receive, send)
            else:
                await reflex_asgi(scope, receive, send)

        return dispatch

    return transform
