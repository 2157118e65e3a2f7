"""The appearance follows the account, not the browser.

Reflex keeps the color mode in the browser's localStorage, and a backend handler cannot set it
(`set_color_mode` is a client-side script). So every signed-in page holds `ThemeFollower`, whose
React effect applies `AuthState.user_theme` whenever the server sends a new value: on each page
load (the user's row is read again) and after the user picks another appearance. The top bar's
toggle switches at once in the browser and stores the choice on the account.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var, VarData
from reflex_base.constants import ColorMode
from reflex_base.style import color_mode_imports, resolved_color_mode, set_color_mode
from reflex_base.utils.imports import ImportVar

from lumiere.state.auth import AuthState


def _color_mode_context(name: str) -> Var:
    """A value of Reflex's ColorModeContext, declared exactly as Reflex declares it (so the two
    declarations are one after de-duplication, never a duplicate `const`)."""
    return Var(
        _js_expr=name,
        _var_data=VarData(
            imports=color_mode_imports, hooks={f"const {{ {name} }} = useContext(ColorModeContext)": None}
        ),
    )


class ThemeFollower(rx.Fragment):
    """Renders nothing; applies the account's stored appearance when it arrives or changes."""

    def add_hooks(self) -> list[str | Var]:
        stored = AuthState.user_theme
        current = _color_mode_context(ColorMode.NAME)
        apply = _color_mode_context(ColorMode.SET)
        effect = (
            f"useEffect(() => {{ if ({stored} && {stored} !== {current}) {{ {apply}({stored}); }} }}, [{stored}])"
        )
        return [
            Var(
                _js_expr=effect,
                _var_data=VarData.merge(
                    stored._get_all_var_data(),
                    current._get_all_var_data(),
                    apply._get_all_var_data(),
                    VarData(imports={"react": [ImportVar(tag="useEffect")]}),
                ),
            )
        ]


theme_follower = ThemeFollower.create


def theme_toggle() -> rx.Component:
    """Light ↔ dark at once in this browser, and stored on the account for the others."""
    other = rx.cond(resolved_color_mode == "dark", "light", "dark")
    return rx.icon_button(
        rx.color_mode.icon(),
        on_click=[set_color_mode(other), AuthState.save_theme(other)],
        aria_label="Toggle dark mode",
        variant="ghost",
    )
