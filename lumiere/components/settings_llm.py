"""Settings → LLM: the user's own OpenAI-compatible key, base URL and model, with a test button."""

from __future__ import annotations

import reflex as rx

from lumiere.components.forms import labelled_input
from lumiere.components.settings_parts import field_error, form_level_error, settings_section
from lumiere.state.settings import SettingsState


def _status() -> rx.Component:
    return rx.cond(
        SettingsState.llm_has_key,
        rx.badge(rx.icon("key-round", size=14), "Your own key is saved", color_scheme="grass", size="2"),
        rx.badge("Using the server's LLM", color_scheme="gray", size="2"),
    )


def _test_result() -> rx.Component:
    return rx.cond(
        SettingsState.llm_test_detail != "",
        rx.callout.root(
            rx.callout.icon(rx.cond(SettingsState.llm_test_ok, rx.icon("circle-check"), rx.icon("triangle-alert"))),
            rx.callout.text(SettingsState.llm_test_detail),
            color_scheme=rx.cond(SettingsState.llm_test_ok, "grass", "red"),
            role="status",
            width="100%",
            data_testid="llm-test-result",
        ),
        rx.fragment(),
    )


def llm_form() -> rx.Component:
    error, field = SettingsState.llm_error, SettingsState.llm_field
    return rx.form(
        rx.vstack(
            labelled_input(
                "API key",
                "api_key",
                field_error("api_key", field, error),
                input_type="password",
                autocomplete="off",
                placeholder=rx.cond(SettingsState.llm_has_key, "Saved: type a new key to replace it", "sk-…"),
                required=False,
            ),
            labelled_input(
                "Base URL (empty: the server's)",
                "base_url",
                field_error("base_url", field, error),
                input_type="url",
                placeholder="https://api.openai.com/v1",
                default_value=SettingsState.llm_base_url,
                required=False,
            ),
            labelled_input(
                "Model (empty: the server's)",
                "model",
                field_error("model", field, error),
                placeholder="gpt-4o-mini",
                default_value=SettingsState.llm_model,
                required=False,
            ),
            form_level_error(error, field),
            rx.hstack(
                rx.button("Save LLM settings", type="submit"),
                rx.button(
                    rx.icon("plug-zap", size=16),
                    "Test connection",
                    type="button",
                    variant="soft",
                    on_click=SettingsState.check_llm,
                    loading=SettingsState.llm_testing,
                    disabled=~SettingsState.llm_has_key,
                ),
                rx.cond(
                    SettingsState.llm_has_key,
                    rx.button(
                        "Remove key",
                        type="button",
                        variant="soft",
                        color_scheme="red",
                        on_click=SettingsState.remove_llm_key,
                    ),
                    rx.fragment(),
                ),
                spacing="2",
                wrap="wrap",
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        on_submit=SettingsState.save_llm,
        reset_on_submit=False,
        key=SettingsState.llm_form_key.to_string() + "-llm",
        width="100%",
    )


def llm_section() -> rx.Component:
    return settings_section(
        "llm",
        "LLM",
        "Use your own OpenAI-compatible API key (OpenAI, Azure, a local server...). It is stored encrypted, "
        "never shown again, and your questions then do not count against the plan's LLM budget. "
        "The base URL and model apply with your key only.",
        _status(),
        llm_form(),
        _test_result(),
    )
