"""Issue 14 in a real browser: schedule an answer from the Ask page (preset, the browser's time zone, the
next runs), find it on /schedules, Run now, watch the run arrive in its history as sent, and the email
reach the SMTP server the app is pointed at; edit, turn off; History and Chat offer the same dialog."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, register_in_browser
from tests.e2e.flows import QUESTION, ask, new_email
from tests.helpers.smtp import SmtpServer


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"schedules-{name}.png"), full_page=True)


def _choose(page: Page, field: str, option: str) -> None:
    page.get_by_label(field, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_schedule_an_answer_run_it_now_and_get_the_email(page: Page, mail_sink: SmtpServer):
    email = new_email("scheduler")
    register_in_browser(page, "Scheduler One", email)
    page.goto("/data")
    page.get_by_role("button", name="Load sample dataset").click()
    page.wait_for_url(re.compile(r".*/data/\d+$"), timeout=60_000)
    browser_zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")

    # An empty list says what to do first.
    page.goto("/schedules")
    expect(page.get_by_role("heading", name="No schedules yet")).to_be_visible()
    expect(page.get_by_role("link", name="Ask a question")).to_be_visible()
    expect(page.locator("#email-not-configured")).to_have_count(0)  # the app has SMTP settings here

    page.goto("/query")
    ask(page, QUESTION)
    page.get_by_role("button", name="Schedule", exact=True).click()
    dialog = page.get_by_role("dialog", name="Schedule this answer")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Name")).to_have_value(QUESTION)
    expect(dialog.get_by_label("Recipients")).to_have_value(email)
    expect(dialog.get_by_label("Time zone")).to_have_value(browser_zone)
    _choose(page, "When", "Every Monday at 8:00")
    preview = dialog.locator("#schedule-preview li")
    expect(preview).to_have_count(3)
    for item in preview.all_inner_texts():
        assert item.startswith("Mon ") and "08:00" in item, item
    # a cron that cannot fire is said at once, and the service's 422 shows beside the field on Save
    _choose(page, "When", "Custom (cron expression)")
    dialog.get_by_label("Cron expression").fill("0 25 * * *")
    expect(dialog.locator("#schedule-preview")).to_contain_text("not a valid cron expression")
    dialog.get_by_role("button", name="Save schedule").click()
    expect(dialog.locator("#schedule-cron-error")).to_contain_text("not a valid cron expression")
    _choose(page, "When", "Every Monday at 8:00")
    expect(dialog.locator("#schedule-cron-error")).to_have_count(0)
    dialog.get_by_role("radio", name="Excel").click()
    _shot(page, "dialog")
    dialog.get_by_role("button", name="Save schedule").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_text(re.compile(r"Scheduled: at 08:00 on Monday"))).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedules").click()
    page.wait_for_url("**/schedules")
    cards = page.get_by_role("list", name="Schedules").get_by_role("listitem")
    expect(cards).to_have_count(1)
    card = cards.first
    expect(card).to_contain_text(QUESTION)
    expect(card).to_contain_text("At 08:00 on Monday")
    expect(card).to_contain_text(browser_zone)
    expect(card).to_contain_text("Excel")
    expect(card).to_contain_text("Not run yet")
    expect(card.get_by_role("switch")).to_be_checked()

    card.get_by_role("button", name=f"Run now: {QUESTION}").click()
    expect(page.get_by_text("Run queued")).to_be_visible()
    runs = card.get_by_role("list", name=f"Runs of {QUESTION}").get_by_role("listitem")
    expect(runs).to_have_count(1)
    expect(runs.first).to_contain_text("Run now")
    expect(runs.first).to_contain_text("Sent", timeout=90_000)  # the page watches the run finish
    expect(runs.first).to_contain_text("5 rows")
    expect(card).not_to_contain_text("Not run yet")
    [received] = mail_sink.wait_for(1, timeout=30)
    assert received.recipients == [email] and received.message["Subject"] == QUESTION
    attachments = [part.get_filename() for part in received.message.iter_attachments()]
    assert any(name and name.endswith(".xlsx") for name in attachments), attachments
    _shot(page, "desktop")

    # edit: the same dialog, holding this schedule
    card.get_by_role("button", name=f"Edit: {QUESTION}").click()
    editor = page.get_by_role("dialog", name="Edit schedule")
    expect(editor.get_by_label("Name")).to_have_value(QUESTION)
    editor.get_by_label("Name").fill("Continents every morning")
    _choose(page, "When", "Every day at 8:00")
    _choose(page, "Send", "Only when there are rows")
    editor.get_by_role("button", name="Save schedule").click()
    expect(editor).to_have_count(0)
    expect(card).to_contain_text("Continents every morning")
    expect(card).to_contain_text("At 08:00 every day")
    expect(card).to_contain_text("Only when there are rows")

    # turned off: no next run until it is on again
    card.get_by_role("switch").click()
    expect(card.get_by_role("switch")).not_to_be_checked()
    expect(card).to_contain_text("Next run: off")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(cards.first).to_be_visible()
    cards.first.get_by_role("button", name="Run history: Continents every morning").click()
    expect(page.locator(".schedule-run")).to_have_count(1)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
    _shot(page, "phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    # History and Chat answers open the same dialog
    page.goto("/history")
    page.get_by_role("button", name=f"Schedule: {QUESTION}").first.click()
    expect(page.get_by_role("dialog", name="Schedule this answer")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.goto("/chat")
    page.get_by_label("Message").fill("average life expectancy by continent")
    page.get_by_label("Message").press("Enter")
    answer = page.locator(".chat-assistant")
    expect(answer).to_have_count(1, timeout=60_000)
    answer.get_by_role("button", name="Schedule", exact=True).click()
    chat_dialog = page.get_by_role("dialog", name="Schedule this answer")
    expect(chat_dialog.get_by_label("Name")).to_have_value("average life expectancy by continent")
    _choose(page, "Send", "Only when a number crosses a threshold")
    page.get_by_label("Column", exact=True).click()
    expect(page.get_by_role("option")).not_to_have_count(0)  # the answer's numeric columns
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)

    # delete, after confirming
    page.goto("/schedules")
    cards.first.get_by_role("button", name="Delete: Continents every morning").click()
    page.get_by_role("button", name="Delete schedule").click()
    expect(page.get_by_role("heading", name="No schedules yet")).to_be_visible()
