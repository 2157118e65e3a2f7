"""ChartViewer: the answer's Plotly figure with a type switcher, column pickers, title and export.

The figure comes from our own chart service as plain JSON; the component only chooses colours
for the page's light or dark mode, and exports with Plotly's own client-side image export.
"""

from __future__ import annotations

import reflex as rx
from plotly.graph_objs import Figure
from plotly.io import templates
from reflex.event import EventSpec

from lumiere.components.a11y import card_boundary
from lumiere.state.chart import SWITCHABLE_TYPES, ChartMixin

CHART_ELEMENT_ID = "chart-viewer"
TYPE_LABELS = {
    "bar": "Bar",
    "line": "Line",
    "area": "Area",
    "pie": "Pie",
    "scatter": "Scatter",
    "histogram": "Histogram",
}

# Text and grid colours per colour mode, laid over the figure (the service draws it for light mode).
LIGHT_LAYOUT = {
    "font": {"color": "#1f2937"},
    "xaxis": {"gridcolor": "#e5e7eb", "zerolinecolor": "#e5e7eb"},
    "yaxis": {"gridcolor": "#e5e7eb", "zerolinecolor": "#e5e7eb"},
}
DARK_LAYOUT = {
    "font": {"color": "#e5e7eb"},
    "xaxis": {"gridcolor": "#374151", "zerolinecolor": "#4b5563"},
    "yaxis": {"gridcolor": "#374151", "zerolinecolor": "#4b5563"},
}

# Finds the figure's graph div and hands it to the toImage button's own handler with the wanted
# format, so the export is Plotly's (the image is drawn in the browser, never on the server).
_EXPORT_SCRIPT = """(() => {{
  const graph = document.querySelector('#{element} .js-plotly-plot');
  if (!graph || !graph._fullLayout || !graph._fullLayout._modeBar) {{ return false; }}
  const toImage = graph._fullLayout._modeBar.buttons.flat().find((button) => button.name === 'toImage');
  if (!toImage) {{ return false; }}
  const previous = graph._context.toImageButtonOptions;
  graph._context.toImageButtonOptions = {{format: '{fmt}', filename: {filename}, scale: {scale}}};
  try {{ toImage.click(graph); }} finally {{ graph._context.toImageButtonOptions = previous; }}
  return true;
}})()"""


def export_chart(filename: rx.Var[str], fmt: str) -> EventSpec:
    script = _EXPORT_SCRIPT.format(
        element=CHART_ELEMENT_ID, fmt=fmt, filename=rx.Var.create(filename).to_string(), scale=2 if fmt == "png" else 1
    )
    return rx.run_script(rx.Var(script, _var_data=filename._get_all_var_data()))


def _picker(
    label: str, element_id: str, value: rx.Var[str], options: rx.Var[list[str]], on_change: rx.EventHandler
) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=element_id, style={"font_size": "0.8rem", "font_weight": "500"}),
        rx.select.root(
            rx.select.trigger(id=element_id, aria_label=label, placeholder="Choose", min_width="8rem"),
            rx.select.content(rx.foreach(options, lambda option: rx.select.item(option, value=option))),
            value=value,
            on_change=on_change,
            size="1",
        ),
        spacing="1",
        align="start",
    )


def _controls(state: type[ChartMixin]) -> rx.Component:
    return rx.vstack(
        rx.radio_cards.root(
            *[
                rx.radio_cards.item(rx.text(TYPE_LABELS[kind], size="1"), value=kind, padding_y="0.35rem")
                for kind in SWITCHABLE_TYPES
            ],
            value=state.chart_type,
            on_value_change=state.set_chart_type,
            columns=rx.breakpoints(initial="3", sm="6"),
            gap="1",
            size="1",
            aria_label="Chart type",
            width="100%",
        ),
        rx.flex(
            _picker("X axis", "chart-x", state.chart_x, state.chart_columns, state.set_chart_x),
            rx.cond(
                state.chart_type != "histogram",
                _picker("Y axis", "chart-y", state.chart_y, state.chart_columns, state.set_chart_y),
                rx.fragment(),
            ),
            rx.cond(
                state.chart_type != "pie",
                _picker("Colour", "chart-color", state.chart_color, state.chart_colour_options, state.set_chart_color),
                rx.fragment(),
            ),
            rx.form(
                rx.vstack(
                    rx.el.label("Title", html_for="chart-title", style={"font_size": "0.8rem", "font_weight": "500"}),
                    rx.hstack(
                        rx.input(
                            id="chart-title",
                            name="chart_title",
                            default_value=state.chart_title,
                            size="1",
                            min_width="12rem",
                            max_length=120,
                        ),
                        rx.button("Rename", type="submit", size="1", variant="soft"),
                        spacing="1",
                    ),
                    spacing="1",
                    align="start",
                ),
                on_submit=state.submit_chart_title,
                reset_on_submit=False,
                key=state.chart_title_key.to_string(),
            ),
            spacing="3",
            wrap="wrap",
            align="end",
        ),
        spacing="3",
        width="100%",
    )


def _figure(state: type[ChartMixin]) -> rx.Component:
    return rx.plotly(
        data=state.chart_figure.to(Figure),
        layout=rx.color_mode_cond(light=LIGHT_LAYOUT, dark=DARK_LAYOUT),
        template=rx.color_mode_cond(light=templates["plotly_white"], dark=templates["plotly_dark"]),
        config={"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]},
        use_resize_handler=True,
        width="100%",
        height="26rem",
    )


def chart_viewer(state: type[ChartMixin]) -> rx.Component:
    return card_boundary(_chart_card(state), "chart")


def _chart_card(state: type[ChartMixin]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.heading("Chart", size="4", as_="h2"),
                rx.hstack(
                    rx.button(
                        rx.icon("image-down", size=14),
                        "PNG",
                        on_click=export_chart(state.chart_export_name, "png"),
                        variant="soft",
                        size="1",
                        disabled=~state.has_chart,
                        aria_label="Export chart as PNG",
                    ),
                    rx.button(
                        rx.icon("file-image", size=14),
                        "SVG",
                        on_click=export_chart(state.chart_export_name, "svg"),
                        variant="soft",
                        size="1",
                        disabled=~state.has_chart,
                        aria_label="Export chart as SVG",
                    ),
                    spacing="2",
                    align="center",
                ),
                justify="between",
                align="center",
                width="100%",
            ),
            _controls(state),
            rx.cond(
                state.chart_error != "",
                rx.callout(
                    state.chart_error, icon="triangle-alert", color_scheme="red", role="alert", size="1", width="100%"
                ),
                rx.fragment(),
            ),
            rx.cond(
                state.has_chart,
                rx.skeleton(
                    rx.box(
                        _figure(state),
                        id=CHART_ELEMENT_ID,
                        width="100%",
                        min_height="26rem",
                        role="figure",
                        aria_label=state.chart_title,
                    ),
                    loading=state.chart_busy,
                ),
                rx.center(
                    rx.text(
                        "These rows read best as a table. Pick a chart type above to draw them.", color_scheme="gray"
                    ),
                    min_height="8rem",
                    width="100%",
                ),
            ),
            rx.foreach(state.chart_notes, lambda note: rx.text(note, size="1", color_scheme="gray")),
            spacing="3",
            width="100%",
        ),
        width="100%",
        min_width="0",
    )
