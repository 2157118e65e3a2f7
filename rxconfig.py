"""Reflex configuration: telemetry off, Radix theme explicit, no public upload use, CORS limited."""

import reflex as rx

from lumiere.config import get_settings
from lumiere.web.origins import cross_origins

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
# Reflex's default ("*" with credentials) lets any site call the backend; allow only the frontend
# origin and the operator's LUMIERE_CORS_ORIGINS (same-origin requests need no CORS at all).
config.cors_allowed_origins = cross_origins(config.deploy_url)
# The client address Reflex hands the pages (rate limits per address) believes X-Forwarded-For only
# behind the operator's own proxies, like the API does (LUMIERE_TRUSTED_PROXY_HOPS).
config.trusted_proxy_hops = get_settings().trusted_proxy_hops
