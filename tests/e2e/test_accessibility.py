"""Issue 17 items 8-10 in a real browser: axe-core finds no violation (any impact but "minor") on
every page, light and dark, for a signed-out visitor, a user (with an answer on the Ask page) and an
admin; every page fits a phone (390x844) and a tablet (820x1180) without sideways scroll, in both
themes, with a screenshot of each saved to test-artifacts/e2e/layout/; keyboard basics (skip link,
no link-wrapped buttons, icon-only buttons named, Plotly's toolbar out of the tab order).

One signed-in user and one admin are made once for the module; each page is opened once per theme
and checked at the three sizes without reloading. All findings are gathered and written to
test-artifacts/e2e/a11y-report.json before the assertions, so one run reports every page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from tests.e2e.conftest import ARTIFACTS, register_in_browser, wait_until_still
from tests.e2e.flows import QUESTION, ask, new_email, user_with_sample
from tests.e2e.test_admin_flow import _make_admin

LAYOUT_DIR = ARTIFACTS / "layout"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
SIZES: dict[str, ViewportSize] = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 820, "height": 1180}}
THEMES = ("light", "dark")
_axe = Axe()
# Buttons and links that show only an icon and nobody can name: axe's button-name covers buttons,
# this covers role=button elements and links too, and reports the page's own selector.
_UNNAMED_CONTROLS = """() => [...document.querySelectorAll('button, a[href], [role=button]')]
  .filter((el) => el.checkVisibility() && !el.closest('.modebar'))  // not inside a folded <details>
  .filter((el) => !(el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title')
                    || el.innerText.trim() || [...(el.labels || [])].some((label) => label.innerText.trim())))
  .map((el) => el.outerHTML.slice(0, 160))"""
_LINKED_BUTTONS = """() => [...document.querySelectorAll('a button, a [role=button], button a')]
  .map((el) => el.outerHTML.slice(0, 160))"""
_MODEBAR_TABBABLE = """() => [...document.querySelectorAll('.modebar a, .modebar button, .modebar [tabindex]')]
  .filter((el) => el.tabIndex >= 0 && (el.focus(), document.activeElement === el)).length"""


@dataclass
class Findings:
    """Everything found on every page, keyed by "role page theme"."""

    axe: dict[str, list[str]] = field(default_factory=dict)
    overflow: dict[str, int] = field(default_factory=dict)
    keyboard: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass
class Site:
    """The accounts and addresses the pages need."""

    user: BrowserContext
    admin: BrowserContext
    visitor: BrowserContext
    source_id: int
    answer_url: str
    token: str


def _context(browser: Browser, live_server: str, findings: Findings) -> BrowserContext:
    context = browser.new_context(base_url=live_server, viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    context.on("page", lambda p: p.on("pageerror", lambda error: findings.errors.append(f"{p.url}: {error}")))
    return context


@pytest.fixture(scope="module")
def findings() -> Iterator[Findings]:
    result = Findings()
    yield result
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "a11y-report.json").write_text(json.dumps(result.__dict__, indent=2), encoding="utf-8")


@pytest.fixture(scope="module")
def site(browser: Browser, live_server: str, live_env: dict[str, str], findings: Findings) -> Iterator[Site]:
    # The admin signs up first: on a fresh server the first account is an admin anyway.
    admin = _context(browser, live_server, findings)
    admin_page = admin.new_page()
    admin_page.set_default_timeout(20_000)
    admin_email = new_email("a11yadmin")
    register_in_browser(admin_page, "Grace Admin", admin_email)
    _make_admin(live_env, admin_email)
    admin_page.close()

    user = _context(browser, live_server, findings)
    page = user.new_page()
    page.set_default_timeout(20_000)
    source_id = user_with_sample(page, "Ada Reader")
    page.goto(f"/query?source={source_id}")
    ask(page, QUESTION)
    answer_url = page.url
    page.locator("button.share-button").first.click()
    dialog = page.get_by_role("dialog", name="Share this answer")
    dialog.get_by_role("button", name="Create link").click()
    url_box = dialog.get_by_role("textbox", name="Share link")
    expect(url_box).to_have_value(re.compile(r"/s/[A-Za-z0-9_-]{43}$"))
    token = url_box.input_value().rsplit("/", 1)[-1]
    page.close()

    visitor = _context(browser, live_server, findings)
    yield Site(user, admin, visitor, source_id, answer_url, token)
    for context in (user, admin, visitor):
        context.close()


def _set_theme(page: Page, theme: str) -> None:
    """Clicks the page's own toggle (signed in, the choice is stored on the account) until it shows `theme`."""
    html = page.locator("html")
    if theme not in (html.get_attribute("class") or "").split():
        page.get_by_role("button", name="Toggle dark mode").first.click()
    expect(html).to_have_class(re.compile(rf"\b{theme}\b"))


def _open(page: Page, url: str, ready: str) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(url)
    expect(page.locator(ready).first).to_be_visible(timeout=30_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)  # Radix and Plotly finish laying out after hydration


