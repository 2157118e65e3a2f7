"""Issue 15 (public links) in a real browser: Share on the Ask page's answer makes a link; a fresh
browser without an account opens /s/<token> (table and chart, on a desktop and on a phone); after
Revoke the same page says the link is gone."""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import QUESTION, ask, user_with_sample

GONE = "This link has expired or was revoked"


def _open_share_dialog(page: Page):
    page.locator("button.share-button").first.click()
    dialog = page.get_by_role("dialog", name="Share this answer")
    expect(dialog).to_be_visible()
    return dialog


def _visitor(browser, live_server: str, viewport: dict[str, int]) -> tuple[BrowserContext, Page, list[str]]:
    context = browser.new_context(base_url=live_server, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def test_share_an_answer_open_it_signed_out_then_revoke_it(page: Page, browser, live_server: str):
    user_with_sample(page, "Sharer One")
    page.goto("/query")
    ask(page, QUESTION)

    dialog = _open_share_dialog(page)
    expect(dialog.get_by_text("No links yet.")).to_be_visible()
    dialog.get_by_role("button", name="Create link").click()
    url_box = dialog.get_by_role("textbox", name="Share link")
    expect(url_box).to_have_value(re.compile(r"/s/[A-Za-z0-9_-]{43}$"))
    url = url_box.input_value()
    token = url.rsplit("/", 1)[-1]
    dialog.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Link copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == url
    expect(dialog.locator(".share-link-row")).to_have_count(1)
    expect(dialog.get_by_text("0 views")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "share-dialog.png"))
    dialog.get_by_role("button", name="Close").click()

    context, visitor, errors = _visitor(browser, live_server, {"width": 1280, "height": 900})
    visitor.goto(f"/s/{token}")
    expect(visitor.get_by_role("heading", name=QUESTION, level=1)).to_be_visible(timeout=30_000)
    table = visitor.get_by_role("table", name="The shared answer's rows")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(visitor.locator(".shared-chart .js-plotly-plot")).to_be_visible()
    expect(visitor.get_by_text("Shared with Lumiere")).to_be_visible()
    expect(visitor.get_by_text(re.compile(r"as of \d{4}-\d\d-\d\d \d\d:\d\d UTC"))).to_be_visible()
    expect(visitor.get_by_text("gapminder")).to_be_visible()
    expect(visitor.get_by_role("navigation")).to_have_count(0)  # no app sidebar or menu
    assert "SELECT" not in visitor.content()
    visitor.screenshot(path=str(ARTIFACTS / "share-public-desktop.png"), full_page=True)

    phone_context, phone, phone_errors = _visitor(browser, live_server, {"width": 390, "height": 844})
    phone.goto(f"/s/{token}")
    expect(phone.get_by_role("heading", name=QUESTION, level=1)).to_be_visible(timeout=30_000)
    expect(phone.locator(".shared-chart .js-plotly-plot")).to_be_visible()
    expect(phone.get_by_role("table", name="The shared answer's rows")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the screen
    phone.screenshot(path=str(ARTIFACTS / "share-public-phone.png"), full_page=True)
    phone_context.close()

    dialog = _open_share_dialog(page)
    expect(dialog.get_by_text("2 views")).to_be_visible()
    dialog.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Link revoked")).to_be_visible()
    expect(dialog.get_by_text("No links yet.")).to_be_visible()

    visitor.reload()
    expect(visitor.get_by_role("heading", name=GONE)).to_be_visible(timeout=30_000)
    expect(visitor.get_by_role("table")).to_have_count(0)
    visitor.screenshot(path=str(ARTIFACTS / "share-public-gone.png"), full_page=True)
    context.close()
    assert not errors and not phone_errors, errors + phone_errors
