"""Linking the question's words to stored values: as the data spells them (and their other
number, adjective or ordinal forms), as a listed code the words spell (`herbivores` for herbi,
`orange juice` for OJ), or as a yes/no column named by the opposite verb (`died` for survived)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lemminflect

from lumiere.core.engine import ValueMatch
from lumiere.nlq.lexicon import (
    FUNCTION_WORDS,
    ORDINAL_WORDS,
    PHRASE_INDEX,
    PLACE_WORDS,
    ROW_NOUNS,
    SUMMARY_ROW_LABELS,
    VALUE_SYNONYMS,
    Token,
    letters_in_order,
    verb_lemmas,
)
from lumiere.nlq.mention import Mention
from lumiere.nlq.schema import ColumnRef, SchemaIndex, split_identifier

MAX_VALUE_WORDS = 6


def _value_phrases(question: str, tokens: list[Token]) -> dict[str, list[tuple[tuple[int, int], bool]]]:
    """Every span that might be a stored value: phrase -> [(span, said exactly so)]."""
    phrases: dict[str, list[tuple[tuple[int, int], bool]]] = {}

    def add(text: str, span: tuple[int, int], exact: bool = True) -> None:
        text = text.strip()
        if text:
            phrases.setdefault(text.lower(), []).append((span, exact))

    for i, token in enumerate(tokens):
        if token.kind == "quoted":
            add(token.text, (i, i + 1))
            continue
        ordinal = token.kind == "number" and any(ch.isalpha() for ch in token.text)
        if token.kind != "word" and not ordinal:
            continue
        for j in range(i + 1, min(len(tokens), i + MAX_VALUE_WORDS) + 1):
            last = tokens[j - 1]
            if last.kind not in ("word", "number") and not (last.kind == "punct" and last.text in ".&-/'"):
                break
            if j - 1 > i and tokens[j - 1].kind == "punct":
                continue
            if last.kind == "word" and last.low in FUNCTION_WORDS and j - i > 1:
                continue
            text = question[token.start : last.end]
            add(text, (i, j))
            if last.kind == "word" and question[last.start : last.end].lower().endswith(("'s", "’s")):
                add(question[token.start : last.start] + last.text, (i, j))  # "China's population": China
            if token.low in ORDINAL_WORDS:  # "third class" is stored as "3rd class"
                add(_ordinal_figure(ORDINAL_WORDS[token.low]) + question[token.end : last.end], (i, j), exact=False)
            if last.kind == "word":
                stem_text = question[token.start : last.start]
                variants = _value_word_variants(last.low)
                for variant in variants:
                    add(stem_text + variant, (i, j), exact=False)
                for said in {text.lower()} | {(stem_text + variant).lower() for variant in variants}:
                    for place in PLACE_WORDS.get(" ".join(said.split()), ()):
                        add(place, (i, j), exact=False)  # "French" -> France, "Asian" -> Asia
        for synonym_key, spellings in VALUE_SYNONYMS.items():
            if token.low == synonym_key or token.low in spellings:
                for spelling in (synonym_key, *spellings):
                    add(spelling, (i, i + 1), exact=spelling == token.low)
    return phrases


def _ordinal_figure(number: int) -> str:
    """1 -> 1st, 2 -> 2nd, 3 -> 3rd, 4 -> 4th (up to tenth, all the ordinal words there are)."""
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number, 'th')}"


def _value_word_variants(word: str) -> set[str]:
    """`republics` for Republic, `adult` for adults, `African` for Africa: the other number and
    adjective forms of a stored value."""
    lemmas = lemminflect.getAllLemmas(word) or lemminflect.getAllLemmasOOV(word, "NOUN")
    variants = set(lemmas.get("NOUN", ())) - {word}
    if word in lemmas.get("NOUN", ()):  # "adult men" where the data says adults
        variants |= set(lemminflect.getInflection(word, tag="NNS"))
    if word.endswith("an") and len(word) > 4:
        variants |= {word[:-1], word[:-2]}
    if word.endswith("y") and len(word) > 4 and word[-2] not in "aeiou":
        stem = word[:-1]  # "rainy" -> rain, "sunny" -> sun, "foggy" -> fog
        variants |= {stem, stem[:-1]} if stem[-1] == stem[-2] else {stem}
    return variants


def link_values(
    question: str,
    tokens: list[Token],
    taken: list[Mention | None],
    schema: SchemaIndex,
    find_values: Callable[[list[str]], list[ValueMatch]],
) -> list[tuple[ColumnRef, Any]]:
    """Links the spans that are stored values; returns the table's summary rows (a `Total` line)."""
    phrases = _value_phrases(question, tokens)
    found: dict[str, list[tuple[ColumnRef, Any]]] = {}
    known = {column.name: column for column in schema.columns}
    summary_rows: list[tuple[ColumnRef, Any]] = []
    for match in find_values(sorted(set(phrases) | set(SUMMARY_ROW_LABELS))):
        if match.column not in known or match.table != schema.table.name:
            continue
        if str(match.value).strip().lower() in SUMMARY_ROW_LABELS and _labels_rows(known[match.column], schema):
            summary_rows.append((known[match.column], match.value))
        for phrase in {str(match.value).strip().lower(), match.phrase.lower()} & phrases.keys():
            options = found.setdefault(phrase, [])
            if all(existing[0] is not known[match.column] for existing in options):
                options.append((known[match.column], match.value))
    # One span may be found through several phrases ("French" as a language, as France): the
    # options said exactly come first, and the planner picks among them by the words around.
    by_span: dict[tuple[int, int], list[tuple[bool, ColumnRef, Any]]] = {}
    for phrase, options in found.items():
        for span, exact in phrases[phrase]:
            i, j = span
            first = tokens[i]
            if first.kind != "quoted" and j - i == 1 and not _worth_a_value(first, i, schema):
                continue
            listed = by_span.setdefault(span, [])
            for column, value in options:
                if all(other is not column or stored != value for _, other, stored in listed):
                    listed.append((exact, column, value))
    candidates = []
    for (i, j), span_options in by_span.items():
        span_options.sort(key=lambda option: not option[0])
        first = tokens[i]
        exact = span_options[0][0]
        candidates.append(
            ((first.kind != "quoted", -(tokens[j - 1].end - first.start), not exact), (i, j), span_options)
        )
    named = _column_name_spans(tokens, schema)
    for _, (i, j), span_options in sorted(candidates, key=lambda c: c[0]):
        if any(taken[k] is not None for k in range(i, j)):
            continue
        if tokens[i].kind != "quoted" and any(a <= i and j <= b and b - a > j - i for a, b in named):
            continue  # "Package Options" names the column Package_Option, not its value Option
        text = tokens[i].text if tokens[i].kind == "quoted" else question[tokens[i].start : tokens[j - 1].end]
        mention = Mention("value", i, j, text, values=[(column, value) for _, column, value in span_options])
        for k in range(i, j):
            taken[k] = mention
    return summary_rows


