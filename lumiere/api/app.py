"""Builds the FastAPI app and the ASGI dispatcher that puts it in front of Reflex."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from lumiere import jobs
from lumiere.api import (
    admin,
    ai,
    auth,
    charts,
    chat,
    data,
    deliveries,
    examples,
    exports,
    insights,
    pins,
    queries,
    schedules,
    settings,
    sharing,
    tokens,
    usage,
    users,
    workspaces,
)
from lumiere.api.docs import docs_html, install_docs
from lumiere.api.errors import install_error_handlers
from lumiere.web.body_idle import with_body_idle_timeout
from lumiere.web.security_headers import SecurityHeaders

ROUTERS = [
    auth.router, users.router, data.router, examples.router, ai.router, queries.router, charts.router, insights.router,
    chat.router, usage.router, tokens.router, settings.router, admin.router, schedules.router, deliveries.router,
    exports.router, sharing.router, workspaces.router, pins.router,
]
API_PREFIX = "/api"
API_TITLE = "Lumiere API"
OPENAPI_URL = f"{API_PREFIX}/openapi.json"
DOCS_URL = f"{API_PREFIX}/docs"

ASGIApp = Callable[..., Any]


def security_headers(pages_dir: Path | None = None) -> SecurityHeaders:
    """The headers for the built pages in `pages_dir` (if any) and the API, docs page included."""
    return SecurityHeaders(pages_dir, extra_html=[docs_html(OPENAPI_URL, API_TITLE)])


def create_api(headers: SecurityHeaders | None = None) -> FastAPI:
    api = FastAPI(
        title=API_TITLE,
        version="1.0",
        description="Ask your data in plain language. Authenticate with `Authorization: Bearer <access_token>`.",
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
    )
    jobs.install()  # routes that queue work (Run now, emails) hand it to the job queue
    install_error_handlers(api)
    install_docs(api, DOCS_URL, OPENAPI_URL)
    for router in ROUTERS:
        api.include_router(router)
    api.add_middleware(_HeadersMiddleware, headers=headers or security_headers())
    return api


class _HeadersMiddleware:
    """SecurityHeaders as a Starlette middleware class, so `add_middleware` can install it."""

    def __init__(self, app: ASGIApp, headers: SecurityHeaders) -> None:
        self._app = headers.wrap(app)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self._app(scope, receive, send)


def api_in_front_of(api: FastAPI, headers: SecurityHeaders) -> Callable[[ASGIApp], ASGIApp]:
    """An `api_transformer` sending every /api request to the API (its own 404/405 included)
    and everything else (pages, websocket, Reflex endpoints) to Reflex, with the security headers."""

    def transform(reflex_asgi: ASGIApp) -> ASGIApp:
        pages = headers.wrap(with_body_idle_timeout(reflex_asgi))

        async def dispatch(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "lifespan":
                await reflex_asgi(scope, receive, send)
                return
            path = scope.get("path", "")
            if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
                await api(scope, receive, send)
            else:
                await pages(scope, receive, send)

        return dispatch

    return transform
