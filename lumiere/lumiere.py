"""The Reflex app: pages, the REST API in front at /api, migrations and the embedded job worker on start."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
import reflex as rx
from reflex.constants import Dirs
from reflex.event import EventHandler
from reflex.utils.prerequisites import get_web_dir

from lumiere import routes
from lumiere.api.app import api_in_front_of, create_api, security_headers
from lumiere.components.layout import loading_screen
from lumiere.config import get_settings
from lumiere.db import migrate
from lumiere.jobs import embedded_worker_lifespan
from lumiere.pages.admin import admin_page
from lumiere.pages.chat import chat_page
from lumiere.pages.dashboard import dashboard_page
from lumiere.pages.data import data_page
from lumiere.pages.data_detail import data_detail_page
from lumiere.pages.data_upload import upload_page
from lumiere.pages.help import help_page
from lumiere.pages.history import history_page
from lumiere.pages.insights import insights_page
from lumiere.pages.login import login_page
from lumiere.pages.query import query_page
from lumiere.pages.register import register_page
from lumiere.pages.schedules import schedules_page
from lumiere.pages.settings import profile_moved_page, settings_page
from lumiere.pages.shared_answer import shared_answer_page
from lumiere.pages.workspaces import workspaces_page
from lumiere.state.admin import AdminState
from lumiere.state.auth import AuthState
from lumiere.state.chat import ChatState
from lumiere.state.dashboard import DashboardState
from lumiere.state.data import DataState
from lumiere.state.data_detail import SourceDetailState
from lumiere.state.data_upload import UploadState
from lumiere.state.help import HelpState
from lumiere.state.history import HistoryState
from lumiere.state.insights import InsightsState
from lumiere.state.query import QueryState
from lumiere.state.schedules import SchedulesState
from lumiere.state.settings import SettingsState
from lumiere.state.shared_answer import SharedAnswerState
from lumiere.state.workspaces import WorkspacesState
from lumiere.web.origins import websocket_origin_check

logging.basicConfig(level=get_settings().log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def index() -> rx.Component:
    return loading_screen()


@dataclass(frozen=True)
class Page:
    """A route bound to what draws it and what runs when it opens (which checks the user)."""

    route: routes.Route
    component: Callable[[], rx.Component]
    on_load: EventHandler


PAGES: tuple[Page, ...] = (
    Page(routes.INDEX, index, AuthState.require_login_then_home),
    Page(routes.LOGIN, login_page, AuthState.redirect_if_signed_in),
    Page(routes.REGISTER, register_page, AuthState.redirect_if_signed_in),
    Page(routes.DASHBOARD, dashboard_page, DashboardState.load),
    Page(routes.PROFILE, profile_moved_page, AuthState.go_to_settings),
    Page(routes.SETTINGS, settings_page, SettingsState.load),
    Page(routes.DATA, data_page, DataState.load),
    Page(routes.UPLOAD, upload_page, UploadState.load),
    Page(routes.SOURCE, data_detail_page, SourceDetailState.load),
    Page(routes.QUERY, query_page, QueryState.load),
    Page(routes.CHAT, chat_page, ChatState.load),
    Page(routes.HISTORY, history_page, HistoryState.load),
    Page(routes.INSIGHTS, insights_page, InsightsState.load),
    Page(routes.SCHEDULES, schedules_page, SchedulesState.load),
    Page(routes.WORKSPACES, workspaces_page, WorkspacesState.load),
    Page(routes.HELP, help_page, HelpState.load),
    Page(routes.ADMIN, admin_page, AdminState.load),
    Page(routes.SHARED, shared_answer_page, SharedAnswerState.load),
)


def _apply_migrations() -> None:
    migrate()


async def _size_request_threads() -> None:
    """REST routes run on anyio's threads (40 by default); on a few cores, fewer threads contend less for
    the GIL, so the request holding the app database's write lock reaches its commit sooner."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = get_settings().request_threads


def _built_pages_dir() -> Path:
    """Where the production build's HTML lives (the folder Reflex's frontend mount serves)."""
    return (get_web_dir() / Dirs.STATIC / rx.config.get_config().frontend_path.strip("/")).resolve()


response_headers = security_headers(_built_pages_dir())
app = rx.App(
    api_transformer=api_in_front_of(create_api(response_headers), response_headers),
    head_components=[rx.el.meta(name="description", content="Lumiere: ask your data in plain language.")],
    stylesheets=["/a11y.css"],
)
# Reflex hands the websocket server the CORS list, which would refuse the page's own origin
# whenever it differs from deploy_url (e.g. 127.0.0.1 vs localhost); same host or listed origin.
if app.sio is None:
    raise RuntimeError("Reflex did not create the websocket server this app needs")
app.sio.eio.cors_allowed_origins = websocket_origin_check(list(rx.config.get_config().cors_allowed_origins))
app.register_lifespan_task(_apply_migrations)
app.register_lifespan_task(_size_request_threads)
# Once per app process, after the migrations: worker threads and the scheduler clock (see lumiere.jobs).
app.register_lifespan_task(embedded_worker_lifespan)

for page in PAGES:
    app.add_page(page.component, route=page.route.path, title=page.route.title, on_load=page.on_load)
