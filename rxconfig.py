"""Reflex configuration: telemetry off, Radix theme explicit, no public upload use."""

import reflex as rx

config = rx.Config(
    app_name="lumiere",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium", has_background=True)
        ),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
