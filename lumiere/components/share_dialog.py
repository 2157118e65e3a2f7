"""The "Share" button of an answer and the one dialog it opens (made once per page, in the app shell)."""

from __future__ import annotations

import reflex as rx

from lumiere.components.feedback import error_callout
from lumiere.state.sharing import EXPIRY_CHOICES, ShareRow, ShareState


def share_button(query_id: rx.Var | int | str, *, disabled: rx.Var | bool = False, size: str = "1") -> rx.Component:
    return rx.button(
        rx.icon("share-2", size=14),
        "Share",
        on_click=ShareState.open_share(query_id),
        variant="soft",
        size=size,
        disabled=disabled,
        class_name="share-button",
    )


def _link_row(item: rx.Var[ShareRow]) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.hstack(
                rx.code(item.prefix + "…", size="1"),
                rx.badge(item.views, variant="soft", size="1"),
                spacing="2",
                align="center",
            ),
            rx.text("Created ", item.created, " · ", item.expires, size="1",
                    color=rx.cond(item.expired, rx.color("red", 11), rx.color("gray", 11))),
            spacing="1",
        ),
        rx.button(
            rx.icon("link-2-off", size=14),
            "Revoke",
            on_click=ShareState.revoke(item.id),
            color_scheme="red",
            variant="soft",
            size="1",
            class_name="share-revoke",
        ),
        justify="between",
        align="center",
        gap="2",
        width="100%",
        class_name="share-link-row",
    )


def _created_link() -> rx.Component:
    return rx.cond(
        ShareState.share_url != "",
        rx.vstack(
            rx.text("Anyone with this link can see this answer as it is now (not the SQL, not your account):",
                    size="2"),
            rx.hstack(
                rx.input(value=ShareState.share_url, read_only=True, width="100%", aria_label="Share link",
                         class_name="share-url"),
                rx.button(rx.icon("copy", size=14), "Copy", on_click=ShareState.copy_link, class_name="share-copy"),
                width="100%",
                spacing="2",
            ),
            rx.text("It is shown only now; copy it before closing.", size="1", color_scheme="gray"),
            spacing="2",
            width="100%",
        ),
        rx.fragment(),
    )


def share_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Share this answer"),
            rx.dialog.description(
                "A public link shows a snapshot of the question, table, chart and insight; revoke it at any time.",
                size="2",
                color_scheme="gray",
            ),
            rx.vstack(
                rx.flex(
                    rx.vstack(
                        rx.el.label("Link expires", html_for="share-expiry", style={"font_size": "0.85rem"}),
                        rx.select.root(
                            rx.select.trigger(id="share-expiry", aria_label="Link expires"),
                            rx.select.content(
                                *[rx.select.item(label, value=value) for value, label in EXPIRY_CHOICES]
                            ),
                            value=ShareState.share_expiry,
                            on_change=ShareState.set_share_expiry,
                        ),
                        spacing="1",
                    ),
                    rx.button(rx.icon("link", size=14), "Create link", on_click=ShareState.create_link,
                              loading=ShareState.share_busy, class_name="share-create"),
                    align="end",
                    justify="between",
                    gap="3",
                    wrap="wrap",
                    width="100%",
                ),
                error_callout(ShareState.share_error, "The link was not created", ShareState.share_limit_reached),
                _created_link(),
                rx.divider(),
                rx.heading("Links to this answer", size="3", as_="h3"),
                rx.cond(
                    ShareState.share_links.length() > 0,
                    rx.vstack(rx.foreach(ShareState.share_links, _link_row), spacing="3", width="100%"),
                    rx.text("No links yet.", size="2", color_scheme="gray"),
                ),
                rx.flex(rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")), justify="end",
                        width="100%"),
                spacing="4",
                width="100%",
                margin_top="1rem",
            ),
            max_width="36rem",
            class_name="share-dialog",
        ),
        open=ShareState.share_open,
        on_open_change=ShareState.set_share_open,
    )
