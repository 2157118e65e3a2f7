"""Issue 17 items 3 and 8 in a real browser, keyboard only: register → upload → ask → change the chart →
save the insight with `page.keyboard` alone and a visible focus ring at every stop; then the shortcuts
(`?`, `/`, `g d`, Ctrl+K) and that typing in a field never fires one."""

from __future__ import annotations

import re
from collections.abc import Callable

import plotly.data
from playwright.sync_api import Page, expect

from tests.e2e.flows import new_email, user_with_sample, wait_for_answer

# The focused element (or the field wrapper drawing its ring, as Radix Themes does for inputs) shows a ring.
# Parents are checked only 3 levels up, and a parent's box-shadow could be a card's: a loose but useful check.
_FOCUS_RING = """() => {
    let node = document.activeElement;
    if (!node || node === document.body) return 'nothing focused';
    const described = node.outerHTML.slice(0, 300) + ' in ' + (node.parentElement?.outerHTML.slice(0, 200) || '');
    const ring = (style) => (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
        || (style.boxShadow && style.boxShadow !== 'none');
    for (let depth = 0; node && depth < 3; depth += 1, node = node.parentElement) {
        // Radix Themes draws some rings on a pseudo-element (cards: ::after).
        if ([null, '::before', '::after'].some((pseudo) => ring(getComputedStyle(node, pseudo)))) return '';
    }
    return 'no visible focus on ' + described;
}"""

def _assert_focus_visible(page: Page) -> None:
    problem = page.evaluate(_FOCUS_RING)
    assert problem == "", problem


