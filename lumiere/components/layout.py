"""The signed-in frame: sidebar (a drawer on phones), top bar with user menu and theme toggle."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from lumiere import routes
from lumiere.components.a11y import main_landmark, skip_link
from lumiere.components.keyboard import keyboard_layer
from lumiere.components.share_dialog import share_dialog
from lumiere.components.theme import theme_follower, theme_toggle
from lumiere.state.auth import NEW_WORKSPACE, PERSONAL, AuthState, SpaceChoice
from lumiere.state.dashboard import DashboardState
from lumiere.state.keyboard import KeyboardState


def brand() -> rx.Component:
    return rx.hstack(
        rx.icon("sparkles", size=22, color=rx.color("accent", 9)),
        rx.heading("Lumiere", size="5", weight="bold"),
        align="center",
        spacing="2",
    )


def nav_link(route: routes.Route) -> rx.Component:
    active = AuthState.router.url.path.startswith(route.path)
    link = rx.link(
        rx.hstack(rx.icon(route.nav_icon, size=18), rx.text(route.nav_label, size="3"), align="center", spacing="3"),
        href=route.path,
        underline="none",
        aria_current=rx.cond(active, "page", "false"),
        padding_x="0.75rem",
        padding_y="0.5rem",
        border_radius="var(--radius-3)",
        width="100%",
        color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 11)),
        background=rx.cond(active, rx.color("accent", 3), "transparent"),
        _hover={"background": rx.color("gray", 3), "color": rx.color("gray", 12)},
    )
    return rx.cond(AuthState.is_admin, link, rx.fragment()) if route.admin_only else link


def nav_links() -> rx.Component:
    """The sidebar's entries: every route with a nav label, in `routes.ROUTES` order."""
    return rx.vstack(*[nav_link(route) for route in routes.NAV], spacing="1", width="100%")


def sidebar() -> rx.Component:
    return rx.box(
        rx.vstack(brand(), rx.divider(), nav_links(), spacing="4", width="100%"),
        display=["none", "none", "block"],
        width="15rem",
        min_width="15rem",
        height="100vh",
        position="sticky",
        top="0",
        padding="1rem",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
        role="navigation",
        aria_label="Main",
    )


def mobile_nav() -> rx.Component:
    return rx.box(
        rx.drawer.root(
            rx.drawer.trigger(
                rx.icon_button(rx.icon("menu"), variant="ghost", aria_label="Open menu", title="Open menu")
            ),
            rx.drawer.overlay(z_index="40"),
            rx.drawer.portal(
                rx.drawer.content(
                    rx.vstack(
                        rx.hstack(
                            brand(),
                            rx.drawer.close(
                                rx.icon_button(
                                    rx.icon("x"), variant="ghost", aria_label="Close menu", title="Close menu"
                                )
                            ),
                            justify="between",
                            width="100%",
                        ),
                        nav_links(),
                        spacing="4",
                        padding="1rem",
                    ),
                    width="16rem",
                    height="100%",
                    background=rx.color("gray", 1),
                    z_index="50",
                ),
            ),
            direction="left",
        ),
        display=["block", "block", "none"],
    )


def user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.avatar(fallback=AuthState.user_initials, size="1", radius="full"),
                rx.text(AuthState.user_name, display=["none", "inline", "inline"]),
                rx.icon("chevron-down", size=14),
                variant="ghost",
                aria_label=AuthState.user_name,
            ),
        ),
        rx.menu.content(
            rx.menu.item(
                rx.hstack(rx.icon("settings", size=14), rx.text("Settings")),
                on_select=rx.redirect(routes.SETTINGS.path),
            ),
            rx.menu.item(
                rx.hstack(rx.icon("list-checks", size=14), rx.text("Show getting started")),
                on_select=DashboardState.show_guide_again,
            ),
            rx.menu.item(
                rx.hstack(rx.icon("keyboard", size=14), rx.text("Keyboard shortcuts")),
                shortcut="?",
                on_select=KeyboardState.open_shortcuts,
            ),
            rx.menu.separator(),
            rx.menu.item(
                rx.hstack(rx.icon("log-out", size=14), rx.text("Log out")),
                on_select=AuthState.logout,
                color="red",
            ),
        ),
    )


