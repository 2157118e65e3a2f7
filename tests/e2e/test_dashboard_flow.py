"""Issue 17 items 1 and 7 in a real browser: a new user's dashboard shows "Getting started" with nothing
ticked and an empty pinned-answers state; after loading the sample and pinning an answer from the Ask
page, the guide ticks those steps and the dashboard draws the pin's chart, which can be widened and
opens the full answer. Closing the guide hides it; the user menu brings it back."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import QUESTION, ask, user_with_sample


def _guide_step(page: Page, title: str):
    return page.locator(".guide-step").filter(has_text=title)


def test_pin_an_answer_and_see_the_guide_tick(page: Page) -> None:
    user_with_sample(page, "Pinner One")
    page.goto("/dashboard")
    guide = page.locator("#getting-started")
    expect(guide.get_by_role("heading", name="Getting started")).to_be_visible(timeout=30_000)
    expect(_guide_step(page, "Load the sample or add data")).to_have_attribute("data-done", "true")
    expect(_guide_step(page, "Ask a first question")).to_have_attribute("data-done", "false")
    expect(page.locator("#pins-empty").get_by_role("heading", name="No pinned answers yet")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "dashboard-new-user.png"), full_page=True)

    page.goto("/query")
    ask(page, QUESTION)
    page.locator("button.pin-button").first.click()
    expect(page.get_by_text("Pinned to your dashboard.")).to_be_visible()

    page.goto("/dashboard")
    expect(_guide_step(page, "Ask a first question")).to_have_attribute("data-done", "true", timeout=30_000)
    expect(page.locator(".guide-progress")).to_have_text("2 of 5 done")
    card = page.locator(".pin-card")
    expect(card).to_have_count(1)
    expect(card.get_by_role("link", name=QUESTION)).to_be_visible()
    expect(card.locator(".js-plotly-plot")).to_be_visible(timeout=30_000)
    expect(card).to_have_attribute("data-width", "1")
    card.get_by_role("button", name=f"Wider: {QUESTION}").click()
    expect(card).to_have_attribute("data-width", "2")
    expect(card.get_by_role("button", name=f"Move earlier: {QUESTION}")).to_be_disabled()
    page.screenshot(path=str(ARTIFACTS / "dashboard-pinned.png"), full_page=True)

    page.get_by_role("button", name="Hide getting started").click()
    expect(page.locator("#getting-started")).to_have_count(0)
    page.reload()
    expect(page.locator(".pin-card")).to_have_count(1, timeout=30_000)
    expect(page.locator("#getting-started")).to_have_count(0)
    page.get_by_role("button", name="Pinner One").click()
    page.get_by_role("menuitem", name="Show getting started").click()
    expect(page.locator("#getting-started")).to_be_visible(timeout=30_000)

    page.locator(".pin-card").get_by_role("link", name=QUESTION).click()
    page.wait_for_url(re.compile(r".*/query\?query=\d+$"), timeout=30_000)
    expect(page.get_by_role("table", name="Query results")).to_be_visible(timeout=30_000)

    page.emulate_media(color_scheme="dark")  # the account follows the system theme
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/dashboard")
    expect(page.locator(".pin-card .js-plotly-plot")).to_be_visible(timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the wide pin fits a phone
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone-dark.png"), full_page=True)
