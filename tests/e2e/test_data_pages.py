"""Issue 3 in a real browser: uploads (drop and file picker), a source's page, deleting it, isolation."""

from __future__ import annotations

import io
import re

import plotly.data
from playwright.sync_api import Page, expect

from tests.e2e.conftest import register_in_browser
from tests.e2e.flows import QUESTION, ask, new_email, table_rows, user_with_sample


def _csv(frame) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue()


def _open_new_source(page: Page, file_name: str, rows: int, first_columns: list[str]) -> None:
    row = page.get_by_role("progressbar", name=f"Upload progress of {file_name}")
    expect(row).to_have_attribute("aria-valuenow", "100", timeout=60_000)
    expect(page.get_by_text(f"{file_name} is ready: {rows:,} rows.")).to_be_visible()  # the toast
    page.get_by_role("link", name=f"Open {file_name}").click()
    page.wait_for_url(re.compile(r".*/data/\d+$"))
    expect(page.get_by_role("heading", name=file_name, level=1)).to_be_visible()
    schema = page.get_by_label("Schema")
    for column in first_columns:
        expect(schema.get_by_text(column, exact=True)).to_be_visible()
    preview = page.get_by_role("table", name="Preview rows")
    expect(preview.locator("tbody tr").first).to_be_visible()


def test_drop_a_csv_then_open_it(page: Page):
    tips = plotly.data.tips()
    register_in_browser(page, "Drop User", new_email("drop"))
    page.goto("/data/upload")
    expect(page.get_by_text("up to 500.0 MB per file")).to_be_visible()
    data_transfer = page.evaluate_handle(
        """(text) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], 'tips.csv', {type: 'text/csv'}));
            return transfer;
        }""",
        _csv(tips),
    )
    zone = page.get_by_role("region", name="Drop zone for CSV files").locator("#csv-upload")
    zone.dispatch_event("dragenter", {"dataTransfer": data_transfer})
    zone.dispatch_event("drop", {"dataTransfer": data_transfer})

    _open_new_source(page, "tips.csv", len(tips), ["total_bill", "smoker", "size"])
    expect(page.get_by_text(f"Rows 1-25 of {len(tips):,}")).to_be_visible()
    first = table_rows(page, "Preview rows")[0]
    assert first[:2] == [f"{tips.total_bill[0]:g}", f"{tips.tip[0]:g}"]
    profile = page.get_by_role("table", name="Column profile")
    expect(profile.get_by_role("rowheader", name="total_bill")).to_be_visible()


def test_pick_several_files_each_with_its_own_outcome(page: Page, tmp_path):
    iris = tmp_path / "iris.csv"
    iris.write_text(_csv(plotly.data.iris()))
    header_only = tmp_path / "header_only.csv"
    header_only.write_text("a,b\n")
    not_csv = tmp_path / "report.pdf"
    not_csv.write_bytes(b"%PDF-1.4 not a table")
    prose = tmp_path / "note.txt"
    prose.write_text(
        "Dear team, thank you all for the lovely evening last week at the restaurant.\n"
        "I will send the photos to everyone once I have sorted them out properly.\n"
    )

    register_in_browser(page, "Picker User", new_email("picker"))
    page.goto("/data/upload")
    page.get_by_label("Choose CSV files").set_input_files([iris, header_only, not_csv, prose])
    expect(page.get_by_role("alert").filter(has_text="This file doesn't look like a table")).to_be_visible(
        timeout=60_000
    )

    # Refused in the browser (type), refused by the server (its own message), and accepted.
    expect(page.get_by_role("alert").filter(has_text="Only .csv, .tsv and .txt files can be uploaded.")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="The file has a header row but no data rows.")).to_be_visible(
        timeout=60_000
    )
    _open_new_source(page, "iris.csv", len(plotly.data.iris()), ["sepal_length", "species"])
    page.goto("/data")
    expect(page.get_by_role("row").filter(has_text="iris.csv")).to_contain_text("KB")
    expect(page.get_by_text("524.0 KB")).to_have_count(0)  # the file's own size, not DuckDB's minimum


def _duplicate_ids(page: Page) -> list[str]:
    return page.evaluate(
        "(() => { const seen = {}; document.querySelectorAll('[id]').forEach(e => seen[e.id] = (seen[e.id] || 0) + 1);"
        " return Object.keys(seen).filter(k => seen[k] > 1); })()"
    )


