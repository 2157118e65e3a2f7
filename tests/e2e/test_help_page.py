"""Issue 17 item 2 in a real browser: /help searchable, opened at a topic by a deep link, linked from empty states."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import register_in_browser, wait_until_still
from tests.e2e.flows import new_email


def test_help_search_deep_link_and_empty_state_link(page: Page) -> None:
    register_in_browser(page, "Help Reader", new_email("help"))
    page.goto("/data")
    expect(page.get_by_role("heading", name="No data yet")).to_be_visible()
    page.get_by_role("link", name="Help", exact=True).last.click()
    page.wait_for_url("**/help")
    expect(page.get_by_role("heading", name="Asking good questions", level=2)).to_be_visible()

    search = page.get_by_role("searchbox", name="Search help")
    search.fill("synonym")
    expect(page.get_by_role("heading", level=2)).to_have_count(1)
    expect(page.get_by_text("Meaning of columns", exact=False)).to_be_visible()
    search.fill("zebra crossing")
    expect(page.get_by_role("status")).to_contain_text("No help matches")

    page.goto("/help?topic=privacy")
    privacy = page.locator("#privacy")
    expect(privacy).to_contain_text("what an LLM sees")
    expect(privacy).to_be_in_viewport()
    page.goto("/help#keyboard")
    expect(page.locator("#keyboard")).to_be_in_viewport()


def _violations(page: Page) -> list[str]:
    """axe-core's violations of any impact but "minor", as "rule: target" lines."""
    wait_until_still(page)
    results = Axe().run(page)
    return [
        f"{violation['id']}: {[node['target'] for node in violation['nodes']]}"
        for violation in results.response["violations"]
        if violation.get("impact") != "minor"
    ]


def test_help_page_and_keyboard_dialogs_have_no_accessibility_violations(page: Page) -> None:
    register_in_browser(page, "Axe Reader", new_email("axe"))
    page.goto("/help")
    expect(page.get_by_role("heading", name="Privacy: what is stored and what an LLM sees")).to_be_visible()
    page.locator("#kb-open-palette").wait_for(state="attached")
    found = _violations(page)
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    found += _violations(page)
    page.keyboard.press("Escape")
    page.keyboard.press("Control+k")
    expect(page.get_by_role("dialog", name="Go to…")).to_be_visible()
    expect(page.get_by_role("option").first).to_be_visible()
    found += _violations(page)
    assert found == []
