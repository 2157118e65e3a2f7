"""The admin console's plans editor: every plan's price and limits, edited (or created) in a dialog
where an empty limit means unlimited."""

from __future__ import annotations

import reflex as rx

from lumiere.components.feedback import table_caption
from lumiere.components.forms import field_label, form_error
from lumiere.state.admin import AdminState
from lumiere.state.admin_plans import LIMIT_LABELS, UNLIMITED, PlanRow

NUMERIC = {"text_align": "right", "white_space": "nowrap"}


def _row(plan: rx.Var[PlanRow]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(plan.title, weight="medium", size="2"),
                rx.code(plan.name, variant="ghost", size="1", color_scheme="gray"),
                spacing="0",
            ),
        ),
        rx.table.cell(plan.price, **NUMERIC),
        *[
            rx.table.cell(
                plan.limits[index],
                color=rx.cond(plan.limits[index] == UNLIMITED, rx.color("gray", 10), "inherit"),
                **NUMERIC,
            )
            for index in range(len(LIMIT_LABELS))
        ],
        rx.table.cell(
            rx.button(rx.icon("pencil", size=14), "Edit", on_click=AdminState.edit_plan(plan.name), size="1",
                      variant="soft", aria_label="Edit plan " + plan.name.to(str)),
        ),
        aria_label=plan.name,
    )


def _number_field(name: str, label: str) -> rx.Component:
    field_id = f"plan-{name}"
    return rx.vstack(
        field_label(label, field_id, font_size="0.8rem"),
        rx.input(
            id=field_id,
            name=name,
            default_value=AdminState.plan_form[name],
            placeholder=UNLIMITED,
            inputmode="decimal",
            max_length=20,
            width="100%",
        ),
        spacing="1",
        width="100%",
    )


def plan_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(AdminState.plan_form_new, "New plan", "Edit plan " + AdminState.plan_form["name"])),
            rx.dialog.description("Leave a limit empty for unlimited. Storage is in MB, the LLM budget in US dollars.",
                                  size="2", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    form_error(AdminState.plan_form_error),
                    rx.cond(
                        AdminState.plan_form_new,
                        rx.vstack(
                            field_label("Name (in the API, e.g. team)", "plan-name", font_size="0.8rem"),
                            rx.input(id="plan-name", name="name", default_value=AdminState.plan_form["name"],
                                     max_length=20, required=True, width="100%"),
                            spacing="1",
                            width="100%",
                        ),
                        rx.fragment(),
                    ),
                    rx.grid(
                        rx.vstack(
                            field_label("Title", "plan-title", font_size="0.8rem"),
                            rx.input(id="plan-title", name="title", default_value=AdminState.plan_form["title"],
                                     max_length=60, required=True, width="100%"),
                            spacing="1",
                            width="100%",
                        ),
                        _number_field("price_usd_per_month", "Price ($ / month)"),
                        columns="2",
                        spacing="3",
                        width="100%",
                    ),
                    rx.vstack(
                        field_label("Description", "plan-description", font_size="0.8rem"),
                        rx.input(id="plan-description", name="description",
                                 default_value=AdminState.plan_form["description"], max_length=300, width="100%"),
                        spacing="1",
                        width="100%",
                    ),
                    rx.grid(
                        *[_number_field(name, label) for name, label in LIMIT_LABELS.items()],
                        columns=rx.breakpoints(initial="1", sm="2"),
                        spacing="3",
                        width="100%",
                    ),
                    rx.hstack(
                        rx.button("Cancel", type="button", variant="soft", color_scheme="gray",
                                  on_click=AdminState.close_plan_form),
                        rx.button("Save plan", type="submit"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=AdminState.save_plan,
                reset_on_submit=False,
                key=AdminState.plan_form_key.to_string(),
            ),
            max_width="40rem",
        ),
        open=AdminState.plan_form_open,
        on_open_change=AdminState.set_plan_form_open,
    )


def plans_editor() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Plans", size="4", as_="h2"),
                rx.button(rx.icon("plus", size=14), "New plan", on_click=AdminState.new_plan, size="2",
                          variant="soft"),
                justify="between",
                align="center",
                width="100%",
            ),
            rx.box(
                rx.table.root(
                    table_caption("Plans"),
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Plan"),
                            rx.table.column_header_cell("Price", **NUMERIC),
                            *[rx.table.column_header_cell(label, **NUMERIC) for label in LIMIT_LABELS.values()],
                            rx.table.column_header_cell("Actions"),
                        )
                    ),
                    rx.table.body(rx.foreach(AdminState.plans, _row)),
                    size="1",
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
            ),
            plan_dialog(),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
