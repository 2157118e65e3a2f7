"""What markdown renders to under a permissive renderer, and the check that it is inert."""

from __future__ import annotations

import html as htmllib
import re
import unicodedata

from markdown_it import MarkdownIt

# A deliberately permissive renderer (raw HTML on) so that anything that survives is our fault.
RENDER = MarkdownIt("commonmark", {"html": True}).enable("table").render


def rendered_tags(html: str) -> set[str]:
    return {tag.lower() for tag in re.findall(r"<\s*([a-zA-Z][a-zA-Z0-9]*)", html)}


def _linkifiable(text: str) -> list[str]:
    """What a GFM renderer would linkify in text: URLs and www. hosts after a boundary, e-mail addresses."""
    found = []
    for match in re.finditer(r"(https?://|www(?=\.))[-.\w]+", text, re.IGNORECASE):
        before = text[match.start() - 1] if match.start() else " "
        if before.isspace() or unicodedata.category(before)[0] in "PS":
            found.append(match.group(0))
    found += re.findall(r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+", text)
    return found


def assert_inert(markdown: str) -> None:
    html = RENDER(markdown)
    assert rendered_tags(html) <= {
        "p",
        "code",
        "em",
        "strong",
        "pre",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "ul",
        "ol",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "br",
        "hr",
        "blockquote",
    }, html
    # Linkifiers work on decoded text outside code: nothing there may look like a URL.
    outside_code = re.sub(r"<code[^>]*>.*?</code>", " ", html, flags=re.DOTALL)
    assert _linkifiable(htmllib.unescape(outside_code)) == [], html
