"""Routes as data: every route registered once with its page, the sidebar drawn from the same table."""

from __future__ import annotations

import reflex as rx

from lumiere import routes
from lumiere.components.layout import nav_links
from lumiere.lumiere import PAGES, app
from lumiere.state.history import HistoryState


def test_no_path_is_listed_twice_and_every_route_has_one_page():
    paths = [route.path for route in routes.ROUTES]
    assert len(paths) == len(set(paths))
    assert [page.route for page in PAGES] == list(routes.ROUTES)
    assert len({page.component for page in PAGES}) == len(PAGES)


def test_every_route_is_registered_with_its_title_and_on_load():
    registered = app._unevaluated_pages
    for page in PAGES:
        key = page.route.path.strip("/") or "index"
        assert registered[key].title == page.route.title
        assert registered[key].on_load == page.on_load


def test_every_nav_entry_is_a_signed_in_route_drawn_in_the_sidebar():
    assert [route.nav_label for route in routes.NAV] == [
        "Dashboard", "Data", "Ask", "Chat", "History", "Insights", "Schedules", "Workspaces", "Admin"
    ]
    assert [route for route in routes.NAV if route.admin_only] == [routes.ADMIN]
    sidebar = str(nav_links())
    for route in routes.NAV:
        assert route in routes.ROUTES and route.requires_login and route.nav_icon
        assert f'"{route.path}"' in sidebar and route.nav_label in sidebar
    assert all(not route.requires_login for route in (routes.LOGIN, routes.REGISTER, routes.SHARED))


def test_url_builders_give_the_pages_paths_for_values_and_for_vars():
    assert routes.source_url(7) == "/data/7" and routes.SOURCE.path == "/data/[source_id]"
    assert routes.query_url(3) == "/query?query=3" and routes.rerun_url(3) == "/query?rerun=3"
    assert routes.ask_url(2) == "/query?source=2"
    assert routes.ask_url(2, "Top 5 by sales & margin?") == "/query?source=2&q=Top+5+by+sales+%26+margin%3F"
    assert routes.login_url("/data/2") == "/login?next=/data/2" and routes.login_url() == "/login"
    in_browser = str(rx.Var.create(routes.query_url(HistoryState.items[0].id)))
    assert in_browser.startswith('("/query?query="+') and "items" in in_browser
