"""Settings → Shared links: every public link the user made, with its views and expiry, and Revoke."""

from __future__ import annotations

import reflex as rx

from lumiere import routes
from lumiere.components.settings_parts import settings_section
from lumiere.state.sharing import ShareRow, ShareState


def _row(item: rx.Var[ShareRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(item.question, href=routes.query_url(item.query_id), size="2")),
        rx.table.cell(rx.code(item.prefix + "…", size="1")),
        rx.table.cell(item.views, white_space="nowrap"),
        rx.table.cell(item.created, white_space="nowrap"),
        rx.table.cell(rx.text(item.expires, color=rx.cond(item.expired, rx.color("red", 11), "inherit")),
                      white_space="nowrap"),
        rx.table.cell(
            rx.button("Revoke", on_click=ShareState.revoke(item.id), color_scheme="red", variant="soft", size="1",
                      aria_label="Revoke the link to: " + item.question.to(str)),
        ),
        class_name="settings-share-row",
    )


def shares_section() -> rx.Component:
    return settings_section(
        "shares",
        "Shared links",
        "Public links to your answers. A link shows the snapshot taken when you made it; revoking stops it at once.",
        rx.cond(
            ShareState.all_links.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(*[rx.table.column_header_cell(label) for label in
                                       ("Answer", "Link", "Views", "Created", "Expires", "")]),
                    ),
                    rx.table.body(rx.foreach(ShareState.all_links, _row)),
                    size="1",
                    width="100%",
                ),
                width="100%",
                overflow_x="auto",
            ),
            rx.text("No shared links. Use Share on an answer to make one.", size="2", color_scheme="gray"),
        ),
        on_mount=ShareState.load_all_links,
    )
