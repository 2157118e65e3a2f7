"""Issues 4 and 5 in a real browser: ask the sample dataset, then chart, export, insight, save; history."""

from __future__ import annotations

import re

import plotly.data
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, register_in_browser
from tests.e2e.flows import QUESTION, ask, new_email, table_rows, user_with_sample, wait_for_answer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _expected_counts() -> set[tuple[str, str]]:
    counts = plotly.data.gapminder().groupby("continent").size()
    return {(continent, f"{count:,}") for continent, count in counts.items()}


def _answer_rows(page: Page) -> set[tuple[str, str]]:
    rows = table_rows(page, "Query results")
    header = page.get_by_role("table", name="Query results").locator("thead th").all_inner_texts()
    continent = next(i for i, text in enumerate(header) if text.lower().startswith("continent"))
    count = 1 - continent
    return {(row[continent], row[count]) for row in rows}


def test_sample_ask_chart_export_insight_save(page: Page):
    source_id = user_with_sample(page, "Asker One")
    page.get_by_role("link", name="Ask about this data").click()
    page.wait_for_url(re.compile(rf".*/query\?source={source_id}$"))
    ask(page, QUESTION)

    # The answer comes first: the chart, then the insight, the rows, and the SQL folded last.
    order = page.evaluate(
        "['#chart-viewer', '#insight-text', 'table', '#sql-details']"
        ".map(s => document.querySelector(s)?.getBoundingClientRect().top ?? -1)"
    )
    chart, insight, table, sql = order
    assert -1 not in order and max(chart, insight) < table < sql, order  # chart and insight side by side, then rows
    expect(page.get_by_role("region", name="Generated SQL")).to_be_hidden()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "answers-ask-order.png"), full_page=True)
    page.get_by_text("Show the SQL").click()
    expect(page.get_by_role("region", name="Generated SQL")).to_contain_text("GROUP BY")
    header = page.get_by_role("table", name="Query results").locator("thead th").first
    expect(header).to_contain_text("Continent")  # in words, the SQL name under it
    expect(header).to_contain_text("continent · VARCHAR")
    assert _answer_rows(page) == _expected_counts()
    expect(page.get_by_text("5 rows", exact=True)).to_be_visible()

    chart = page.locator("#chart-viewer .js-plotly-plot")
    expect(chart).to_be_visible(timeout=30_000)
    expect(page.locator("#chart-viewer .barlayer .point")).to_have_count(5)
    page.get_by_role("radio", name="Pie").click()
    expect(page.locator("#chart-viewer .pielayer .slice")).to_have_count(5, timeout=30_000)
    expect(page.get_by_role("radio", name="Pie")).to_be_checked()

    with page.expect_download(timeout=30_000) as download_info:
        page.get_by_role("button", name="Export chart as PNG").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".png")
    with open(download.path(), "rb") as image:
        assert image.read(8) == PNG_SIGNATURE
    with page.expect_download(timeout=30_000) as svg_info:
        page.get_by_role("button", name="Export chart as SVG").click()
    with open(svg_info.value.path(), "rb") as image:
        assert b"<svg" in image.read(400)

    insight = page.locator("#insight-text")
    expect(insight).to_contain_text("Africa", timeout=60_000)
    page.get_by_role("button", name="Copy insight").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Africa" in copied and "624" in copied
    page.get_by_role("button", name="Save insight").click()
    expect(page.get_by_role("button", name="Unsave insight")).to_be_visible()

    # The chart choice is saved with the query: opening the entry again shows the pie.
    page.reload()
    expect(page.locator("#chart-viewer .pielayer .slice")).to_have_count(5, timeout=30_000)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    page.wait_for_url(re.compile(r".*/insights$"))
    saved = page.get_by_role("listitem").filter(has_text=QUESTION)
    expect(saved).to_contain_text("Africa")
    expect(saved).to_contain_text("gapminder")  # its source
    expect(saved.locator(".pielayer .slice")).to_have_count(5, timeout=30_000)  # and its chart
    expect(saved.get_by_role("button", name=re.compile("^Remove from saved"))).to_be_visible()
    expect(saved.get_by_role("button", name=re.compile("^Delete"))).to_contain_text("Delete")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "answers-saved-insights.png"), full_page=True)
    saved.get_by_role("link", name=QUESTION).click()
    page.wait_for_url(re.compile(r".*/query\?query=\d+$"))
    expect(page.get_by_role("table", name="Query results")).to_be_visible()


def test_unanswerable_question_offers_suggestions(page: Page):
    user_with_sample(page, "Asker Two")
    page.goto("/query")
    box = page.get_by_label("Question")
    box.fill("zzz qqq xyzzy")
    box.press("Enter")
    refusal = page.locator("#refusal-callout")  # information, not a red error
    expect(refusal).to_be_visible(timeout=60_000)
    expect(refusal).to_have_attribute("role", "status")
    expect(page.get_by_text("What to try:")).to_have_count(0)  # the suggestions are shown once, as buttons
    chips = page.get_by_role("group", name="Answerable instead").get_by_role("button")
    expect(chips.first).to_be_visible()
    chips.first.click()
    wait_for_answer(page)


