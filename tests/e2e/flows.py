"""Steps several browser tests share: a new user with the sample dataset, asking a question."""

from __future__ import annotations

import itertools
import re
import time

from playwright.sync_api import Page, expect

from tests.e2e.conftest import register_in_browser

QUESTION = "How many rows are there for each continent?"
_ids = itertools.count(1)


def new_email(prefix: str) -> str:
    return f"{prefix}{next(_ids)}-{time.monotonic_ns()}@example.com"


def user_with_sample(page: Page, name: str, email: str | None = None) -> int:
    """Registers, loads the sample dataset from the empty Data page; returns the new source's id."""
    register_in_browser(page, name, email or new_email(name.split()[0].lower()))
    page.goto("/data")
    expect(page.get_by_role("heading", name="No data yet")).to_be_visible()
    page.get_by_role("button", name="Load sample dataset").click()
    page.wait_for_url(re.compile(r".*/data/\d+$"), timeout=60_000)
    expect(page.get_by_role("heading", name="gapminder", level=1)).to_be_visible()
    return int(page.url.rsplit("/", 1)[-1])


def ask(page: Page, question: str) -> None:
    """Types the question on /query and presses Enter; waits for the results table."""
    box = page.get_by_label("Question")
    box.fill(question)
    box.press("Enter")
    wait_for_answer(page)


def wait_for_answer(page: Page) -> None:
    """The page swaps its URL to /query?query=<id> once an answer is shown (so a reload reopens it)."""
    page.wait_for_url(re.compile(r".*/query\?query=\d+$"), timeout=60_000)
    expect(page.get_by_role("table", name="Query results")).to_be_visible()


def table_rows(page: Page, table_name: str) -> list[list[str]]:
    table = page.get_by_role("table", name=table_name)
    return [
        [cell.strip() for cell in row.locator("td, th").all_inner_texts()] for row in table.locator("tbody tr").all()
    ]