def test_empty_forms_say_what_to_fill_and_ids_are_unique(page: Page):
    page.goto("/register")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Enter your name.")).to_be_visible()
    expect(page.get_by_text("Enter your email address.")).to_be_visible()
    expect(page.get_by_text("Enter a password.")).to_be_visible()

    source_id = user_with_sample(page, "Empty Forms")
    page.goto("/data")
    page.get_by_role("button", name=re.compile("Connect a database")).first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Test connection").click()
    expect(dialog.get_by_text("Enter the host.")).to_be_visible()
    expect(dialog.get_by_text("Enter the database.")).to_be_visible()
    assert _duplicate_ids(page) == []
    for path in (f"/data/{source_id}", "/settings", "/history", "/insights"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert _duplicate_ids(page) == [], path


def test_delete_a_source_keeps_its_history_readable(page: Page):
    source_id = user_with_sample(page, "Remover Person")
    page.goto(f"/query?source={source_id}")
    ask(page, QUESTION)

    page.goto(f"/data/{source_id}")
    page.get_by_role("button", name="Delete source").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Delete this data source?")
    dialog.get_by_role("button", name="Delete source").click()
    page.wait_for_url(re.compile(r".*/data$"))
    expect(page.get_by_text("'gapminder' was deleted.")).to_be_visible()
    expect(page.get_by_role("heading", name="No data yet")).to_be_visible()

    page.goto("/history")
    entry = page.get_by_role("listitem").filter(has_text=QUESTION)
    expect(entry).to_contain_text("gapminder (source deleted)")
    expect(entry).to_contain_text("The data source of this entry was deleted")
    expect(entry.get_by_role("button", name=re.compile("^Re-run"))).to_be_disabled()

    page.goto(f"/data/{source_id}")
    expect(page.get_by_role("heading", name="Data source not found")).to_be_visible()


def test_another_users_source_is_not_found(page: Page, browser, live_server):
    owner_source = user_with_sample(page, "Owner User")

    other = browser.new_context(base_url=live_server)
    try:
        intruder = other.new_page()
        register_in_browser(intruder, "Intruder User", new_email("intruder"))
        intruder.goto(f"/data/{owner_source}")
        expect(intruder.get_by_role("heading", name="Data source not found")).to_be_visible()
        expect(intruder.get_by_text("gapminder")).to_have_count(0)
        intruder.goto(f"/query?source={owner_source}")
        expect(intruder.get_by_role("heading", name="Add data to ask about")).to_be_visible()
    finally:
        other.close()


def test_connect_a_postgresql_database_without_the_password_coming_back(page: Page):
    import secrets

    import psycopg2

    schema = f"e2e_{secrets.token_hex(4)}"
    password = f"pw-{secrets.token_hex(8)}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
        cursor.execute(f'CREATE TABLE "{schema}".orders (id int, region text, amount numeric)')
        cursor.execute(f"""INSERT INTO "{schema}".orders VALUES (1, 'north', 10.5), (2, 'south', 20)""")
    received: list[str] = []
    page.on(
        "websocket",
        lambda socket: socket.on(
            "framereceived", lambda frame: received.append(frame if isinstance(frame, str) else frame.decode("latin-1"))
        ),
    )
    try:
        register_in_browser(page, "Warehouse User", new_email("warehouse"))
        page.goto("/data")
        page.get_by_role("button", name="Connect a database").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Host").fill("127.0.0.1")
        dialog.get_by_label("Database", exact=True).fill("nonexistent_db_for_e2e")
        dialog.get_by_label("User", exact=True).fill("postgres")
        dialog.get_by_label("Password").fill(password)
        dialog.get_by_label("Schema (optional)").fill(schema)
        dialog.get_by_role("button", name="Test connection").click()
        expect(dialog.get_by_role("alert")).to_contain_text("nonexistent_db_for_e2e")

        dialog.get_by_label("Database", exact=True).fill("test")
        dialog.get_by_role("button", name="Test connection").click()
        expect(dialog.get_by_role("status")).to_contain_text("orders (3 columns, 2 rows)")
        dialog.get_by_label("Name for this source (optional)").fill("Orders warehouse")
        dialog.get_by_role("button", name="Save connection").click()
        page.wait_for_url(re.compile(r".*/data/\d+$"))
        expect(page.get_by_role("heading", name="Orders warehouse", level=1)).to_be_visible()
        expect(page.get_by_role("table", name="Preview rows")).to_contain_text("south")
        assert received and not [frame for frame in received if password in frame]
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()