def _column_name_spans(tokens: list[Token], schema: SchemaIndex) -> list[tuple[int, int]]:
    """Runs of two or more words that spell a column's whole name in order (`package options`)."""
    spans = []
    for column in schema.columns:
        size = len(column.words)
        if size < 2:
            continue
        for start in range(len(tokens) - size + 1):
            run = tokens[start : start + size]
            if all(m.matches(t.forms, t.low) for m, t in zip(column.words, run, strict=True)):
                spans.append((start, start + size))
    return spans


def _labels_rows(column: ColumnRef, schema: SchemaIndex) -> bool:
    """The column that names each row (a `Total` in a category column is a category)."""
    if not column.text or (column.position != 0 and column is not schema.display_column):
        return False
    return (column.info.distinct_count or 0) >= schema.table.row_count - 2


def _worth_a_value(token: Token, index: int, schema: SchemaIndex) -> bool:
    """One plain word is a value only if it is not a word of the question's own grammar."""
    if token.kind == "number":
        return any(ch.isalpha() for ch in token.text)  # "1st" may be stored as text
    if schema.names_row_event(token.low) and not token.text[:1].isupper():
        return False  # "deaths" where every row has a death_date: the rows, not a value `Death`
    if token.low in FUNCTION_WORDS or token.low in PHRASE_INDEX or token.low in ROW_NOUNS:
        return token.text[:1].isupper() and index > 0 and token.low not in FUNCTION_WORDS
    if token.text[:1].isupper() and index > 0:
        return True
    for column in schema.columns:
        if len(column.words) == 1 and column.words[0].matches(token.forms, token.low):
            return False
    return True



# --------------------------------------------------------------------------- codes
_MIN_STEM_CHARS = 4
_MAX_CODE_WORDS = 3


def link_value_stems(tokens: list[Token], taken: list[Mention | None], schema: SchemaIndex) -> None:
    """Words still unknown that spell a stored code of a column whose every value the profile
    lists: `herbivores` over herbi, carni, omni (the code starts the word), `assistant professors`
    over AsstProf (each part of the code shortens one word), `orange juice` over OJ (the code's
    capitals are the words' initials). One code only, and for a code that starts a word, one no
    other value contains (`professors` is not Prof where AsstProf and AssocProf are professors too)."""
    codes = _complete_code_lists(schema)
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_CODE_WORDS, len(tokens) - i), 0, -1):
            words = tokens[i : i + size]
            if not all(_unknown_word(taken[k], tokens[k]) for k in range(i, i + size)):
                continue
            found = [(column, code) for column, values in codes for code in values if _spells_code(words, code, values)]
            if len(found) > 1:  # `associate professors`: AssocProf starts both words, AsstProf only one
                best = max(_starts_said(words, value) for _, value in found)
                found = [(column, value) for column, value in found if _starts_said(words, value) == best]
            if len(found) == 1:
                column, value = found[0]
                text = " ".join(token.text for token in words)
                reading = f"I read '{text}' as {column.name} = '{value}'."
                mention = Mention("value", i, i + size, text, values=found, reading=reading)
                for k in range(i, i + size):
                    taken[k] = mention
                i += size - 1
                break
        i += 1


