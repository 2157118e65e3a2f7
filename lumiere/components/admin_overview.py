"""The admin console's overview: the period selector, metric cards, activity charts, LLM costs and
system status. Figures use the answers' chart look (components.chart_viewer) in light and dark mode."""

from __future__ import annotations

import reflex as rx
from plotly.graph_objs import Figure
from plotly.io import templates

from lumiere.components.chart_viewer import DARK_LAYOUT, LIGHT_LAYOUT
from lumiere.components.feedback import table_caption
from lumiere.state.admin import CARD_ICONS, AdminState, CostRow, MetricCard


def figure(data: rx.Var, element_id: str, label: str, height: str = "20rem") -> rx.Component:
    return rx.box(
        rx.plotly(
            data=data.to(Figure),
            layout=rx.color_mode_cond(light=LIGHT_LAYOUT, dark=DARK_LAYOUT),
            template=rx.color_mode_cond(light=templates["plotly_white"], dark=templates["plotly_dark"]),
            config={"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]},
            use_resize_handler=True,
            width="100%",
            height=height,
        ),
        id=element_id,
        class_name="admin-chart",
        width="100%",
        min_height=height,
        aria_label=label,
        role="figure",
    )


def period_selector() -> rx.Component:
    return rx.hstack(
        rx.text("Period", size="2", color_scheme="gray", id="admin-period-label"),
        rx.segmented_control.root(
            rx.segmented_control.item("7 days", value="7"),
            rx.segmented_control.item("30 days", value="30"),
            rx.segmented_control.item("90 days", value="90"),
            value=AdminState.period,
            on_change=AdminState.set_period,
            aria_labelledby="admin-period-label",
        ),
        align="center",
        spacing="2",
    )


def metric_cards() -> rx.Component:
    return rx.grid(
        rx.foreach(
            AdminState.cards,
            # Icons known when the page is built are bundled; a name from state would load one at run time.
            lambda card: rx.match(
                card.icon,
                *[(icon, _card(card, icon)) for icon in CARD_ICONS[:-1]],
                _card(card, CARD_ICONS[-1]),
            ),
        ),
        columns=rx.breakpoints(initial="1", sm="2", lg="5"),
        spacing="4",
        width="100%",
    )


def _card(card: rx.Var[MetricCard], icon: str) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.center(rx.icon(icon, size=20), background=rx.color("accent", 3), padding="0.6rem", border_radius="full"),
            rx.vstack(
                rx.text(card.label, size="2", color_scheme="gray"),
                rx.heading(card.value, size="6"),
                rx.text(card.detail, size="1", color_scheme="gray"),
                spacing="0",
                min_width="0",
            ),
            align="center",
            spacing="3",
        ),
        width="100%",
        role="group",
        aria_label=card.label,
    )


def activity_charts() -> rx.Component:
    return rx.grid(
        rx.card(figure(AdminState.queries_figure, "admin-queries-chart", "Queries per day"), min_width="0"),
        rx.card(figure(AdminState.llm_cost_figure, "admin-llm-cost-chart", "LLM cost per day"), min_width="0"),
        rx.card(figure(AdminState.users_figure, "admin-users-chart", "New and active users per day"), min_width="0"),
        rx.card(
            rx.cond(
                AdminState.has_storage,
                figure(AdminState.storage_figure, "admin-storage-chart", "Storage by user"),
                rx.center(rx.text("No data stored yet.", color_scheme="gray"), min_height="20rem"),
            ),
            min_width="0",
        ),
        columns=rx.breakpoints(initial="1", lg="2"),
        spacing="4",
        width="100%",
    )


