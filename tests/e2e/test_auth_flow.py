"""Accounts in a real browser against the production build."""

from __future__ import annotations

import itertools
import re

from playwright.sync_api import expect

from tests.e2e.conftest import register_in_browser

_ids = itertools.count(1)


def _email(prefix: str) -> str:
    return f"{prefix}{next(_ids)}@example.com"


def test_register_dashboard_reload_logout(page):
    register_in_browser(page, "Grace Hopper", _email("grace"))
    expect(page.get_by_role("heading", name="Welcome, Grace Hopper")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Data")).to_be_visible()
    # A new user's dashboard opens on the getting-started guide (it replaces the "No data yet" card).
    expect(page.get_by_role("heading", name="Getting started")).to_be_visible()
    expect(page.get_by_text("Load the sample or add data")).to_be_visible()

    page.reload()
    expect(page.get_by_role("heading", name="Welcome, Grace Hopper")).to_be_visible()
    assert "/dashboard" in page.url

    token = page.evaluate("window.localStorage.getItem('lumiere_token')")
    signed_in = {"Authorization": f"Bearer {token}"}
    assert page.request.get("/api/auth/me", headers=signed_in).status == 200
    page.get_by_role("button", name="Grace Hopper").click()
    page.get_by_role("menuitem", name="Log out").click()
    page.wait_for_url(re.compile(r".*/login.*"))
    assert page.evaluate("window.localStorage.getItem('lumiere_token')") in (None, "")
    assert page.request.get("/api/auth/me", headers=signed_in).status == 401  # revoked on the server

    page.goto("/dashboard")
    page.wait_for_url(re.compile(r".*/login\?next=/dashboard.*"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_login_returns_to_the_page_asked_for(page):
    email = _email("ret")
    register_in_browser(page, "Return Visitor", email)
    page.get_by_role("button", name="Return Visitor").click()
    page.get_by_role("menuitem", name="Log out").click()
    page.wait_for_url(re.compile(r".*/login.*"))

    page.goto("/settings")
    page.wait_for_url(re.compile(r".*/login\?next=/settings.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Incorrect email or password")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/settings.*"))
    expect(page.get_by_role("heading", name="Profile", exact=True).first).to_be_visible()


def test_register_shows_inline_errors(page):
    page.goto("/register")
    page.get_by_label("Name").fill("Shorty")
    page.get_by_label("Email").fill("shorty@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Use a password of at least 8 characters.")).to_be_visible()
    assert "/register" in page.url


def test_profile_rename_and_dark_mode_persists(page):
    register_in_browser(page, "Dark Mode Fan", _email("dark"))
    page.goto("/settings")
    name_box = page.get_by_label("Name", exact=True)
    expect(name_box).to_have_value("Dark Mode Fan")
    name_box.fill("Night Owl")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("button", name="Night Owl")).to_be_visible()

    html = page.locator("html")
    before = html.get_attribute("class") or ""
    page.get_by_role("button", name="Toggle dark mode").click()
    expect(html).not_to_have_class(before)
    after = html.get_attribute("class") or ""
    page.reload()
    expect(page.get_by_role("button", name="Night Owl")).to_be_visible()
    assert ("dark" in (html.get_attribute("class") or "")) == ("dark" in after)


def test_phone_width_uses_a_menu_instead_of_the_sidebar(page):
    page.set_viewport_size({"width": 390, "height": 844})
    register_in_browser(page, "Phone User", _email("phone"))
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    page.get_by_role("button", name="Open menu").click()
    page.get_by_role("link", name="History").click()
    page.wait_for_url(re.compile(r".*/history.*"))
