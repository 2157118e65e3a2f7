"""The Reflex app: pages, the REST API in front at /api, migrations on start."""

from __future__ import annotations

import logging

import reflex as rx

from lumiere.api.app import api_in_front_of, create_api
from lumiere.config import get_settings
from lumiere.db import migrate
from lumiere.pages.dashboard import dashboard_page
from lumiere.pages.login import login_page
from lumiere.pages.profile import profile_page
from lumiere.pages.register import register_page
from lumiere.state.auth import AuthState
from lumiere.state.dashboard import DashboardState
from lumiere.state.profile import ProfileState

logging.basicConfig(level=get_settings().log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def index() -> rx.Component:
    return rx.center(rx.spinner(size="3"), height="100vh")


def _apply_migrations() -> None:
    migrate()


app = rx.App(
    api_transformer=api_in_front_of(create_api()),
    head_components=[rx.el.meta(name="description", content="Lumiere: ask your data in plain language.")],
)
app.register_lifespan_task(_apply_migrations)

app.add_page(index, route="/", title="Lumiere", on_load=AuthState.require_login_then_home)
app.add_page(login_page, route="/login", title="Sign in · Lumiere", on_load=AuthState.redirect_if_signed_in)
app.add_page(register_page, route="/register", title="Create account · Lumiere", on_load=AuthState.redirect_if_signed_in)
app.add_page(dashboard_page, route="/dashboard", title="Dashboard · Lumiere", on_load=DashboardState.load)
app.add_page(profile_page, route="/profile", title="Profile · Lumiere", on_load=ProfileState.load)
