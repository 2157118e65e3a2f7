"""Issue 11 item 7 in a real browser: a vague request shows a grid of exploration cards; a card opens
as a question of its own in the SQL editor and runs like any SQL."""

from __future__ import annotations

import re

import plotly.data
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import ask, table_rows, user_with_sample

GAPMINDER = plotly.data.gapminder()


def test_show_me_something_interesting_gives_cards(page: Page):
    source_id = user_with_sample(page, "Explorer One")
    page.goto(f"/query?source={source_id}")
    ask(page, "show me something interesting")

    grid = page.locator("#exploration-grid")
    expect(grid).to_be_visible()
    cards = grid.locator(".exploration-card")
    expect(cards).to_have_count(6)
    expect(grid.locator(".js-plotly-plot")).to_have_count(6, timeout=30_000)
    for title in ("Average lifeExp by year", "Most common continent", "Average lifeExp by continent"):
        expect(grid.get_by_role("heading", name=title, level=3)).to_be_visible()
    expect(grid).to_contain_text("Africa: 624 of 1,704 rows (36.6%)")
    expect(grid.locator("#exploration-card-0 .scatterlayer .trace")).to_have_count(1)  # the trend's line
    expect(grid.locator("#exploration-card-1 .barlayer .point")).to_have_count(5)  # five continents
    page.set_viewport_size({"width": 1400, "height": 1000})
    grid.scroll_into_view_if_needed()
    grid.screenshot(path=str(ARTIFACTS / "explore-cards.png"))

    page.get_by_role("button", name="Open as question: Most common continent").click()
    editor = page.locator("#sql-editor")
    expect(editor).to_be_visible()
    expect(editor).to_have_value(re.compile(r'SELECT "continent", count\(\*\) AS "rows" FROM "gapminder"'))
    page.get_by_role("button", name="Run SQL").click()
    expect(grid).to_have_count(0, timeout=60_000)  # an ordinary answer now
    expect(page.get_by_role("heading", name="Most common continent", level=2)).to_be_visible()
    counts = GAPMINDER["continent"].value_counts()
    assert {(row[0], row[1]) for row in table_rows(page, "Query results")} == {
        (continent, f"{count:,}") for continent, count in counts.items()
    }
