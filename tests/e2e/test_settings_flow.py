"""Issue 13, Settings in a real browser: usage meters, a plan switch, the theme following the user to
a new browser, a personal API token (shown once, works over HTTP, revoked → 401), the LLM form,
and deleting the account (what went is listed, then signed out)."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, register_in_browser
from tests.e2e.flows import new_email

PASSWORD = "correct horse battery"


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"settings-{name}.png"), full_page=True)


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard**")


def _is_dark(page: Page) -> bool:
    return "dark" in (page.locator("html").get_attribute("class") or "")


def _wait_for_stored_theme(page: Page, theme: str) -> None:
    """The toggle saves over the websocket; the account's theme changes a moment later."""
    token = page.evaluate("window.localStorage.getItem('lumiere_token')")
    for _ in range(50):
        me = page.request.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        if me.json()["theme"] == theme:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the account's theme never became {theme}")


def _section(page: Page, name: str):
    return page.get_by_role("region", name=name, exact=True)


def test_settings_usage_theme_tokens_llm_and_deletion(page: Page, browser: Browser, live_server: str):
    # Someone else is the installation's first account (its admin), so this user may delete themself.
    page.request.post("/api/auth/register", data={"email": new_email("owner"), "password": PASSWORD, "name": "Owner"})
    email = new_email("settings")
    register_in_browser(page, "Setter Person", email, PASSWORD)
    page.goto("/data")
    page.get_by_role("button", name="Load sample dataset").click()
    page.wait_for_url(re.compile(r".*/data/\d+$"), timeout=60_000)

    # The old address and the user menu both lead to Settings.
    page.goto("/profile")
    page.wait_for_url("**/settings")
    page.get_by_role("button", name="Setter Person").click()
    expect(page.get_by_role("menuitem", name="Settings")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", name="Settings", level=1).last).to_be_visible()
    page.goto("/settings#plan")  # where a 402 message sends people: the section is scrolled to
    expect(page.get_by_role("heading", name="Plan", level=2)).to_be_in_viewport()

    # Usage: a meter per limit, with "used / limit".
    usage = _section(page, "Usage")
    expect(usage.get_by_test_id("usage-meter")).to_have_count(6)
    sources = usage.get_by_test_id("usage-meter").filter(has_text="Data sources")
    expect(sources).to_contain_text("1 / 25")
    expect(usage.get_by_test_id("usage-meter").filter(has_text="Queries this month")).to_contain_text("/ 1,000")
    expect(sources.get_by_role("progressbar")).to_be_visible()

    # Plan: switch to Pro; its card becomes the current one and the limits follow.
    plan = _section(page, "Plan")
    plan.get_by_role("button", name="Switch to Pro").click()
    expect(page.get_by_text("You are on the Pro plan now.")).to_be_visible()
    expect(plan.get_by_test_id("plan-card").filter(has_text="Current plan")).to_contain_text("Pro")
    expect(sources).to_contain_text("1 / 250")
    _shot(page, "usage-and-plan")

    # Appearance: stored on the account, so a brand-new browser context shows it too.
    wanted, then = ("Light", "dark") if _is_dark(page) else ("Dark", "light")
    chosen, toggled = re.compile(rf"\b{wanted.lower()}\b"), re.compile(rf"\b{then}\b")
    _section(page, "Appearance").get_by_text(wanted, exact=True).click()
    expect(page.locator("html")).to_have_class(chosen)
    other = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    try:
        elsewhere = other.new_page()
        _sign_in(elsewhere, email)
        expect(elsewhere.locator("html")).to_have_class(chosen)
        _shot(elsewhere, "theme-in-a-new-browser")
        # The top bar's toggle there is stored as well: back here, a reload follows it.
        elsewhere.get_by_role("button", name="Toggle dark mode").click()
        expect(elsewhere.locator("html")).to_have_class(toggled)
        _wait_for_stored_theme(elsewhere, then)
    finally:
        other.close()
    page.reload()
    expect(page.get_by_role("heading", name="Settings", level=1).last).to_be_visible()
    expect(page.locator("html")).to_have_class(toggled)

    # API token: shown once, works as a Bearer token, then revoked.
    tokens = _section(page, "API tokens")
    tokens.get_by_label("Token name").fill("e2e script")
    tokens.get_by_role("button", name="Create token").click()
    shown = tokens.get_by_test_id("new-api-token")
    expect(shown).to_contain_text("lum_")
    api_token = shown.inner_text().strip()
    me = page.request.get("/api/auth/me", headers={"Authorization": f"Bearer {api_token}"})
    assert me.status == 200 and me.json()["email"] == email
    _shot(page, "token-created")
    page.reload()
    expect(tokens.get_by_role("cell", name="e2e script", exact=True)).to_be_visible()
    expect(tokens.get_by_test_id("new-api-token")).to_have_count(0)  # never shown again
    assert api_token not in page.content()
    expect(tokens.get_by_role("row").filter(has_text="e2e script")).not_to_contain_text("Never")  # last used
    tokens.get_by_role("button", name="Revoke e2e script").click()
    expect(tokens.get_by_text("No API tokens yet.")).to_be_visible()
    assert page.request.get("/api/auth/me", headers={"Authorization": f"Bearer {api_token}"}).status == 401

    # LLM: a base URL with credentials is refused next to its field; a key is saved but never shown;
    # the test reports an unreachable server.
    llm = _section(page, "LLM")
    expect(llm.get_by_role("button", name="Test connection")).to_be_disabled()
    llm.get_by_label("Base URL (empty: the server's)").fill("https://user:pw@llm.example.com/v1")
    llm.get_by_role("button", name="Save LLM settings").click()
    expect(llm.get_by_text("Leave credentials out of the base URL")).to_be_visible()
    llm.get_by_label("API key").fill("sk-e2e-secret-key")
    llm.get_by_label("Base URL (empty: the server's)").fill("http://127.0.0.1:9/v1")
    llm.get_by_role("button", name="Save LLM settings").click()
    expect(llm.get_by_text("Your own key is saved")).to_be_visible()
    expect(llm.get_by_label("API key")).to_have_value("")
    assert "sk-e2e-secret-key" not in page.content()
    llm.get_by_role("button", name="Test connection").click()
    expect(llm.get_by_test_id("llm-test-result")).to_contain_text("could not be reached", timeout=30_000)
    _shot(page, "llm")

    # Delete the account: the password in a confirmation dialog, then what went, then signed out.
    session_token = page.evaluate("window.localStorage.getItem('lumiere_token')")
    _section(page, "Delete account").get_by_role("button", name="Delete account…").click()
    dialog = page.get_by_role("alertdialog")
    dialog.get_by_label("Your password").fill("not my password")
    dialog.get_by_role("button", name="Delete my account").click()
    expect(dialog.get_by_text("Your current password is not correct.")).to_be_visible()
    dialog.get_by_label("Your password").fill(PASSWORD)
    dialog.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Your account has been deleted")).to_be_visible()
    deleted = page.get_by_role("list", name="What was deleted")
    expect(deleted).to_contain_text("1 data source")
    expect(deleted).to_contain_text("1 dataset file")
    _shot(page, "account-deleted")
    assert page.evaluate("window.localStorage.getItem('lumiere_token')") in (None, "")
    assert page.request.get("/api/auth/me", headers={"Authorization": f"Bearer {session_token}"}).status == 401
    page.get_by_role("link", name="Go to sign in").click()
    page.wait_for_url("**/login**")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Incorrect email or password")
