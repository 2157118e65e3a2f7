"""Issue 12 in a real browser: ask in a conversation, follow up, see the new table; new chat; delete."""

from __future__ import annotations

import plotly.data
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import QUESTION, table_rows, user_with_sample

FOLLOW_UP = "How many rows are there for each continent in 2007?"


def _counts(frame) -> set[tuple[str, str]]:
    return {(continent, f"{count:,}") for continent, count in frame.groupby("continent").size().items()}


def _shown_counts(page: Page) -> set[tuple[str, str]]:
    header = page.get_by_role("table", name="Answer rows").locator("thead th").all_inner_texts()
    continent = next(i for i, text in enumerate(header) if text.startswith("continent"))
    return {(row[continent], row[1 - continent]) for row in table_rows(page, "Answer rows")}


def _send(page: Page, message: str, answers: int) -> None:
    box = page.get_by_label("Message")
    box.fill(message)
    box.press("Enter")
    expect(page.locator(".chat-assistant")).to_have_count(answers, timeout=60_000)
    expect(page.get_by_role("status", name="The assistant is working")).to_have_count(0)


def test_chat_ask_follow_up_new_chat_delete(page: Page):
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
    _send(page, QUESTION, 1)
    expect(page.locator(".chat-user").first).to_contain_text(QUESTION)
    assert _shown_counts(page) == _counts(gapminder)
    expect(page.get_by_role("listitem").filter(has_text=QUESTION)).to_have_count(1)

    _send(page, FOLLOW_UP, 2)
    expect(page.get_by_role("table", name="Answer rows")).to_have_count(1)  # only the newest answer is open
    assert _shown_counts(page) == _counts(gapminder[gapminder.year == 2007])
    page.locator(".chat-assistant").last.locator("summary").click()
    expect(page.locator(".chat-assistant").last.get_by_role("region", name="Generated SQL")).to_contain_text("2007")
    expect(page.locator("#chart-viewer .js-plotly-plot")).to_be_visible(timeout=30_000)
    expect(page.locator("#insight-text")).to_contain_text("Africa", timeout=60_000)

    # an earlier answer opens on request (its own table, chart and insight), closing the newest
    page.locator(".chat-assistant").first.get_by_role("button", name="Show table and chart").click()
    expect(page.get_by_role("table", name="Answer rows")).to_have_count(1)
    assert _shown_counts(page) == _counts(gapminder)
    expect(page.locator("#insight-text")).to_contain_text("Africa", timeout=60_000)
    page.locator(".chat-assistant").last.get_by_role("button", name="Show table and chart").click()
    assert _shown_counts(page) == _counts(gapminder[gapminder.year == 2007])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-follow-up.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_label("Message")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "chat-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("button", name="New chat").click()
    expect(page.get_by_role("heading", name="New chat")).to_be_visible()
    expect(page.locator(".chat-assistant")).to_have_count(0)
    expect(page.get_by_label("Data source")).to_be_visible()

    conversation = page.get_by_role("list", name="Conversations").get_by_role("listitem").filter(has_text=QUESTION)
    conversation.get_by_role("button", name=f"Delete: {QUESTION}").click()
    page.get_by_role("button", name="Delete conversation").click()
    expect(page.get_by_role("list", name="Conversations").get_by_role("listitem")).to_have_count(0)
    expect(page.get_by_text("No conversations yet.")).to_be_visible()
    expect(page.get_by_text("An error occurred")).to_have_count(0)
