"""Every error leaves the API as `{"detail": "<what to fix>"}` with a 4xx, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from lumiere.core.errors import RateLimited, ServiceError, Unauthorized

log = logging.getLogger("lumiere.api")


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request body"


def describe_validation_errors(errors: list[dict[str, Any]]) -> tuple[int, str]:
    """Turn pydantic's error list into one sentence a person can act on."""
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "")
            return 400, f"The request body is not valid JSON{': ' + reason if reason else ''}."
    messages = []
    for error in errors[:5]:
        where = _location(tuple(error.get("loc", ())))
        kind = error.get("type", "")
        if kind == "missing":
            messages.append(f"{where} is required")
        elif kind in ("model_attributes_type", "dict_type") and where == "request body":
            messages.append("the request body must be a JSON object")
        else:
            messages.append(f"{where}: {error.get('msg', 'is not valid')}")
    return 422, "Invalid request: " + "; ".join(messages) + "."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, error: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, Unauthorized) else None
        if isinstance(error, RateLimited) and "retry_after" in error.extra:
            headers = {"Retry-After": str(error.extra["retry_after"])}
        return JSONResponse(status_code=error.status_code, content=error.to_body(), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        status, detail = describe_validation_errors(list(error.errors()))
        return JSONResponse(status_code=status, content={"detail": detail})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        detail = error.detail if isinstance(error.detail, str) else str(error.detail)
        if error.status_code == 404 and detail == "Not Found":
            detail = f"There is no API route at {request.url.path}; see /api/docs."
        elif error.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}; see /api/docs."
        return JSONResponse(status_code=error.status_code, content={"detail": detail}, headers=error.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=error)
        return JSONResponse(
            status_code=500, content={"detail": "Something went wrong on our side. It has been logged; try again."}
        )