def _unknown_word(mention: Mention | None, token: Token) -> bool:
    return mention is not None and mention.kind == "unknown" and token.low.isalpha()


def _spells_code(words: list[Token], value: str, values: list[str]) -> bool:
    if len(words) == 1:
        word, code = words[0].low, value.lower()
        return (
            len(value) >= _MIN_STEM_CHARS
            and value.isalpha()
            and word.startswith(code)
            and len(word) > len(code)
            and not any(code in other.lower() for other in values if other != value)
        )
    if value.isupper() and value.isalpha() and len(value) == len(words):  # OJ: orange juice
        return all(token.low[0] == letter.lower() for token, letter in zip(words, value, strict=True))
    parts = split_identifier(value)
    return len(parts) == len(words) and all(
        _shortens(part, token.low) for part, token in zip(parts, words, strict=True)
    )


def _starts_said(words: list[Token], value: str) -> int:
    """How many words of the span the code's parts start."""
    parts = split_identifier(value)
    return sum(1 for part, token in zip(parts, words, strict=False) if token.low.startswith(part))


def _shortens(part: str, word: str) -> bool:
    """`prof` for professors, `asst` for assistant: the word's start, or its letters in order."""
    if len(part) < 2 or not part.isalpha() or word[0] != part[0] or len(word) <= len(part):
        return part == word
    return letters_in_order(part, word)


def _complete_code_lists(schema: SchemaIndex) -> list[tuple[ColumnRef, list[str]]]:
    """Text columns whose profile samples are all their values, with those values."""
    lists = []
    for column in schema.columns:
        samples = [value for value in column.info.samples if isinstance(value, str)]
        distinct = column.info.distinct_count
        if column.text and distinct is not None and samples and distinct <= len(samples):
            lists.append((column, samples))
    return lists



# --------------------------------------------------------------------------- flags
# Verbs whose opposite a yes/no column is often named by: "died" is `survived` = no.
_OPPOSITE_VERBS = {
    "die": "survive", "perish": "survive", "survive": "die", "lose": "win", "win": "lose", "fail": "pass",
    "pass": "fail", "reject": "accept", "decline": "accept", "accept": "reject",
}  # fmt: skip


def opposite_flag(token: Token, schema: SchemaIndex) -> ColumnRef | None:
    """The one yes/no column named by the opposite of this verb (`died` -> survived), if any."""
    opposites = {_OPPOSITE_VERBS[lemma] for lemma in verb_lemmas(token.low) if lemma in _OPPOSITE_VERBS}
    if not opposites:
        return None
    found = [
        column
        for column in schema.columns
        if column.boolean_values is not None
        and any(verb in matcher.exact for matcher in column.words for verb in opposites)
    ]
    return found[0] if len(found) == 1 else None


# --------------------------------------------------------------------------- rates
_RATE_WORDS = frozenset(("rate", "rates"))
_MIN_RATE_PREFIX = 5


def link_rates(tokens: list[Token], taken: list[Mention | None], schema: SchemaIndex) -> None:
    """`survival rate` over a yes/no `survived`, `cancellation rate` over a status `cancelled`: the
    share of rows where the flag holds (or the value is stored). The word and the flag or value
    share their first five letters or more; a word that fits more than one is left alone."""
    for k in range(len(tokens) - 1):
        word = tokens[k]
        if tokens[k + 1].low not in _RATE_WORDS or taken[k] is not None or taken[k + 1] is not None:
            continue
        if word.kind != "word" or len(word.low) < _MIN_RATE_PREFIX or schema.names_row_event(word.low):
            continue
        found = _rate_targets(word.low, schema)
        if len(found) != 1:
            continue
        column, value = found[0]
        text = f"{word.text} {tokens[k + 1].text}"
        reading = f"I read '{text}' as the percentage of rows where {column.name} is {value!r}."
        mention = Mention("kw", k, k + 2, text, tags=[("rate", (column, value))], reading=reading)
        taken[k] = taken[k + 1] = mention


def _rate_targets(word: str, schema: SchemaIndex) -> list[tuple[ColumnRef, Any]]:
    stem = word[:_MIN_RATE_PREFIX]
    found: list[tuple[ColumnRef, Any]] = []
    for column in schema.columns:
        flag = column.boolean_values
        if flag is not None and any(matcher.word.startswith(stem) for matcher in column.words):
            found.append((column, flag[0]))
        elif column.text and column.category:
            found.extend(
                (column, value)
                for value in column.info.samples
                if isinstance(value, str) and value.lower().startswith(stem)
            )
    return found
