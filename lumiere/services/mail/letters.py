"""The emails Lumiere sends, as data (`Letter`) and as MIME messages (`compose`).

A letter is what every recipient of one delivery gets: the question, a short insight, the chart and
the file (attached, or linked when large). `compose` makes one recipient's message from it: plain
text and HTML alternatives, the chart inline as a `cid:` image, the file attached, and that
recipient's own "stop these emails" link (also as List-Unsubscribe, one click). Every text that came
from a user or their data is escaped in the HTML.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from html import escape
from pathlib import Path
from typing import Any

from lumiere.config import get_settings
from lumiere.core.text import plural
from lumiere.services.mail.links import stop_url

MB = 1024 * 1024


@dataclass(frozen=True)
class Attachment:
    """A file in the letter's folder: attached to the message."""

    file: str
    filename: str
    content_type: str
    row_count: int | None = None


@dataclass(frozen=True)
class Download:
    """A file too large to attach, linked instead."""

    url: str
    filename: str
    byte_count: int
    expires_at: str  # ISO 8601 UTC
    row_count: int | None = None
    reason: str = ""  # why it is linked, e.g. "It is too large to attach."


@dataclass(frozen=True)
class Letter:
    subject: str
    title: str
    question: str
    recipients: list[str]
    summary: str = ""
    points: list[str] = field(default_factory=list)
    chart_file: str | None = None  # a PNG in the letter's folder
    chart_note: str | None = None  # why there is no chart image
    attachment: Attachment | None = None
    download: Download | None = None
    # The schedule this letter comes from: each message then has its own stop link.
    schedule_id: int | None = None
    footer: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Letter:
        data: dict[str, Any] = json.loads(text)
        attachment = data.pop("attachment", None)
        download = data.pop("download", None)
        return cls(
            **data,
            attachment=Attachment(**attachment) if attachment else None,
            download=Download(**download) if download else None,
        )


def plain_text_of(markdown: str) -> str:
    """Lumiere's inert markdown (insights, facts) as plain text: escapes, code spans and bold undone."""
    text = markdown.replace("&lt;", "<")
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)
    return re.sub(r"\*\*|`", "", text).strip()


def _rows(count: int | None) -> str:
    if count is None:
        return ""
    return f" ({plural(count, 'row')})"


def _file_lines(letter: Letter) -> list[str]:
    if letter.attachment is not None:
        return [f"The file {letter.attachment.filename}{_rows(letter.attachment.row_count)} is attached."]
    if letter.download is not None:
        download = letter.download
        until = download.expires_at.replace("T", " ").replace("Z", " UTC")
        reason = f" {download.reason}" if download.reason else ""
        size = f"{download.byte_count / MB:,.1f} MB"
        text = f"The file {download.filename}{_rows(download.row_count)} is {size}.{reason} Download it until {until}:"
        return [text, download.url]
    return []


def plain_text(letter: Letter, stop: str | None) -> str:
    lines = [letter.title, ""]
    if letter.question:
        lines += [f"Question: {letter.question}", ""]
    if letter.summary:
        lines.append(letter.summary)
    lines += [f"- {point}" for point in letter.points]
    if letter.summary or letter.points:
        lines.append("")
    if letter.chart_note:
        lines += [letter.chart_note, ""]
    elif letter.chart_file:
        lines += ["The chart is in the HTML version of this email.", ""]
    file_lines = _file_lines(letter)
    if file_lines:
        lines += [*file_lines, ""]
    if letter.footer:
        lines.append(letter.footer)
    if stop:
        lines.append(f"Stop these emails: {stop}")
    return "\n".join(lines).rstrip() + "\n"


def html_body(letter: Letter, stop: str | None, chart_cid: str | None) -> str:
    parts = [
        "<!doctype html><html><body style=\"font-family: Arial, sans-serif; color: #1f2933; max-width: 720px\">",
        f"<h2 style=\"margin-bottom: 4px\">{escape(letter.title)}</h2>",
    ]
    if letter.question:
        parts.append(f"<p style=\"color: #52606d\">Question: <strong>{escape(letter.question)}</strong></p>")
    paragraphs = [paragraph.strip() for paragraph in letter.summary.split("\n\n") if paragraph.strip()]
    parts += [f"<p>{escape(paragraph).replace(chr(10), '<br>')}</p>" for paragraph in paragraphs]
    if letter.points:
        parts.append("<ul>" + "".join(f"<li>{escape(point)}</li>" for point in letter.points) + "</ul>")
    if chart_cid:
        parts.append(f"<p><img src=\"cid:{escape(chart_cid[1:-1])}\" alt=\"Chart\" style=\"max-width: 100%\"></p>")
    elif letter.chart_note:
        parts.append(f"<p style=\"color: #52606d\"><em>{escape(letter.chart_note)}</em></p>")
    if letter.attachment is not None:
        parts.append(f"<p>{escape(_file_lines(letter)[0])}</p>")
    elif letter.download is not None:
        text, url = _file_lines(letter)
        parts.append(f"<p>{escape(text)} <a href=\"{escape(url)}\">{escape(letter.download.filename)}</a></p>")
    footer = [escape(letter.footer)] if letter.footer else []
    if stop:
        footer.append(f"<a href=\"{escape(stop)}\">Stop these emails</a>")
    if footer:
        parts.append(f"<p style=\"color: #7b8794; font-size: 12px\">{'<br>'.join(footer)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def compose(letter: Letter, folder: Path, recipient: str) -> EmailMessage:
    """One recipient's message, with the letter's files read from `folder`."""
    settings = get_settings()
    stop = stop_url(letter.schedule_id, recipient) if letter.schedule_id is not None else None
    message = EmailMessage()
    message["Subject"] = " ".join(letter.subject.split())  # one line, whatever the question held
    message["From"] = settings.smtp_from
    message["To"] = Address(addr_spec=recipient)
    message["Message-ID"] = make_msgid(domain="lumiere.local")
    if stop:
        message["List-Unsubscribe"] = f"<{stop}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    chart = (folder / letter.chart_file).read_bytes() if letter.chart_file else None
    chart_cid = make_msgid(domain="lumiere.local") if chart else None
    message.set_content(plain_text(letter, stop))
    message.add_alternative(html_body(letter, stop, chart_cid), subtype="html")
    if chart is not None and chart_cid is not None:
        html_part = message.get_body(preferencelist=("html",))
        if not isinstance(html_part, EmailMessage):
            raise TypeError("the HTML alternative was just added")
        html_part.add_related(chart, maintype="image", subtype="png", cid=chart_cid, filename="chart.png",
                              disposition="inline")
    if letter.attachment is not None:
        kind, *parameters = (part.strip() for part in letter.attachment.content_type.split(";"))
        maintype, _, subtype = kind.partition("/")
        message.add_attachment(
            (folder / letter.attachment.file).read_bytes(),
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=letter.attachment.filename,
            params=dict(parameter.partition("=")[::2] for parameter in parameters if "=" in parameter),
        )
    return message
