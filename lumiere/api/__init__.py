"""The REST API: FastAPI routers under /api, mounted into Reflex with `api_transformer`."""

from lumiere.api.app import create_api

__all__ = ["create_api"]
