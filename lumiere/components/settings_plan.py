"""Settings → Usage (a meter per limit this month) and Plan (cards with a switch button)."""

from __future__ import annotations

import reflex as rx

from lumiere.components.settings_parts import settings_section
from lumiere.state.settings import SettingsState
from lumiere.state.settings_plan import PlanCard, UsageMeter


def usage_meter(meter: rx.Var[UsageMeter]) -> rx.Component:
    label_id = "meter-" + meter.key
    return rx.vstack(
        rx.hstack(
            rx.text(meter.label, weight="medium", size="2", id=label_id),
            rx.text(meter.summary, size="2", color_scheme="gray", data_testid="usage-summary"),
            justify="between",
            width="100%",
        ),
        rx.progress(
            value=meter.percent,
            max=100,
            color_scheme=meter.color,
            aria_labelledby=label_id,
            aria_valuetext=meter.summary,
            width="100%",
        ),
        spacing="1",
        width="100%",
        data_testid="usage-meter",
    )


def usage_section() -> rx.Component:
    return settings_section(
        "usage",
        "Usage",
        "What your plan allows and how much of it you use. Queries and LLM spend start again each month.",
        rx.text(SettingsState.usage_period, size="2", color_scheme="gray"),
        rx.grid(
            rx.foreach(SettingsState.usage_meters, usage_meter),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
    )


def plan_card(card: rx.Var[PlanCard]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(card.title, size="4", as_="h3"),
                rx.cond(card.current, rx.badge("Current plan", color_scheme="grass"), rx.fragment()),
                justify="between",
                align="center",
                width="100%",
            ),
            rx.text(card.price, size="5", weight="bold"),
            rx.text(card.description, size="2", color_scheme="gray"),
            rx.el.ul(
                rx.foreach(card.limits, lambda line: rx.el.li(rx.text(line, size="2"))),
                style={"padding_left": "1.1rem", "margin": "0"},
            ),
            rx.cond(
                card.current,
                rx.button("Your plan", disabled=True, variant="soft", width="100%"),
                rx.button(
                    "Switch to " + card.title,
                    on_click=SettingsState.switch_plan(card.name),
                    loading=SettingsState.plan_switching == card.name,
                    width="100%",
                ),
            ),
            spacing="2",
            align="start",
            height="100%",
        ),
        border=rx.cond(card.current, f"2px solid {rx.color('grass', 8)}", "none"),
        width="100%",
        data_testid="plan-card",
    )


def plan_section() -> rx.Component:
    return settings_section(
        "plan",
        "Plan",
        "Switch plans at any time. Moving to a smaller plan needs your data to fit it first.",
        rx.cond(
            SettingsState.plan_error != "",
            rx.callout.root(
                rx.callout.icon(rx.icon("triangle-alert")),
                rx.callout.text(SettingsState.plan_error),
                color_scheme="red",
                role="alert",
                width="100%",
            ),
            rx.fragment(),
        ),
        rx.grid(
            rx.foreach(SettingsState.plan_cards, plan_card),
            columns=rx.breakpoints(initial="1", md="2", lg="3"),
            spacing="4",
            width="100%",
        ),
    )
