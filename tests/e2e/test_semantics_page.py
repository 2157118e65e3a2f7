"""Issue 11 in a real browser: the "Meaning of columns" section of a source's page is pre-filled,
refuses a bad field with a message and saves nothing, saves an edit that a reload shows, and resets."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import user_with_sample


def test_edit_a_columns_meaning_save_and_reload(page: Page):
    user_with_sample(page, "Meaning User")
    section = page.get_by_role("table", name="Meaning of columns")
    description = section.get_by_label("Description of pop")
    expect(description).to_have_value("Population")  # inferred from the name
    expect(section.get_by_role("row").filter(has_text="pop").get_by_text("inferred")).to_be_visible()

    # A value meaning without "=" is refused with a message; nothing is saved.
    section.get_by_label("Value meanings of year").fill("1952 first")
    page.get_by_role("button", name="Save meanings").click()
    expect(page.get_by_role("alert").filter(has_text="as `stored = words`")).to_be_visible()
    section.get_by_label("Value meanings of year").fill("")

    description.fill("Number of people living in the country that year")
    section.get_by_label("Unit of pop").fill("people")
    page.get_by_role("button", name="Save meanings").click()
    expect(page.get_by_text("Saved the meaning of pop.")).to_be_visible()

    page.reload()
    section = page.get_by_role("table", name="Meaning of columns")
    expect(section.get_by_label("Description of pop")).to_have_value("Number of people living in the country that year")
    expect(section.get_by_label("Unit of pop")).to_have_value("people")
    pop_row = section.get_by_role("row").filter(has=page.get_by_label("Description of pop"))
    expect(pop_row.get_by_text("edited")).to_be_visible()
    expect(section.get_by_role("row").filter(has=page.get_by_label("Description of year")).get_by_text("inferred")
           ).to_be_visible()
    section.get_by_label("Description of pop").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "semantics-edited.png"), full_page=True)
    section.screenshot(path=str(ARTIFACTS / "semantics-table.png"))

    page.get_by_role("button", name="Reset pop to what is inferred").click()
    expect(page.get_by_role("table", name="Meaning of columns").get_by_label("Description of pop")).to_have_value(
        "Population")