def test_history_search_rerun_delete(page: Page):
    source_id = user_with_sample(page, "History User")
    page.goto(f"/query?source={source_id}")
    ask(page, QUESTION)

    page.goto("/history")
    entries = page.get_by_role("list", name="History").get_by_role("listitem")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text(QUESTION)

    search = page.get_by_label("Search questions and SQL")
    search.fill("population of mars")
    expect(page.get_by_role("heading", name="Nothing matches")).to_be_visible()
    search.fill("CONTINENT")
    expect(entries).to_have_count(1)

    entries.first.get_by_role("button", name=re.compile("^Re-run")).click()
    wait_for_answer(page)
    assert _answer_rows(page) == _expected_counts()
    expect(page.get_by_label("Question")).to_have_value(QUESTION)  # re-run keeps the question in the box

    page.goto("/history")
    expect(entries).to_have_count(2)
    entries.first.get_by_role("button", name=re.compile("^Delete")).click()
    dialog = page.get_by_role("alertdialog")
    dialog.get_by_role("button", name="Delete entry").click()
    expect(entries).to_have_count(1)
    expect(page.get_by_text("History entry deleted.")).to_be_visible()


def test_query_page_in_light_and_dark_mode(page: Page):
    source_id = user_with_sample(page, "Screenshot User")
    page.goto(f"/query?source={source_id}")
    ask(page, QUESTION)
    expect(page.locator("#chart-viewer .js-plotly-plot")).to_be_visible(timeout=30_000)
    expect(page.locator("#insight-text")).to_contain_text("Africa", timeout=60_000)
    page.mouse.move(0, 0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    html = page.locator("html")
    if "dark" in (html.get_attribute("class") or ""):
        page.get_by_role("button", name="Toggle dark mode").click()
    expect(html).not_to_have_class(re.compile(r"\bdark\b"))
    page.screenshot(path=str(ARTIFACTS / "query-light.png"), full_page=True)
    page.get_by_role("button", name="Toggle dark mode").click()
    expect(html).to_have_class(re.compile(r"\bdark\b"))
    expect(page.locator("#chart-viewer .gtitle")).to_have_css("fill", "rgb(229, 231, 235)")  # re-drawn for dark
    page.screenshot(path=str(ARTIFACTS / "query-dark.png"), full_page=True)


def test_edit_sql_runs_through_the_same_guard(page: Page):
    source_id = user_with_sample(page, "Editor User")
    page.goto(f"/query?source={source_id}")
    ask(page, QUESTION)
    page.get_by_text("Show the SQL").click()
    page.get_by_role("button", name="Copy SQL").click()
    assert "GROUP BY" in page.evaluate("navigator.clipboard.readText()")

    page.get_by_role("button", name="Edit SQL").click()
    editor = page.get_by_label("SQL", exact=True)
    editor.fill("SELECT continent, COUNT(*) AS n FROM gapminder GROUP BY continent ORDER BY n DESC LIMIT 2")
    page.get_by_role("button", name="Run SQL").click()
    expect(page.get_by_role("table", name="Query results").locator("tbody tr")).to_have_count(2, timeout=60_000)
    assert table_rows(page, "Query results") == [["Africa", "624"], ["Asia", "396"]]
    expect(page.get_by_role("heading", name=QUESTION, level=2).first).to_be_visible()  # the question stays the title

    page.get_by_text("Show the SQL").click()
    page.get_by_role("button", name="Edit SQL").click()
    editor.fill("DROP TABLE gapminder")
    page.get_by_role("button", name="Run SQL").click()
    expect(page.get_by_role("alert").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("What to try:")).to_be_visible()
    expect(page.get_by_role("region", name="SQL that failed")).to_contain_text("DROP TABLE")
    page.goto("/history")
    expect(page.get_by_role("list", name="History").get_by_role("listitem").first).to_contain_text("Refused")


def test_an_amount_uploaded_in_dollars_shows_its_unit_in_the_answer(page: Page, tmp_path):
    """Issue 11 item 6: amounts written "$1,234.50" become numbers at ingest, and an answer that sums
    them says "$" in its header."""
    tips = plotly.data.tips()
    written = tips.assign(total_bill=tips.total_bill.map(lambda v: f"${v:,.2f}"))
    csv = tmp_path / "bills.csv"
    written.to_csv(csv, index=False)
    register_in_browser(page, "Dollar User", new_email("dollar"))
    page.goto("/data/upload")
    page.get_by_label("Choose CSV files").set_input_files([csv])
    expect(page.get_by_role("progressbar", name="Upload progress of bills.csv")).to_have_attribute(
        "aria-valuenow", "100", timeout=60_000
    )
    page.get_by_role("link", name="Open bills.csv").click()
    page.wait_for_url(re.compile(r".*/data/\d+$"))
    source_id = int(page.url.rsplit("/", 1)[-1])
    page.goto(f"/query?source={source_id}")
    ask(page, "total bill by day")
    header = page.get_by_role("table", name="Query results").locator("thead th").all_inner_texts()
    assert any(text.lower().startswith("day") and "$" not in text for text in header)
    assert any("($)" in text for text in header), header
