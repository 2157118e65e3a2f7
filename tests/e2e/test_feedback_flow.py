"""Issue 11 item 4 in a real browser: a thumbs up teaches a question, a thumbs down with a corrected SQL
replaces what the engine said, and the same questions with other values reuse what was taught."""

from __future__ import annotations

import re

import plotly.data
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import table_rows, user_with_sample

CORRECTED_SQL = """SELECT "continent", SUM("pop") AS total_population
FROM gapminder WHERE "year" = 2007 GROUP BY "continent" ORDER BY "continent\""""


def _ask_and_wait(page: Page, question: str) -> None:
    """Asks on /query and waits until a new answer (a new history entry id in the URL) is shown."""
    before = page.url
    box = page.get_by_label("Question")
    box.fill(question)
    box.press("Enter")
    page.wait_for_url(lambda url: url != before and re.search(r"/query\?query=\d+$", url) is not None,
                      timeout=60_000)
    expect(page.get_by_role("heading", name=question, level=2)).to_be_visible()
    expect(page.get_by_role("table", name="Query results")).to_be_visible()


def _show_sql(page: Page) -> None:
    """Unfolds "Show the SQL" (the answer comes first; how it was made, with the reuse note, is folded below)."""
    details = page.locator("#sql-details")
    if details.get_attribute("open") is None:
        page.get_by_text("Show the SQL").click()
    expect(details).to_have_attribute("open", "")


def _population(year: int) -> dict[str, int]:
    frame = plotly.data.gapminder()
    return {str(k): int(v) for k, v in frame[frame.year == year].groupby("continent")["pop"].sum().items()}


def test_thumbs_up_and_a_correction_are_reused_for_other_values(page: Page):
    source_id = user_with_sample(page, "Teacher One")
    page.goto(f"/query?source={source_id}")

    # Thumbs up on the built-in engine's answer...
    _ask_and_wait(page, "total population in Asia in 2007")
    feedback = page.get_by_role("group", name="Answer feedback")
    up = feedback.get_by_role("button", name="Mark this answer right")
    expect(up).to_have_attribute("aria-pressed", "false")
    up.click()
    expect(feedback.get_by_text("You marked this right")).to_be_visible()
    expect(up).to_have_attribute("aria-pressed", "true")
    page.screenshot(path=str(ARTIFACTS / "feedback-marked-right.png"))

    # ...so the same question with other values reuses its SQL, with those values.
    _ask_and_wait(page, "total population in Europe in 1997")
    _show_sql(page)
    expect(page.get_by_text("Reused the SQL you confirmed for “total population in Asia in 2007”")).to_be_visible()
    expect(page.get_by_text("Europe in place of Asia")).to_be_visible()
    expect(page.get_by_text("Your SQL", exact=True)).to_be_visible()  # the engine badge: the user taught this SQL
    frame = plotly.data.gapminder()
    europe_1997 = int(frame[(frame.continent == "Europe") & (frame.year == 1997)]["pop"].sum())
    assert table_rows(page, "Query results") == [[f"{europe_1997:,}"]]
    page.screenshot(path=str(ARTIFACTS / "feedback-reused-confirmed.png"), full_page=True)

    # A thumbs down opens the SQL to correct it; running the correction stores it for the question.
    _ask_and_wait(page, "population by continent in 2007")
    page.get_by_role("button", name="Mark this answer wrong").click()
    expect(page.get_by_text("You marked this wrong")).to_be_visible()
    editor = page.get_by_label("SQL", exact=True)
    expect(editor).to_be_visible()
    editor.fill(CORRECTED_SQL)
    page.screenshot(path=str(ARTIFACTS / "feedback-correcting.png"), full_page=True)
    before = page.url
    page.get_by_role("button", name="Run and save correction").click()
    page.wait_for_url(lambda url: url != before and "query=" in url, timeout=60_000)
    expect(page.get_by_text("Remembered: asking “population by continent in 2007” again")).to_be_visible()
    assert {row[0]: row[1] for row in table_rows(page, "Query results")} == {
        continent: f"{total:,}" for continent, total in _population(2007).items()
    }

    _ask_and_wait(page, "population by continent in 1952")
    _show_sql(page)
    expect(page.get_by_text("Reused the SQL you corrected for “population by continent in 2007”")).to_be_visible()
    assert {row[0]: row[1] for row in table_rows(page, "Query results")} == {
        continent: f"{total:,}" for continent, total in _population(1952).items()
    }
    page.screenshot(path=str(ARTIFACTS / "feedback-reused-corrected.png"), full_page=True)