def space_item(space: rx.Var[SpaceChoice]) -> rx.Component:
    return rx.select.item(space.name, value=space.id)


def workspace_switcher() -> rx.Component:
    """Which space every page shows and adds to: Personal, one of the user's workspaces, or a new one."""
    return rx.select.root(
        rx.select.trigger(placeholder="Personal", aria_label="Workspace", max_width=["8rem", "14rem"]),
        rx.select.content(
            rx.select.item("Personal", value=PERSONAL),
            rx.foreach(AuthState.spaces, space_item),
            rx.select.separator(),
            rx.select.item("New workspace…", value=NEW_WORKSPACE),
        ),
        value=AuthState.space_value,
        on_change=AuthState.switch_space,
        size="2",
    )


def top_bar(title: str) -> rx.Component:
    return rx.hstack(
        rx.hstack(
            mobile_nav(),
            # On a phone the title gives way (ellipsis) to the controls. Not a heading: the page's own
            # h1 says it again, and one h1 per page keeps the outline (and role queries) unambiguous.
            rx.text(title, as_="div", size="5", weight="bold",
                    style={"white_space": "nowrap", "overflow": "hidden",
                           "text_overflow": "ellipsis", "min_width": "0"}),
            align="center",
            spacing="3",
            min_width="0",
        ),
        rx.hstack(
            workspace_switcher(),
            theme_toggle(),
            user_menu(),
            align="center",
            spacing="2",
            flex_shrink="0",
        ),
        justify="between",
        align="center",
        width="100%",
        padding_x=["1rem", "1rem", "2rem"],
        padding_y="0.75rem",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        position="sticky",
        top="0",
        z_index="10",
        background=rx.color("gray", 1),
        role="banner",
    )


def loading_screen() -> rx.Component:
    """Until the server confirms the user: the frame's shape (sidebar, top bar, two cards) in grey."""
    block = lambda height, width="100%": rx.skeleton(rx.box(height=height, width=width), loading=True)  # noqa: E731
    return rx.hstack(
        rx.box(
            rx.vstack(*[block("1.75rem") for _ in range(7)], spacing="3"),
            display=["none", "none", "block"],
            width="15rem",
            min_width="15rem",
            height="100vh",
            padding="1rem",
            background=rx.color("gray", 2),
        ),
        main_landmark(
            rx.vstack(block("2.5rem"), block("2rem", "40%"), block("10rem"), block("16rem"), spacing="4"),
            flex="1",
            padding=["1rem", "1rem", "2rem"],
            aria_busy="true",
            aria_label="Loading",
        ),
        spacing="0",
        width="100%",
        align="start",
    )


def app_shell(title: str, content: Callable[[], rx.Component]) -> rx.Component:
    """The signed-in page frame; nothing private is rendered until the server confirms the user,
    whose stored appearance is then applied."""
    return rx.cond(
        AuthState.is_authenticated,
        rx.hstack(
            skip_link(),
            theme_follower(),
            share_dialog(),
            keyboard_layer(),
            sidebar(),
            rx.box(
                top_bar(title),
                main_landmark(content(), padding=["1rem", "1rem", "2rem"], max_width="80rem", width="100%"),
                flex="1",
                min_width="0",
            ),
            spacing="0",
            width="100%",
            align="start",
        ),
        loading_screen(),
    )


def page_header(title: str, subtitle: str | rx.Var | None = None, *actions: rx.Component) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.heading(title, size="6", as_="h1"),
            rx.text(subtitle, color_scheme="gray") if subtitle is not None else rx.fragment(),
            spacing="1",
        ),
        rx.hstack(*actions, spacing="2", wrap="wrap"),
        justify="between",
        align="start",
        spacing="3",
        wrap="wrap",
        width="100%",
        margin_bottom="1.5rem",
    )
