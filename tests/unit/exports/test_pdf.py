"""PDF exports read back with pypdf: what the page says, page numbers, Unicode, the chart image, and
a PDF that still comes out (saying so) when no browser can draw the chart."""

from __future__ import annotations

import io
import subprocess
import time
from datetime import UTC, datetime

import plotly.data
import pytest
from pypdf import PdfReader

from lumiere.charts import ChartSpec
from lumiere.config import reset_settings
from lumiere.core.enums import ExportFormat
from lumiere.services import warehouse
from lumiere.services.exports import NO_BROWSER, TABLE_CHART, ExportSubject, chart_image, chart_png, write_export
from tests.helpers.datasets import frame_dataset

PNG = b"\x89PNG\r\n\x1a\n"
SQL = ('SELECT continent, country, "year", lifeExp AS life_expectancy FROM gapminder '
       'WHERE "year" = 2007 ORDER BY life_expectancy DESC')
BAR = {"type": "bar", "x": "continent", "y": "life_expectancy", "color": None, "title": "Life expectancy"}


def _cjk_font_installed() -> bool:
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=ja", "family"], capture_output=True, text=True, timeout=20, check=False
        )
    except OSError:
        return False
    return bool(listed.stdout.strip())


@pytest.fixture
def browser(monkeypatch):
    """Point chart images at a browser for one test; the kept-alive one is closed before and after."""

    def use(path: str) -> None:
        monkeypatch.setenv("LUMIERE_CHART_BROWSER", path)
        reset_settings()
        chart_image.stop_browser()

    yield use
    chart_image.stop_browser()
    monkeypatch.undo()
    reset_settings()


@pytest.fixture(scope="module")
def gapminder_source():
    return frame_dataset(plotly.data.gapminder(), "gapminder")


def _subject(source, **changes) -> ExportSubject:
    values = {
        "title": "Espérance de vie en 2007 — 東京",
        "question": "life expectancy by country in 2007 (café, 東京)",
        "source": source,
        "sql": SQL,
        "chart": BAR,
        "ran_at": datetime(2024, 3, 9, 14, 30, tzinfo=UTC),
        "insight": "**Japan** has the _longest_ lives; see `life_expectancy`.",
    }
    return ExportSubject(**{**values, **changes})


def _pdf(subject: ExportSubject) -> tuple[PdfReader, str, int]:
    out = io.BytesIO()
    summary = write_export(subject, ExportFormat.PDF, out)
    assert out.getvalue().startswith(b"%PDF-") and summary.content_type == "application/pdf"
    assert summary.filename == "Espérance de vie en 2007 — 東京 2024-03-09.pdf" or summary.filename.endswith(".pdf")
    reader = PdfReader(io.BytesIO(out.getvalue()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, text, summary.row_count


def test_the_pdf_says_what_was_asked_where_and_when(gapminder_source, browser) -> None:
    browser("/usr/bin/chromium")
    source = gapminder_source
    source.name = "Gapminder (Hans Rosling)"
    reader, text, rows = _pdf(_subject(source))
    flat = " ".join(text.split())
    assert rows == 142
    assert "life expectancy by country in 2007 (café," in flat
    assert "Gapminder (Hans Rosling)" in flat
    assert "2024-03-09 14:30 UTC" in flat
    assert 'SELECT continent, country, "year", lifeExp AS life_expectancy FROM gapminder' in flat
    assert "Japan has the longest lives; see life_expectancy." in flat  # markdown as plain text
    assert "First 50 of 142 rows" in flat and "Japan" in flat
    pages = len(reader.pages)
    assert pages >= 2 and f"Page 1 of {pages}" in flat and f"Page {pages} of {pages}" in flat
    assert reader.metadata is not None and reader.metadata.title == "Espérance de vie en 2007 — 東京"
    assert "Espérance" in flat
    if _cjk_font_installed():
        assert "東京" in flat
    images = {image.name: image.data for page in reader.pages for image in page.images}  # pages share resources
    assert len(images) == 1 and next(iter(images.values())).startswith(PNG)
    assert NO_BROWSER not in flat


def test_without_a_browser_the_pdf_comes_out_and_says_so(gapminder_source, browser) -> None:
    browser("/nonexistent/chromium")
    reader, text, _ = _pdf(_subject(gapminder_source))
    assert NO_BROWSER in " ".join(text.split())
    assert not [image for page in reader.pages for image in page.images]
    assert chart_png(_subject(gapminder_source)) is None


def test_a_browser_that_fails_to_start_leaves_the_chart_out(gapminder_source, browser) -> None:
    browser("/bin/false")  # runs, and exits at once: kaleido's start fails
    started = time.monotonic()
    _, text, _ = _pdf(_subject(gapminder_source))
    assert NO_BROWSER in " ".join(text.split())
    _, text, _ = _pdf(_subject(gapminder_source))  # no second attempt within a minute
    assert NO_BROWSER in " ".join(text.split())
    assert time.monotonic() - started < 30


def test_a_table_answer_says_it_has_no_chart(gapminder_source, browser) -> None:
    browser("/usr/bin/chromium")
    chart = {"type": "table", "x": None, "y": None, "color": None, "title": ""}
    reader, text, _ = _pdf(_subject(gapminder_source, chart=chart, insight=None))
    flat = " ".join(text.split())
    assert TABLE_CHART in flat and "Insight" not in flat
    assert not [image for page in reader.pages for image in page.images]


def test_text_from_the_data_is_text(browser) -> None:
    browser("/nonexistent/chromium")
    import pandas as pd

    frame = pd.DataFrame({"label": ['<img src="file:///etc/hostname">', "<b>bold</b> & co"], "n": [1, 2]})
    source = frame_dataset(frame, "labels")
    subject = _subject(source, sql="SELECT * FROM labels", chart=None, title="<h1>x</h1>", insight="<script>")
    reader, text, _ = _pdf(subject)
    flat = " ".join(text.split())
    assert '<img src="file:///etc/hostname">' in flat and "<b>bold</b> & co" in flat and "<h1>x</h1>" in flat
    assert not [image for page in reader.pages for image in page.images]


def test_chart_png_from_a_spec_and_rows_is_quick_once_warm(gapminder_source, browser) -> None:
    browser("/usr/bin/chromium")
    result = warehouse.execute(gapminder_source, SQL)
    first = chart_png(BAR, result)
    assert first is not None and first.startswith(PNG)
    started = time.monotonic()
    again = chart_png(ChartSpec.from_dict({**BAR, "type": "pie"}), result)
    assert again is not None and again.startswith(PNG) and again != first
    assert time.monotonic() - started < 5  # ~0.3 s on an idle machine; this one is shared
    assert chart_png({"type": "table", "x": None, "y": None, "color": None, "title": ""}, result) is None
