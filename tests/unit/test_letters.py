"""Lumiere's emails as MIME: text and HTML alternatives, user text escaped, one-line subjects, the
chart inline by cid, the file attached with its type, a stop link per recipient."""

from __future__ import annotations

from pathlib import Path

from lumiere.services.mail.letters import Attachment, Download, Letter, compose, plain_text_of


def _letter(**changes: object) -> Letter:
    values: dict[str, object] = {
        "subject": "Weekly\nreport <b>", "title": "<script>alert(1)</script>", "question": "Sales > 100 & <falling>?",
        "recipients": ["ann@example.com"], "summary": "The result has 3 rows.",
        "points": ["<img src=x onerror=alert(1)> tops"], "schedule_id": 7, "footer": "Sent by Lumiere.",
    }
    values.update(changes)
    return Letter(**values)  # type: ignore[arg-type]


def test_user_text_is_escaped_in_the_html_and_the_subject_is_one_line(tmp_path: Path) -> None:
    message = compose(_letter(), tmp_path, "ann@example.com")
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    assert html is not None and text is not None
    body = html.get_content()
    assert "<script>" not in body and "&lt;script&gt;" in body and "<img" not in body
    assert "Sales &gt; 100 &amp; &lt;falling&gt;?" in body
    assert message["Subject"] == "Weekly report <b>" and message["To"] == "ann@example.com"
    assert "Stop these emails: http://localhost:3000/api/email/stop/" in text.get_content()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_each_recipient_gets_their_own_stop_link(tmp_path: Path) -> None:
    first = compose(_letter(), tmp_path, "ann@example.com")["List-Unsubscribe"]
    second = compose(_letter(), tmp_path, "bob@example.com")["List-Unsubscribe"]
    assert first != second
    no_schedule = compose(_letter(schedule_id=None), tmp_path, "ann@example.com")
    assert no_schedule["List-Unsubscribe"] is None


def test_chart_inline_and_file_attached(tmp_path: Path) -> None:
    (tmp_path / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (tmp_path / "export.xlsx").write_bytes(b"PK\x03\x04")
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    message = compose(_letter(chart_file="chart.png", attachment=Attachment("export.xlsx", "Report.xlsx", xlsx, 3)),
                      tmp_path, "ann@example.com")
    parts = {part.get_content_type(): part for part in message.walk()}
    image = parts["image/png"]
    html = message.get_body(preferencelist=("html",))
    assert html is not None and f"cid:{image['Content-ID'].strip('<>')}" in html.get_content()
    (attached,) = message.iter_attachments()
    assert attached.get_content_type() == xlsx and attached.get_filename() == "Report.xlsx"


def test_a_linked_file_says_until_when(tmp_path: Path) -> None:
    download = Download("http://localhost:3000/api/files/t", "Big.csv", 25 * 1024 * 1024, "2026-12-14T08:00:00Z",
                        1_000_000, reason="It is too large to attach.")
    message = compose(_letter(download=download, chart_note="Chart not available."), tmp_path, "ann@example.com")
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert ("The file Big.csv (1,000,000 rows) is 25.0 MB. It is too large to attach. Download it until "
            "2026-12-14 08:00:00 UTC:") in text.get_content()
    assert "Chart not available." in text.get_content() and not list(message.iter_attachments())


def test_inert_markdown_reads_as_plain_text() -> None:
    assert plain_text_of("**Tips by day**\n\nSat \\(260\\) &lt;3 `https://x.example`") == (
        "Tips by day\n\nSat (260) <3 https://x.example")