def _check_page(page: Page, name: str, theme: str, findings: Findings) -> None:
    key = f"{name} {theme}"
    wait_until_still(page)
    result = _axe.run(page)
    findings.axe[key] = [
        f"{v['id']} ({v['impact']}): {len(v['nodes'])} x {v['nodes'][0]['target']}"
        for v in result.response["violations"]
        if v["impact"] != "minor"
    ]
    keyboard = [f"unnamed control: {html}" for html in page.evaluate(_UNNAMED_CONTROLS)]
    keyboard += [f"button inside a link: {html}" for html in page.evaluate(_LINKED_BUTTONS)]
    if page.evaluate(_MODEBAR_TABBABLE):
        keyboard.append("Plotly's toolbar is in the tab order")
    if page.locator("[role=navigation], nav").count() and not page.locator("a.skip-link[href='#main-content']").count():
        keyboard.append("no skip link")
    if keyboard:
        findings.keyboard[key] = keyboard
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(300)
        extra = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if extra > 0:
            findings.overflow[f"{key} {size}"] = extra
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        page.screenshot(path=str(LAYOUT_DIR / f"{slug}-{size}-{theme}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def _walk(context: BrowserContext, pages: list[tuple[str, str, str]], findings: Findings) -> None:
    LAYOUT_DIR.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    for theme in THEMES:
        for index, (name, url, ready) in enumerate(pages):
            _open(page, url, ready)
            if index == 0:
                _set_theme(page, theme)
            _check_page(page, name, theme, findings)
    page.close()


def _assert_clean(findings: Findings, role: str) -> None:
    mine = lambda table: {key: value for key, value in table.items() if key.startswith(role)}  # noqa: E731
    assert not mine(findings.axe) or not any(mine(findings.axe).values()), json.dumps(mine(findings.axe), indent=1)
    assert not mine(findings.overflow), mine(findings.overflow)
    assert not mine(findings.keyboard), json.dumps(mine(findings.keyboard), indent=1)
    assert not findings.errors, findings.errors


def test_signed_out_pages(site: Site, findings: Findings):
    pages = [
        ("visitor /login", "/login", "h1"),
        ("visitor /register", "/register", "h1"),
        ("visitor /s/token", f"/s/{site.token}", "h1"),
        ("visitor /s/gone", "/s/" + "x" * 43, "h1"),
    ]
    _walk(site.visitor, pages, findings)
    _assert_clean(findings, "visitor")


def test_user_pages_with_an_answer(site: Site, findings: Findings):
    pages = [
        ("user /dashboard", "/dashboard", "h1"),
        ("user /data", "/data", "h1"),
        ("user /data/upload", "/data/upload", "h1"),
        ("user /data/id", f"/data/{site.source_id}", "h1"),
        ("user /query", site.answer_url, "#insight-text"),
        ("user /chat", "/chat", "textarea"),
        ("user /history", "/history", "h1"),
        ("user /insights", "/insights", "h1"),
        ("user /schedules", "/schedules", "h1"),
        ("user /workspaces", "/workspaces", "h1"),
        ("user /settings", "/settings", "h1"),
    ]
    _walk(site.user, pages, findings)
    _assert_clean(findings, "user")


def test_admin_pages(site: Site, findings: Findings):
    pages = [("admin /admin", "/admin", "h1"), ("admin /dashboard", "/dashboard", "h1")]
    _walk(site.admin, pages, findings)
    _assert_clean(findings, "admin")


def _luminance(rgb: list[float]) -> float:
    channels = [c / 255 for c in rgb[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: list[float], second: list[float]) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# The focused element's outline colour and the first opaque background behind it, as [r, g, b].
_RING_AND_BACKGROUND = """() => {
  const rgb = (text) => {
    const canvas = document.createElement('canvas').getContext('2d');
    canvas.fillStyle = text; canvas.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = canvas.getImageData(0, 0, 1, 1).data; return [r, g, b, a];
  };
  const focused = document.activeElement;
  const style = getComputedStyle(focused);
  let node = focused.parentElement, background = [255, 255, 255, 255];
  while (node) {
    const color = rgb(getComputedStyle(node).backgroundColor);
    if (color[3] === 255) { background = color; break; }
    node = node.parentElement;
  }
  return {ring: rgb(style.outlineColor), width: parseFloat(style.outlineWidth), style: style.outlineStyle, background,
          html: focused.outerHTML.slice(0, 120)};
}"""


def test_skip_link_focus_ring_live_region_and_reduced_motion(site: Site):
    page = site.user.new_page()
    page.emulate_media(reduced_motion="reduce")
    page.goto(site.answer_url)
    live = page.locator("[aria-live='polite']").filter(has_text=re.compile(r"Answer ready: 5 rows"))
    expect(live).to_have_count(1, timeout=30_000)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()
    for theme in THEMES:
        _set_theme(page, theme)
        page.locator("main#main-content").focus()
        page.keyboard.press("Tab")  # the first control in the page's content, focused by keyboard
        ring = page.evaluate(_RING_AND_BACKGROUND)
        assert ring["style"] != "none" and ring["width"] >= 2, ring
        assert _contrast(ring["ring"], ring["background"]) >= 3, (theme, ring)
    # Reduced motion: Radix's transitions and animations are cut to (almost) nothing.
    durations = page.evaluate(
        "() => [...document.querySelectorAll('.rt-Button, .rt-Skeleton')].map((el) => getComputedStyle(el)"
        ".transitionDuration.split(',').concat(getComputedStyle(el).animationDuration.split(',')))"
    )
    assert durations and all(float(d.strip().rstrip("s")) <= 0.001 for group in durations for d in group), durations
    page.close()
