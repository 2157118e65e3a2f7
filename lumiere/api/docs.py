"""Interactive API docs at /api/docs, with Swagger UI's files served by the app itself.

FastAPI's default page loads Swagger UI from a CDN without integrity hashes; here the files come
from the installed `fastapi-offline` package (pinned in requirements), so the page needs no other
host and passes the Content-Security-Policy.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_ASSETS_PATH = "/api/docs/assets"


@lru_cache(maxsize=4)
def docs_html(openapi_url: str, title: str) -> str:
    """The docs page; the same text is hashed into the CSP, so it must not vary per request."""
    response = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{title} · docs",
        swagger_js_url=f"{DOCS_ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS_PATH}/favicon.png",
    )
    return bytes(response.body).decode("utf-8")


def install_docs(api: FastAPI, docs_url: str, openapi_url: str) -> None:
    """Serve the docs page at `docs_url` and Swagger UI's files below DOCS_ASSETS_PATH."""
    page = docs_html(openapi_url, api.title)

    @api.get(docs_url, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(page)

    api.mount(DOCS_ASSETS_PATH, StaticFiles(directory=str(files("fastapi_offline") / "static")), name="docs-assets")
