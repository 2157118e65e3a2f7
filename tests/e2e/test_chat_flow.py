"""Issue 12 in a real browser: ask in a conversation, refine it with a follow-up the built-in engine
reads against the first answer, re-chart it without a new query; reopen, new chat, delete."""

from __future__ import annotations

import re
import time

import pandas as pd
import plotly.data
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import table_rows, user_with_sample

FIRST = "average life expectancy by continent"
REFINE = "only for 2007"  # a follow-up: on its own it names no measure and no grouping
RECHART = "as a line chart"  # not a pie: averages are not parts of a whole


def _means(frame: pd.DataFrame) -> dict[str, float]:
    return {str(continent): float(value) for continent, value in frame.groupby("continent").lifeExp.mean().items()}


def _shown_means(page: Page) -> dict[str, float]:
    """The open answer's table as continent → number (cells read like '54.806')."""
    header = page.get_by_role("table", name="Answer rows").locator("thead th").all_inner_texts()
    continent = next(i for i, text in enumerate(header) if text.lower().startswith("continent"))
    return {row[continent]: float(row[1 - continent].replace(",", "")) for row in table_rows(page, "Answer rows")}


def _assert_means(page: Page, expected: dict[str, float], timeout_s: float = 15.0) -> None:
    """The open answer's table shows `expected`, once the page has swapped in that answer's rows
    (opening another answer replaces the table in place, so the old rows can still be read at first)."""
    wanted = {name: pytest.approx(value, abs=1e-4) for name, value in expected.items()}
    deadline = time.monotonic() + timeout_s
    shown = _shown_means(page)
    while shown != wanted and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        shown = _shown_means(page)
    assert shown == wanted


def _send(page: Page, message: str, answers: int) -> None:
    box = page.get_by_label("Message")
    box.fill(message)
    box.press("Enter")
    expect(page.locator(".chat-assistant")).to_have_count(answers, timeout=60_000)
    expect(page.get_by_role("status", name="The assistant is working")).to_have_count(0)


def _query_link(page: Page, answer: int) -> str:
    """The answer's "Edit in Ask" link: /query?query=<its history entry>."""
    href = page.locator(".chat-assistant").nth(answer).get_by_role("link", name="Edit in Ask").get_attribute("href")
    assert href is not None and "query=" in href
    return href


def test_chat_ask_refine_rechart_new_chat_delete(page: Page):
    user_with_sample(page, "Chatter One")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Chat").click()
    page.wait_for_url("**/chat")
    expect(page.get_by_label("Message")).to_be_visible()

    # Shift+Enter adds a line instead of sending
    box = page.get_by_label("Message")
    box.fill("first line")
    box.press("Shift+Enter")
    box.type("second")
    expect(box).to_have_value("first line\nsecond")
    expect(page.locator(".chat-assistant")).to_have_count(0)

    gapminder = plotly.data.gapminder()
    in_2007 = gapminder[gapminder.year == 2007]
    _send(page, FIRST, 1)
    expect(page.locator(".chat-user").first).to_contain_text(FIRST)
    _assert_means(page, _means(gapminder))
    conversations = page.get_by_role("list", name="Conversations").get_by_role("listitem")
    expect(conversations.filter(has_text=FIRST)).to_have_count(1)

    # the follow-up refines the first answer: same measure and groups, only the year 2007
    _send(page, REFINE, 2)
    refined = page.locator(".chat-assistant").last
    expect(page.get_by_role("table", name="Answer rows")).to_have_count(1)  # only the newest answer is open
    _assert_means(page, _means(in_2007))
    expect(refined).to_contain_text(re.compile(r"Refined: “[^”]*lifeExp[^”]*continent[^”]*2007[^”]*”"))
    refined.locator("summary").click()
    expect(refined.get_by_role("region", name="Generated SQL")).to_contain_text(re.compile(r"\"?year\"?\s*=\s*2007"))
    expect(refined.get_by_role("region", name="Generated SQL")).to_contain_text(re.compile(r"AVG", re.IGNORECASE))
    expect(page.locator("#chart-viewer .js-plotly-plot")).to_be_visible(timeout=30_000)
    expect(page.locator("#insight-text")).to_contain_text("Africa", timeout=60_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-refined.png"), full_page=True)

    # "as a line chart" changes only the chart: the same rows, the same history entry, no new query
    _send(page, RECHART, 3)
    expect(page.locator(".chat-assistant").last).to_contain_text("line chart")
    expect(page.locator("#chart-viewer .scatterlayer .trace")).to_have_count(1, timeout=30_000)
    _assert_means(page, _means(in_2007))
    assert _query_link(page, 2) == _query_link(page, 1) != _query_link(page, 0)
    page.screenshot(path=str(ARTIFACTS / "chat-follow-up.png"), full_page=True)

    # an earlier answer opens on request (its own table and chart), closing the newest
    page.locator(".chat-assistant").first.get_by_role("button", name="Show table and chart").click()
    expect(page.get_by_role("table", name="Answer rows")).to_have_count(1)
    _assert_means(page, _means(gapminder))

    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_label("Message")).to_be_visible()
    # the chart redraws to the phone's width (Plotly resizes after the window does)
    page.wait_for_function(
        "() => { const svg = document.querySelector('#chart-viewer .main-svg'); "
        "return svg && svg.getBoundingClientRect().right <= window.innerWidth; }",
        timeout=10_000,
    )
    page.screenshot(path=str(ARTIFACTS / "chat-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})

    # two answers ran SQL, so the history has two entries: the first question and the refined one
    page.goto("/history")
    entries = page.get_by_role("list", name="History").get_by_role("listitem")
    expect(entries).to_have_count(2)
    expect(entries.filter(has_text="2007")).to_have_count(1)

    # the conversation reopens with every turn
    page.goto("/chat")
    conversations.filter(has_text=FIRST).get_by_role("button").first.click()
    expect(page.locator(".chat-assistant")).to_have_count(3)
    expect(page.locator(".chat-user")).to_have_count(3)
    _assert_means(page, _means(in_2007))

    page.get_by_role("button", name="New chat").click()
    expect(page.get_by_role("heading", name="New chat")).to_be_visible()
    expect(page.locator(".chat-assistant")).to_have_count(0)
    expect(page.get_by_label("Data source")).to_be_visible()

    conversations.filter(has_text=FIRST).get_by_role("button", name=f"Delete: {FIRST}").click()
    page.get_by_role("button", name="Delete conversation").click()
    expect(conversations).to_have_count(0)
    expect(page.get_by_text("No conversations yet.")).to_be_visible()
    expect(page.get_by_text("An error occurred")).to_have_count(0)
