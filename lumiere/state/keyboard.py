"""The keyboard layer's state: the shortcuts dialog and the command palette (Ctrl/Cmd+K).

assets/keys.js only clicks the hidden trigger buttons of components/keyboard.py; what the
palette finds comes from `services.palette.search`, for the signed-in user and space.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from lumiere.services import palette
from lumiere.state.auth import AuthState
from lumiere.state.service_calls import Failed

KIND_LABELS = {
    palette.PaletteKind.PAGE: "Page",
    palette.PaletteKind.SOURCE: "Source",
    palette.PaletteKind.INSIGHT: "Insight",
    palette.PaletteKind.HISTORY: "History",
    palette.PaletteKind.CHAT: "Chat",
}


@dataclass(frozen=True)
class PaletteRow:
    position: int
    kind: str
    label: str
    detail: str
    url: str


class KeyboardState(AuthState):
    shortcuts_open: bool = False
    palette_open: bool = False
    palette_text: str = ""
    palette_rows: list[PaletteRow] = []
    palette_index: int = 0
    palette_error: str = ""

    @rx.event
    def open_shortcuts(self):
        self.palette_open = False
        self.shortcuts_open = True

    @rx.event
    def set_shortcuts_open(self, is_open: bool):
        self.shortcuts_open = is_open

    @rx.event
    async def open_palette(self):
        self.shortcuts_open = False
        self.palette_open = True
        self.palette_text = ""
        await self._search()
        return rx.set_focus("palette-search")

    @rx.event
    def set_palette_open(self, is_open: bool):
        self.palette_open = is_open

    @rx.event
    async def search(self, text: str):
        self.palette_text = text[: palette.MAX_QUERY]
        await self._search()

    async def _search(self) -> None:
        text = self.palette_text
        space = self._space()
        found = await self._call_service(lambda session, user: palette.search(session, user, space, text))
        self.palette_index = 0
        if isinstance(found, Failed):
            self.palette_rows, self.palette_error = [], found.message
            return
        self.palette_error = ""
        self.palette_rows = [
            PaletteRow(position, KIND_LABELS[item.kind], item.label, item.detail, item.url)
            for position, item in enumerate(found)
        ]

    @rx.event
    def palette_key(self, key: str):
        """Arrow keys move the highlight (wrapping), Enter opens the highlighted result."""
        count = len(self.palette_rows)
        if not count:
            return None
        if key == "ArrowDown":
            self.palette_index = (self.palette_index + 1) % count
        elif key == "ArrowUp":
            self.palette_index = (self.palette_index - 1) % count
        elif key == "Enter":
            return self._open(self.palette_index)
        return None

    @rx.event
    def choose(self, position: int):
        """A click on a result (by its position: the browser never hands back a URL to go to)."""
        return self._open(position)

    def _open(self, position: int):
        if not 0 <= position < len(self.palette_rows):
            return None
        self.palette_open = False
        return rx.redirect(self.palette_rows[position].url)
