"""Issue 13 (admin console) in a real browser: an account made admin with the operator command sees
the console with charts drawn from real activity, changes a user's plan, creates a plan and disables
the user, whose open page then ends on the sign-in page with the reason; a non-admin who opens
/admin is sent to the dashboard with a message."""

from __future__ import annotations

import re
import subprocess
import sys
import time

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, PROJECT_ROOT, register_in_browser
from tests.e2e.flows import QUESTION, ask, new_email, user_with_sample

_TRACE_VALUES = "([id, axis]) => document.querySelector(`#${id} .js-plotly-plot`).data.map((trace) => trace[axis])"


def _make_admin(env: dict[str, str], email: str) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "lumiere.cli", "make-admin", email],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert f"{email} is now an administrator" in finished.stdout


def _chart_values(page: Page, element_id: str, axis: str = "y") -> list[list]:
    """The values along `axis` of each trace of a drawn chart (after checking Plotly drew its SVG)."""
    expect(page.locator(f"#{element_id} .js-plotly-plot")).to_be_visible(timeout=30_000)
    expect(page.locator(f"#{element_id} svg.main-svg").first).to_be_visible()
    return page.evaluate(_TRACE_VALUES, [element_id, axis])


def test_admin_console_charts_plan_change_disable_and_non_admin_redirect(
    page: Page, browser: Browser, live_server: str, live_env: dict[str, str]
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # The future admin signs up first (on a fresh server the first account is an admin anyway).
    admin_email = new_email("admin")
    register_in_browser(page, "Admin Person", admin_email)
    # A user with data and one question asked, in a browser of their own.
    user_context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    user_page = user_context.new_page()
    user_page.set_default_timeout(20_000)
    user_errors: list[str] = []
    user_page.on("pageerror", lambda error: user_errors.append(str(error)))
    user_email = new_email("plain")
    source_id = user_with_sample(user_page, "Plain User", user_email)
    user_page.get_by_role("link", name="Ask about this data").click()
    user_page.wait_for_url(re.compile(rf".*/query\?source={source_id}$"))
    ask(user_page, QUESTION)

    # The user is no admin: no Admin entry in the sidebar, and /admin sends them to the dashboard.
    sidebar = user_page.get_by_role("navigation", name="Main")
    expect(sidebar.get_by_role("link", name="History")).to_be_visible()
    expect(sidebar.get_by_role("link", name="Admin")).to_have_count(0)
    user_page.goto("/admin")
    user_page.wait_for_url("**/dashboard")
    expect(user_page.get_by_text("The admin console is for administrators")).to_be_visible()
    expect(user_page.get_by_role("heading", name="Welcome, Plain User")).to_be_visible()
    user_page.screenshot(path=str(ARTIFACTS / "admin-non-admin-redirected.png"))

    # An operator makes the other account an admin; its next page load opens the console.
    _make_admin(live_env, admin_email)
    page.goto("/admin")
    expect(page.get_by_role("heading", name="Admin", level=1)).to_be_visible(timeout=30_000)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")).to_be_visible()

    succeeded, failed = _chart_values(page, "admin-queries-chart")
    assert len(succeeded) == len(failed) == 30 and succeeded[-1] + failed[-1] >= 1  # today's question
    new_users, active_users = _chart_values(page, "admin-users-chart")
    assert new_users[-1] >= 2 and active_users[-1] >= 1
    (storage,) = _chart_values(page, "admin-storage-chart", "x")  # horizontal bars: MB along x
    assert storage and min(storage) > 0  # the sample dataset is stored
    assert user_email in _chart_values(page, "admin-storage-chart", "customdata")[0]  # whole on hover
    (llm_cost,) = _chart_values(page, "admin-llm-cost-chart")
    assert len(llm_cost) == 30
    expect(page.locator("#admin-queries-chart .bars path").first).to_be_attached()
    expect(page.locator("#admin-storage-chart .bars path").first).to_be_attached()
    expect(page.get_by_role("group", name="Queries")).to_be_visible()
    expect(page.get_by_role("region", name="System status")).to_contain_text("sqlite")
    page.screenshot(path=str(ARTIFACTS / "admin-console.png"), full_page=True)

    page.get_by_role("radio", name="7 days").click()
    page.wait_for_function(
        "() => document.querySelector('#admin-queries-chart .js-plotly-plot').data[0].y.length === 7"
    )

    # Change the user's plan from the users table.
    page.get_by_label("Search users").fill(user_email)
    row = page.get_by_role("row", name=user_email)
    expect(row).to_be_visible()
    expect(page.get_by_role("table", name="Users").get_by_role("row")).to_have_count(2)  # header and the user
    row.get_by_role("combobox", name=f"Plan of {user_email}").click()
    page.get_by_role("option", name="pro", exact=True).click()
    expect(page.get_by_text("Plan changed to pro.")).to_be_visible()
    expect(row.get_by_role("combobox", name=f"Plan of {user_email}")).to_have_text("pro")

    # Create a plan whose limits are left empty: unlimited.
    plan_name = f"team{time.monotonic_ns() % 10**8}"
    page.get_by_role("button", name="New plan").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name (in the API, e.g. team)").fill(plan_name)
    dialog.get_by_label("Title").fill("Team")
    dialog.get_by_label("Price ($ / month)").fill("49")
    dialog.get_by_label("Queries / month").fill("5000")
    page.screenshot(path=str(ARTIFACTS / "admin-plan-dialog.png"))
    dialog.get_by_role("button", name="Save plan").click()
    expect(page.get_by_text("Plan Team saved.")).to_be_visible()
    plan_row = page.get_by_role("table", name="Plans").get_by_role("row", name=plan_name)
    expect(plan_row).to_contain_text("5,000")
    expect(plan_row).to_contain_text("Unlimited")

    # Disable the user: their open page ends at its next event, on the sign-in page with the reason.
    row.get_by_role("button", name=f"Disable {user_email}").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Disable account").click()
    expect(page.get_by_text("Account disabled; its sessions and tokens have ended.")).to_be_visible()
    expect(row.get_by_text("Disabled", exact=True)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "admin-user-disabled.png"), full_page=True)

    user_page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
    user_page.wait_for_url("**/login**")
    expect(user_page.get_by_role("status")).to_contain_text("disabled by an administrator")
    user_page.screenshot(path=str(ARTIFACTS / "admin-disabled-user-signed-out.png"))
    user_context.close()
    assert not user_errors, f"JavaScript errors on the user's page: {user_errors}"

    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("#admin-queries-chart .js-plotly-plot")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "admin-phone.png"), full_page=True)