def _cost_table(rows: rx.Var[list[CostRow]], first: str, caption: str) -> rx.Component:
    numeric = {"text_align": "right", "white_space": "nowrap"}
    return rx.box(
        rx.table.root(
            table_caption(caption),
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(first),
                    rx.table.column_header_cell("Calls", **numeric),
                    rx.table.column_header_cell("Prompt tokens", **numeric),
                    rx.table.column_header_cell("Completion tokens", **numeric),
                    rx.table.column_header_cell("Cost", **numeric),
                    rx.table.column_header_cell("Own-key cost", **numeric),
                )
            ),
            rx.table.body(
                rx.foreach(
                    rows,
                    lambda row: rx.table.row(
                        rx.table.row_header_cell(row.label, max_width="20rem", overflow="hidden",
                                                 text_overflow="ellipsis", title=row.label),
                        rx.table.cell(row.calls, **numeric),
                        rx.table.cell(row.prompt_tokens, **numeric),
                        rx.table.cell(row.completion_tokens, **numeric),
                        rx.table.cell(row.usd, **numeric),
                        rx.table.cell(row.own_key_usd, **numeric),
                    ),
                )
            ),
            size="1",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
    )


def llm_costs() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("LLM costs", size="4", as_="h2"),
            rx.text(AdminState.cost_total, size="2", color_scheme="gray"),
            rx.text("Calls made with a user's own API key are theirs to pay and shown apart.", size="1",
                    color_scheme="gray"),
            rx.cond(
                AdminState.has_costs,
                rx.vstack(
                    rx.grid(
                        figure(AdminState.cost_model_figure, "admin-cost-model-chart", "LLM cost by model", "16rem"),
                        figure(AdminState.cost_purpose_figure, "admin-cost-purpose-chart", "LLM cost by purpose",
                               "16rem"),
                        columns=rx.breakpoints(initial="1", lg="2"),
                        spacing="4",
                        width="100%",
                    ),
                    rx.tabs.root(
                        rx.tabs.list(
                            rx.tabs.trigger("By user", value="user"),
                            rx.tabs.trigger("By model", value="model"),
                            rx.tabs.trigger("By purpose", value="purpose"),
                        ),
                        rx.tabs.content(_cost_table(AdminState.cost_users, "User", "LLM cost by user"), value="user",
                                        padding_top="0.75rem"),
                        rx.tabs.content(_cost_table(AdminState.cost_models, "Model", "LLM cost by model"),
                                        value="model", padding_top="0.75rem"),
                        rx.tabs.content(_cost_table(AdminState.cost_purposes, "Purpose", "LLM cost by purpose"),
                                        value="purpose", padding_top="0.75rem"),
                        default_value="user",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                rx.text("No LLM calls in this period.", color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _status_line(label: str, ok: rx.Var[bool], text: rx.Var[str], ok_label: str = "OK",
                 off_label: str = "Down") -> rx.Component:
    return rx.hstack(
        rx.text(label, weight="medium", size="2", min_width="7rem"),
        rx.cond(ok, rx.badge(ok_label, color_scheme="green"), rx.badge(off_label, color_scheme="red")),
        rx.text(text, size="2", color_scheme="gray"),
        align="center",
        spacing="2",
        wrap="wrap",
    )


def system_status() -> rx.Component:
    status = AdminState.status
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("System status", size="4", as_="h2"),
                rx.button(rx.icon("refresh-cw", size=14), "Check again", on_click=AdminState.refresh_status,
                          variant="soft", size="1"),
                justify="between",
                width="100%",
            ),
            _status_line("App database", status.database_ok, status.database),
            rx.cond(
                status.redis_configured,
                _status_line("Redis", status.redis_ok, status.redis),
                rx.hstack(
                    rx.text("Redis", weight="medium", size="2", min_width="7rem"),
                    rx.badge("Not configured", color_scheme="gray"),
                    rx.text(status.redis, size="2", color_scheme="gray"),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
            ),
            rx.hstack(
                rx.text("Data folder", weight="medium", size="2", min_width="7rem"),
                rx.text(status.data_size, size="2"),
                rx.text("·", size="2", color_scheme="gray"),
                rx.text(status.free_disk, size="2", color_scheme="gray"),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.text("Checked ", status.checked, size="1", color_scheme="gray"),
            spacing="2",
            width="100%",
        ),
        width="100%",
        role="region",
        aria_label="System status",
    )
