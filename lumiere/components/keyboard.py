"""The keyboard layer of every signed-in page: the shortcuts dialog (`?`), the command palette
(Ctrl/Cmd+K) and the hidden buttons assets/keys.js clicks.

The script is a same-origin file (the CSP allows no inline script); it only clicks these
buttons, focuses a box or the answer's Save button, and never evaluates anything.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from lumiere import routes
from lumiere.services.help_topics import SHORTCUTS, Shortcut
from lumiere.state.chat import ChatState
from lumiere.state.keyboard import KeyboardState, PaletteRow

# assets/keys.js reads these ids; `g` then the letter goes to the route.
GO_TO: dict[str, routes.Route] = {"d": routes.DASHBOARD, "a": routes.QUERY, "c": routes.CHAT, "h": routes.HISTORY}

# Arrow keys and Enter in the palette's search box go to the server; the others type as usual.
_PALETTE_KEYS: rx.Var[Any] = rx.Var(
    "((event) => { if (['ArrowDown', 'ArrowUp', 'Enter'].includes(event.key)) event.preventDefault(); })"
)


def _trigger(element_id: str, label: str, on_click: Any) -> rx.Component:
    return rx.el.button(label, id=element_id, type="button", on_click=on_click, hidden=True, tab_index=-1,
                        aria_hidden="true")


def triggers() -> rx.Component:
    return rx.fragment(
        _trigger("kb-open-shortcuts", "Keyboard shortcuts", KeyboardState.open_shortcuts),
        _trigger("kb-open-palette", "Command palette", KeyboardState.open_palette),
        _trigger("kb-new-chat", "New chat", [ChatState.new_chat, rx.redirect(routes.CHAT.path)]),
        *[_trigger(f"kb-go-{letter}", route.nav_label, rx.redirect(route.path)) for letter, route in GO_TO.items()],
    )


def _keys(shortcut: Shortcut) -> rx.Component:
    parts: list[rx.Component] = []
    for position, key in enumerate(shortcut.keys):
        if position:
            parts.append(rx.text("then", size="1", color_scheme="gray"))
        parts.append(rx.el.kbd(key, style={"font_family": "var(--code-font-family)", "padding": "0 0.4rem",
                                            "border": f"1px solid {rx.color('gray', 7)}",
                                            "border_radius": "var(--radius-2)"}))
    return rx.hstack(*parts, spacing="1", align="center", min_width="7rem")


def shortcuts_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Keyboard shortcuts"),
            rx.dialog.description("Single keys work when you are not typing in a field.", size="2"),
            rx.vstack(
                *[rx.hstack(_keys(shortcut), rx.text(shortcut.action, size="2"), spacing="3", align="center")
                  for shortcut in SHORTCUTS],
                spacing="2",
                margin_y="1rem",
            ),
            rx.flex(
                rx.link("All help", href=routes.help_url("keyboard"), size="2"),
                rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                justify="between",
                align="center",
            ),
            max_width="34rem",
        ),
        open=KeyboardState.shortcuts_open,
        on_open_change=KeyboardState.set_shortcuts_open,
    )


def _result(row: rx.Var[PaletteRow]) -> rx.Component:
    chosen = row.position == KeyboardState.palette_index
    return rx.box(
        rx.hstack(
            # High contrast: on the chosen row's accent background soft gray text is under 4.5:1 (axe).
            rx.badge(row.kind, variant="soft", color_scheme="gray", high_contrast=True, min_width="4.5rem",
                     justify="center"),
            rx.vstack(rx.text(row.label, size="2", weight="medium"),
                      rx.text(row.detail, size="1", color_scheme="gray", high_contrast=chosen),
                      spacing="0", min_width="0"),
            spacing="3",
            align="center",
        ),
        id="palette-option-" + row.position.to_string(),
        role="option",
        aria_selected=rx.cond(chosen, "true", "false"),
        on_click=KeyboardState.choose(row.position),
        padding="0.4rem 0.6rem",
        border_radius="var(--radius-2)",
        background=rx.cond(chosen, rx.color("accent", 4), "transparent"),
        cursor="pointer",
    )


def palette_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Go to…", size="3"),
            # Uncontrolled and not debounced: every keystroke's search reaches the server before a later
            # Enter does (events run in order), so Enter opens what the user sees for what they typed.
            rx.input(
                id="palette-search",
                on_change=KeyboardState.search,
                on_key_down=KeyboardState.palette_key,
                placeholder="Search pages, sources, insights, history, chats",
                aria_label="Search pages, sources, insights, history and chats",
                role="combobox",
                aria_expanded="true",
                aria_controls="palette-results",
                aria_activedescendant=rx.cond(
                    KeyboardState.palette_rows.length() > 0,
                    "palette-option-" + KeyboardState.palette_index.to_string(),
                    None,
                ),
                max_length=100,
                custom_attrs={"onKeyDownCapture": _PALETTE_KEYS},
            ),
            rx.cond(KeyboardState.palette_error != "", rx.text(KeyboardState.palette_error, color_scheme="red",
                                                                 size="2", role="alert"), rx.fragment()),
            rx.box(
                rx.cond(
                    KeyboardState.palette_rows.length() > 0,
                    rx.foreach(KeyboardState.palette_rows, _result),
                    rx.text("Nothing matches.", size="2", color_scheme="gray", padding="0.5rem"),
                ),
                id="palette-results",
                role="listbox",
                aria_label="Results",
                max_height="22rem",
                overflow_y="auto",
                margin_top="0.75rem",
            ),
            rx.text("↑ ↓ to move · Enter to open · Esc to close", size="1", color_scheme="gray", margin_top="0.5rem"),
            rx.dialog.description("Search everything in the current space.", size="1", color_scheme="gray",
                                  style={"position": "absolute", "width": "1px", "height": "1px",
                                         "overflow": "hidden", "clip": "rect(0 0 0 0)"}),
            max_width="36rem",
        ),
        open=KeyboardState.palette_open,
        on_open_change=KeyboardState.set_palette_open,
    )


def keyboard_layer() -> rx.Component:
    """Mounted once by app_shell."""
    return rx.fragment(rx.script(src="/keys.js"), triggers(), shortcuts_dialog(), palette_dialog())
