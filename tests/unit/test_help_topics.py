"""The help content: every topic the issue asks for, searchable, true to the code it describes."""

from __future__ import annotations

from pathlib import Path

import pytest

from lumiere.components.help_link import help_link
from lumiere.llm.engine import MAX_SAMPLES
from lumiere.services.help_topics import SHORTCUTS, TOPIC_SLUGS, TOPICS, search_topics, shortcut_keys

KEYS_JS = Path(__file__).resolve().parents[2] / "assets" / "keys.js"


def test_every_topic_is_there_once_with_text() -> None:
    assert [topic.slug for topic in TOPICS] == [
        "questions", "databases", "llm", "charts", "sharing", "workspaces", "keyboard", "privacy"
    ]
    assert len(TOPIC_SLUGS) == len(TOPICS)
    assert all(topic.title and topic.paragraphs and all(topic.paragraphs) for topic in TOPICS)


def test_search_keeps_matching_paragraphs_or_whole_topics_by_title() -> None:
    assert search_topics("") == list(TOPICS) and search_topics("  ,. ") == list(TOPICS)
    synonyms = search_topics("SYNONYM")
    assert [topic.slug for topic in synonyms] == ["questions"]
    assert len(synonyms[0].paragraphs) == 1 and "Meaning of columns" in synonyms[0].paragraphs[0]
    keyboard = search_topics("keyboard shortcuts")
    assert next(topic for topic in keyboard if topic.slug == "keyboard") in TOPICS  # whole topic by its title
    assert search_topics("zebra crossing") == []
    assert search_topics("read-only user")[0].slug == "databases"


def test_the_privacy_topic_names_what_the_llm_is_sent() -> None:
    privacy = " ".join(next(topic for topic in TOPICS if topic.slug == "privacy").paragraphs)
    prompts = (Path(__file__).resolve().parents[2] / "prompts" / "sql_generation_prompt.txt").read_text()
    assert "{schema}" in prompts and "{examples}" in prompts and "{matching_values}" in prompts
    assert f"up to {MAX_SAMPLES} short sample values" in privacy and "never sees your passwords" in privacy


def test_every_shortcut_is_listed_in_help_and_bound_by_the_script() -> None:
    keyboard = next(topic for topic in TOPICS if topic.slug == "keyboard")
    script = KEYS_JS.read_text()
    for shortcut in SHORTCUTS:
        assert any(paragraph.startswith(shortcut_keys(shortcut)) for paragraph in keyboard.paragraphs)
    for needle in ('"?"', '"/"', '"g"', "d: ", "a: ", "c: ", "h: ", '"n"', '"s"', '"Escape"', '"k"'):
        assert needle in script
    assert "eval(" not in script and "innerHTML" not in script and "Function(" not in script


def test_help_link_points_at_a_topic_and_refuses_unknown_ones() -> None:
    assert "/help?topic=privacy" in str(help_link("privacy"))
    with pytest.raises(ValueError, match="No help topic"):
        help_link("nope")