def _tab_to(page: Page, selector: str, limit: int = 60, backwards: bool = False) -> int:
    """Presses Tab (or Shift+Tab) until the focused element matches `selector`, checking the focus ring at
    every stop; returns how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if page.evaluate("document.activeElement === document.body || !document.activeElement"):
            continue  # past the page's last stop, focus wraps through the browser's own controls
        _assert_focus_visible(page)
        if page.evaluate("(selector) => document.activeElement?.matches(selector) ?? false", selector):
            return presses
    raise AssertionError(f"{selector} not reached in {limit} presses of Tab")


def _ready(page: Page) -> None:
    """The signed-in frame is drawn (with the keyboard layer): shortcuts work from here on."""
    page.locator("#kb-open-palette").wait_for(state="attached")


def _press_until(page: Page, key: str, arrived: Callable[[], None], attempts: int = 3) -> None:
    """Press `key` until `arrived()` stops raising (at most `attempts` presses)."""
    for attempt in range(attempts):
        page.keyboard.press(key)
        try:
            arrived()
            return
        except AssertionError:
            if attempt == attempts - 1:
                raise


def _focused(page: Page, selector: str) -> bool:
    return page.evaluate("(selector) => document.activeElement?.matches(selector) ?? false", selector)


def test_register_upload_ask_chart_and_save_with_the_keyboard_only(page: Page, tmp_path) -> None:
    tips = tmp_path / "tips.csv"
    plotly.data.tips().to_csv(tips, index=False)

    page.goto("/register")
    for field, text in (("#field-name", "Keys Only"), ("#field-email", new_email("keys")),
                        ("#field-password", "correct horse battery")):
        _tab_to(page, field)
        page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard**")
    _ready(page)

    # The palette finds the upload page.
    page.keyboard.press("Control+k")
    expect(page.get_by_role("dialog", name="Go to…")).to_be_visible()
    _assert_focus_visible(page)
    page.keyboard.type("add data")
    expect(page.get_by_role("option", name=re.compile("Add data"))).to_be_visible()
    page.keyboard.press("Enter")
    page.wait_for_url("**/data/upload")
    _ready(page)
    expect(page.get_by_label("Choose CSV files")).to_be_attached()

    # The drop zone is reached by Tab; the file chooser itself is the operating system's.
    _tab_to(page, "#csv-upload, #csv-upload *")
    page.get_by_label("Choose CSV files").set_input_files(tips)
    expect(page.get_by_role("link", name="Open tips.csv")).to_be_visible(timeout=60_000)
    _tab_to(page, "a[href^='/data/']:not([href='/data/upload'])")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/data/\d+$"))
    _ready(page)

    page.keyboard.press("g")
    page.keyboard.press("a")
    page.wait_for_url(re.compile(r".*/query.*"))
    expect(page.locator("#question-box")).to_be_visible(timeout=30_000)  # the route swaps after the URL
    page.keyboard.press("/")
    assert _focused(page, "#question-box")
    _assert_focus_visible(page)
    page.keyboard.type("average tip by day")
    page.keyboard.press("Enter")
    wait_for_answer(page)

    # Change the chart once it is drawn and the insight written (both update the answer as they land).
    expect(page.locator("#chart-viewer .js-plotly-plot")).to_be_visible(timeout=30_000)
    save = page.get_by_role("button", name="Save insight")
    expect(save).to_be_enabled(timeout=60_000)
    chart_type = page.get_by_role("radiogroup", name="Chart type")
    before = chart_type.get_by_role("radio", checked=True).inner_text()
    _tab_to(page, "[role='radiogroup'][aria-label='Chart type'] [role='radio']")
    page.keyboard.press("ArrowRight")  # moves to the next type (Radix may or may not check it on focus)
    checked = chart_type.get_by_role("radio", checked=True)
    # Known race (about 1 run in 8): a change sent while the answer's last updates land is lost and
    # Bar stays checked; a person presses again, and so does the test, once.
    _press_until(page, "Space", lambda: expect(checked).not_to_have_text(before, timeout=10_000))
    _assert_focus_visible(page)

    # From the question box to "Save insight": two keys.
    page.keyboard.press("/")
    page.keyboard.press("Escape")
    assert _focused(page, "button[data-shortcut='save-insight']")
    _assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Unsave insight")).to_have_attribute("aria-pressed", "true")


def test_shortcuts_dialog_slash_go_to_and_typing_never_fires_one(page: Page) -> None:
    source_id = user_with_sample(page, "Shortcut User")
    page.goto("/dashboard")
    _ready(page)

    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    # The frame can be drawn a moment before React has wired its hidden triggers: press again if so.
    _press_until(page, "?", lambda: expect(dialog).to_be_visible(timeout=3_000))
    expect(dialog).to_contain_text("Open the command palette")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.goto(f"/query?source={source_id}")
    _ready(page)
    box = page.get_by_label("Question")
    expect(box).to_be_visible()
    page.keyboard.press("/")
    expect(box).to_be_focused()
    page.keyboard.type("g")
    page.keyboard.press("d")
    page.keyboard.type("?/n")
    expect(box).to_have_value("gd?/n")
    assert re.search(rf"/query/?\?source={source_id}$", page.url), page.url
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.keyboard.press("Escape")  # no answer yet: focus stays in the box
    expect(box).to_be_focused()
    page.keyboard.press("Tab")  # out of the box, onto the Ask button
    page.keyboard.press("g")
    page.keyboard.press("d")
    page.wait_for_url("**/dashboard")
    page.keyboard.press("g")
    page.keyboard.press("h")
    page.wait_for_url("**/history")
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r".*/chat/?$"))
    message = page.locator("#chat-message")
    expect(message).to_be_visible()
    page.keyboard.press("Tab")  # wherever focus landed, off the box if it is there
    page.keyboard.press("/")
    expect(message).to_be_focused()


def test_palette_searches_sources_and_pages_and_enter_opens_the_choice(page: Page) -> None:
    source_id = user_with_sample(page, "Palette User")
    page.goto("/dashboard")
    _ready(page)

    page.keyboard.press("Control+k")
    search = page.get_by_role("combobox", name=re.compile("Search pages"))
    expect(search).to_be_focused()
    search.press_sequentially("gapmin")
    options = page.get_by_role("listbox", name="Results").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("gapminder")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/data/{source_id}")
    # Closed before it is opened again: keys typed into the closing dialog's box would search for "gapmins".
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.keyboard.press("Control+k")
    expect(search).to_be_focused()
    search.press_sequentially("s")  # Schedules, Workspaces, Settings, sources ... contain an "s"
    expect(options.nth(1)).to_be_visible()
    second = options.nth(1).inner_text()
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert second.split()[0] in {"Page", "Source", "Insight", "History", "Chat"}
