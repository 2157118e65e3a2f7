"""Issue 15 in a real browser: a workspace is created, a second user is invited as a viewer, switches
to it, asks over the shared source, and sees no Delete button on it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, register_in_browser
from tests.e2e.flows import QUESTION, ask, new_email


def _switch_to(page: Page, space: str) -> None:
    """Choose a space and wait for the page reload the switch triggers: a navigation started before
    that reload ends is aborted by it (net::ERR_ABORTED, a CI flake)."""
    page.get_by_role("combobox", name="Workspace").click()
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("option", name=space).click()
    expect(page.get_by_role("combobox", name="Workspace")).to_have_text(re.compile(space))


def test_invite_a_viewer_who_asks_over_the_shared_source(page: Page, browser, live_server: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # The colleague has an account already, in a browser of their own: they join at once.
    viewer_context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    viewer = viewer_context.new_page()
    viewer.set_default_timeout(20_000)
    viewer_errors: list[str] = []
    viewer.on("pageerror", lambda error: viewer_errors.append(str(error)))
    viewer_email = new_email("viewer")
    register_in_browser(viewer, "Vera Viewer", viewer_email)

    # The owner creates the workspace, invites the colleague as a viewer, and adds data to the workspace.
    register_in_browser(page, "Olga Owner", new_email("owner"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workspaces").click()
    page.wait_for_url("**/workspaces")
    page.get_by_label("New workspace name").fill("Analytics")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Analytics", level=2)).to_be_visible()
    page.get_by_label("Email to invite").fill(viewer_email)
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text(viewer_email)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "workspace-members.png"), full_page=True)

    _switch_to(page, "Analytics")
    page.goto("/data")
    expect(page.get_by_role("heading", name="No data yet")).to_be_visible()
    page.get_by_role("button", name="Load sample dataset").click()
    page.wait_for_url(re.compile(r".*/data/\d+$"), timeout=60_000)
    source_id = int(page.url.rsplit("/", 1)[-1])
    expect(page.get_by_role("button", name="Delete source")).to_be_visible()  # the owner may

    # The viewer switches to the workspace and asks over its source.
    viewer.goto("/query")
    _switch_to(viewer, "Analytics")
    viewer.goto(f"/query?source={source_id}")
    ask(viewer, QUESTION)
    viewer.screenshot(path=str(ARTIFACTS / "workspace-viewer-asks.png"), full_page=True)
    viewer.goto("/history")
    expect(viewer.get_by_text(QUESTION).first).to_be_visible()

    # A viewer sees the source but no Delete button, and no way to add data to the workspace.
    viewer.goto(f"/data/{source_id}")
    expect(viewer.get_by_role("heading", name="gapminder", level=1)).to_be_visible()
    expect(viewer.get_by_role("button", name="Delete source")).to_have_count(0)
    viewer.screenshot(path=str(ARTIFACTS / "workspace-viewer-source.png"), full_page=True)
    viewer.goto("/data")
    expect(viewer.get_by_role("link", name="gapminder")).to_be_visible()
    expect(viewer.get_by_role("link", name="Upload CSV")).to_have_count(0)
    viewer.screenshot(path=str(ARTIFACTS / "workspace-viewer-data.png"), full_page=True)

    # Back in the personal space the viewer has no sources of their own.
    _switch_to(viewer, "Personal")
    viewer.goto("/data")
    expect(viewer.get_by_role("heading", name="No data yet")).to_be_visible()
    viewer_context.close()
    assert not viewer_errors, f"JavaScript errors on the viewer's page: {viewer_errors}"
