"""/data/upload: drop or pick CSV files; each one streams to the server with its own progress bar."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.sequence import ArrayVar
from reflex_base.event import parse_args_spec, passthrough_event_spec
from reflex_components_core.el.elements.forms import Input

from lumiere import routes
from lumiere.components.a11y import link_button
from lumiere.components.layout import app_shell, page_header
from lumiere.state.data_upload import ACCEPT, UploadRow, UploadState

UPLOAD_ID = "csv-upload"
FILE_INPUT_ID = "csv-file-input"


def _dropped_files_meta() -> rx.Var:
    """Name and size of each dropped file, read in the browser from the drop event's File objects.

    They travel with the upload as bound handler args (ahead of the file data), so the server can
    show each file's progress as a share of its size.
    """
    dropped = parse_args_spec(passthrough_event_spec(list[rx.UploadFile]))[0][0]
    return dropped.to(ArrayVar).map(lambda file: {"name": file.to(dict)["name"], "size": file.to(dict)["size"]})


def _rejected_files_meta() -> rx.Var:
    """What the page needs to explain a refusal; the refused File objects themselves stay in the browser."""
    rejected = parse_args_spec(passthrough_event_spec(list[dict[str, Any]]))[0][0]
    return rejected.to(ArrayVar).map(
        lambda item: {
            "name": item.to(dict)["file"].to(dict)["name"],
            "size": item.to(dict)["file"].to(dict)["size"],
            "codes": item.to(dict)["errors"].to(ArrayVar).map(lambda error: error.to(dict)["code"]),
        }
    )


def _labelled_file_input(zone: rx.Component) -> rx.Component:
    """Gives the drop zone's own <input type=file> an id, so a visible <label> opens the picker."""
    root = zone.children[0]
    original = root.children[0]
    if not isinstance(original, Input):
        raise TypeError("rx.upload no longer starts its drop zone with the file input; update this page.")
    labelled = Input.create(type="file", id=FILE_INPUT_ID, aria_label="Choose CSV files")
    labelled.special_props = original.special_props
    root.children[0] = labelled
    return zone


def drop_zone() -> rx.Component:
    zone = rx.upload.root(
        rx.vstack(
            rx.icon("cloud-upload", size=40, color=rx.color("accent", 9)),
            rx.heading("Drop CSV files here", size="4", as_="h2"),
            rx.text(
                "or ",
                rx.el.label(
                    "choose files",
                    html_for=FILE_INPUT_ID,
                    style={
                        "color": rx.color("indigo", 11),  # the surrounding gray text would turn "accent" gray
                        "text_decoration": "underline",
                        "cursor": "pointer",
                        "font_weight": "500",
                    },
                ),
                " from your computer",
                color_scheme="gray",
            ),
            rx.text(
                ".csv, .tsv or .txt · up to ",
                UploadState.max_upload_label,
                " per file · several files at once",
                size="2",
                color_scheme="gray",
            ),
            align="center",
            spacing="2",
        ),
        id=UPLOAD_ID,
        accept=ACCEPT,
        max_size=UploadState.max_upload_bytes,
        multiple=True,
        no_click=True,
        disabled=UploadState.uploading,
        on_drop=UploadState.receive_upload(rx.upload_files_chunk(upload_id=UPLOAD_ID), _dropped_files_meta()),
        on_drop_rejected=UploadState.files_rejected(_rejected_files_meta()),
        border=f"2px dashed {rx.color('accent', 7)}",
        border_radius="var(--radius-4)",
        padding="3rem 1rem",
        width="100%",
        background=rx.color("accent", 2),
        drag_active_style={"background": rx.color("accent", 4), "border_color": rx.color("accent", 10)},
    )
    # react-dropzone gives its root role="presentation", so the region's name sits on a wrapper.
    return rx.box(_labelled_file_input(zone), role="region", aria_label="Drop zone for CSV files", width="100%")


def _status_badge(item: rx.Var[UploadRow]) -> rx.Component:
    return rx.match(
        item.status,
        ("done", rx.badge(rx.icon("check", size=12), "Ready", color_scheme="green")),
        ("error", rx.badge(rx.icon("x", size=12), "Refused", color_scheme="red")),
        ("reading", rx.badge(rx.spinner(size="1"), "Reading", color_scheme="blue")),
        rx.badge(rx.spinner(size="1"), "Uploading", color_scheme="blue"),
    )


def upload_row(item: rx.Var[UploadRow]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.hstack(
                    rx.icon("file-spreadsheet", size=18),
                    rx.text(item.name, weight="medium"),
                    rx.text(item.size_label, size="1", color_scheme="gray"),
                    align="center",
                    spacing="2",
                ),
                _status_badge(item),
                justify="between",
                align="center",
                width="100%",
            ),
            rx.cond(
                item.status != "error",
                rx.progress(
                    value=item.percent.to(int),
                    max=100,
                    width="100%",
                    aria_label="Upload progress of " + item.name.to(str),
                    color_scheme=rx.cond(item.status == "done", "green", "indigo"),
                ),
                rx.fragment(),
            ),
            rx.cond(
                item.status == "error",
                rx.text(item.message, color_scheme="red", size="2", role="alert"),
                rx.cond(item.message != "", rx.text(item.message, size="2", color_scheme="gray"), rx.fragment()),
            ),
            rx.cond(
                item.source_id != "",
                rx.link(
                    rx.hstack(
                        rx.text("Open ", item.source_name),
                        rx.icon("arrow-right", size=14),
                        align="center",
                        spacing="1",
                    ),
                    href=routes.source_url(item.source_id),
                    weight="medium",
                ),
                rx.fragment(),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def upload_content() -> rx.Component:
    return rx.vstack(
        page_header(
            "Upload CSV files",
            "Each file becomes a data source you can ask questions about.",
            link_button(rx.icon("arrow-left", size=16), "Back to Data", variant="soft", href=routes.DATA.path),
        ),
        drop_zone(),
        rx.cond(
            UploadState.uploads.length() > 0,
            rx.vstack(
                rx.flex(
                    rx.heading("Files", size="4", as_="h2"),
                    rx.button(
                        "Clear finished",
                        on_click=UploadState.clear_finished,
                        variant="ghost",
                        size="1",
                        disabled=UploadState.uploading,
                    ),
                    justify="between",
                    align="center",
                    width="100%",
                ),
                rx.foreach(UploadState.uploads, upload_row),
                spacing="2",
                width="100%",
                aria_live="polite",
            ),
            rx.fragment(),
        ),
        spacing="4",
        width="100%",
    )


def upload_page() -> rx.Component:
    return app_shell("Upload", upload_content)
