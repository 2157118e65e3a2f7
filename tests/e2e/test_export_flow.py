"""Issue 14 in a real browser: Export ▾ CSV on the Ask page's answer downloads every row, and a history
row's Export ▾ PDF downloads the answer's PDF."""

from __future__ import annotations

import io
import re

import pandas as pd
import plotly.data
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import QUESTION, ask, user_with_sample


def test_export_csv_from_the_answer_and_pdf_from_history(page: Page):
    user_with_sample(page, "Exporter One")
    page.goto("/query")
    ask(page, QUESTION)

    page.locator("button.export-menu").first.click()
    expect(page.get_by_role("menuitem", name="CSV")).to_be_visible()
    expect(page.get_by_role("menuitem", name="Excel")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "export-menu-open.png"))
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_role("menuitem", name="CSV").click()
    download = download_info.value
    # The question as the file's name (its "?" dropped) and the day it was asked.
    assert re.fullmatch(r"How many rows are there for each continent \d{4}-\d{2}-\d{2}\.csv",
                        download.suggested_filename), download.suggested_filename
    with open(download.path(), "rb") as handle:
        data = handle.read()
    assert data.startswith(b"\xef\xbb\xbf")
    exported = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    expected = plotly.data.gapminder().groupby("continent").size()
    continent = next(name for name in exported.columns if name == "continent")
    count = next(name for name in exported.columns if name != continent)
    assert dict(zip(exported[continent], exported[count], strict=True)) == expected.to_dict()

    page.goto("/history")
    row = page.get_by_role("listitem").filter(has_text=QUESTION).first
    row.locator("button.export-menu").click()
    with page.expect_download(timeout=90_000) as pdf_info:
        page.get_by_role("menuitem", name="PDF").click()
    with open(pdf_info.value.path(), "rb") as handle:
        pdf = PdfReader(io.BytesIO(handle.read()))
    text = " ".join(" ".join(page_.extract_text() for page_ in pdf.pages).split())
    assert QUESTION in text and "gapminder" in text and "Page 1 of" in text and "All 5 rows" in text
