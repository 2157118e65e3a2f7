"""The Reflex app: pages, the REST API in front at /api, migrations on start."""

from __future__ import annotations

import logging
from pathlib import Path

import reflex as rx
from reflex.constants import Dirs
from reflex.utils.prerequisites import get_web_dir

from lumiere.api.app import api_in_front_of, create_api, security_headers
from lumiere.config import get_settings
from lumiere.db import migrate
from lumiere.pages.dashboard import dashboard_page
from lumiere.pages.data import data_page
from lumiere.pages.data_detail import data_detail_page
from lumiere.pages.data_upload import upload_page
from lumiere.pages.history import history_page
from lumiere.pages.insights import insights_page
from lumiere.pages.login import login_page
from lumiere.pages.profile import profile_page
from lumiere.pages.query import query_page
from lumiere.pages.register import register_page
from lumiere.state.auth import AuthState
from lumiere.state.dashboard import DashboardState
from lumiere.state.data import DataState, SourceDetailState, UploadState
from lumiere.state.history import HistoryState
from lumiere.state.insights import InsightsState
from lumiere.state.profile import ProfileState
from lumiere.state.query import QueryState
from lumiere.web.origins import websocket_origin_check

logging.basicConfig(level=get_settings().log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def index() -> rx.Component:
    return rx.center(rx.spinner(size="3"), height="100vh")


def _apply_migrations() -> None:
    migrate()


def _built_pages_dir() -> Path:
    """Where the production build's HTML lives (the folder Reflex's frontend mount serves)."""
    return (get_web_dir() / Dirs.STATIC / rx.config.get_config().frontend_path.strip("/")).resolve()


response_headers = security_headers(_built_pages_dir())
app = rx.App(
    api_transformer=api_in_front_of(create_api(response_headers), response_headers),
    head_components=[rx.el.meta(name="description", content="Lumiere: ask your data in plain language.")],
)
# Reflex hands the websocket server the CORS list, which would refuse the page's own origin
# whenever it differs from deploy_url (e.g. 127.0.0.1 vs localhost); same host or listed origin.
app.sio.eio.cors_allowed_origins = websocket_origin_check(list(rx.config.get_config().cors_allowed_origins))
app.register_lifespan_task(_apply_migrations)

app.add_page(index, route="/", title="Lumiere", on_load=AuthState.require_login_then_home)
app.add_page(login_page, route="/login", title="Sign in · Lumiere", on_load=AuthState.redirect_if_signed_in)
app.add_page(register_page, route="/register", title="Create account · Lumiere", on_load=AuthState.redirect_if_signed_in)
app.add_page(dashboard_page, route="/dashboard", title="Dashboard · Lumiere", on_load=DashboardState.load)
app.add_page(profile_page, route="/profile", title="Profile · Lumiere", on_load=ProfileState.load)
app.add_page(data_page, route="/data", title="Data · Lumiere", on_load=DataState.load)
app.add_page(upload_page, route="/data/upload", title="Upload · Lumiere", on_load=UploadState.load)
app.add_page(data_detail_page, route="/data/[source_id]", title="Data source · Lumiere", on_load=SourceDetailState.load)
app.add_page(query_page, route="/query", title="Ask · Lumiere", on_load=QueryState.load)
app.add_page(history_page, route="/history", title="History · Lumiere", on_load=HistoryState.load)
app.add_page(insights_page, route="/insights", title="Saved insights · Lumiere", on_load=InsightsState.load)
