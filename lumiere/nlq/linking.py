"""Schema linking: every span of the question becomes a mention of a value, a column, the table,
a number, a known phrase, a harmless word - or stays unknown."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lumiere.core.engine import ValueMatch
from lumiere.nlq.absorbing import (
    absorb_calendar_spans,
    absorb_count_units,
    absorb_generic_heads,
    absorb_person_nouns,
    absorb_row_noun_modifiers,
    absorb_units_of,
)
from lumiere.nlq.arithmetic import link_arithmetic, link_percent_of
from lumiere.nlq.column_names import (
    EVERYDAY_NAMES,
    adjective_base,
    columns_named,
    initialism_columns,
    is_candidate_word,
    measure_of_adjective,
)
from lumiere.nlq.lexicon import (
    CONCEPT_NOUNS,
    FILLER_WORDS,
    FUNCTION_WORDS,
    PHRASE_INDEX,
    PHRASES,
    ROW_NOUNS,
    Token,
    edit_distance_at_most_one,
    has_verb_reading,
    is_english_word,
    is_verb_only,
    tokenize,
    verb_lemmas,
    word_forms,
)
from lumiere.nlq.mention import Linked, Mention, distinct_mentions
from lumiere.nlq.plan import MonthOfYear
from lumiere.nlq.row_nouns import names_the_rows
from lumiere.nlq.schema import ColumnRef, SchemaIndex, WordMatcher, split_identifier
from lumiere.nlq.semantic_words import link_description_words, link_semantic_names
from lumiere.nlq.value_linking import link_rates, link_value_stems, link_values, opposite_flag

MAX_COLUMN_SPAN = 6
_INSIDE_SPAN_WORDS = frozenset({"of", "the", "a", "an", "per"})


def link(question: str, schema: SchemaIndex, find_values: Callable[[list[str]], list[ValueMatch]]) -> Linked:
    tokens = tokenize(question)
    taken: list[Mention | None] = [None] * len(tokens)
    _link_verbatim_names(question, tokens, taken, schema)
    summary_rows = link_values(question, tokens, taken, schema, find_values)
    link_rates(tokens, taken, schema)
    link_semantic_names(tokens, taken, schema, find_values)  # the semantic layer's synonyms and value meanings
    _correct_typos(tokens, taken, schema)
    _link_spelled_names(tokens, taken, schema)
    _link_columns(tokens, taken, schema, full_only=True)
    _link_keywords(tokens, taken, schema)
    _link_columns(tokens, taken, schema, full_only=False)
    _distribute_heads(tokens, taken, schema)
    absorb_generic_heads(tokens, taken)
    absorb_count_units(tokens, taken, schema)
    _link_everyday_names(tokens, taken, schema)
    _distribute_heads(tokens, taken, schema, everyday=True)
    derived = link_arithmetic(tokens, taken) + link_percent_of(tokens, taken)
    _group_by_number_of(tokens, taken)
    absorb_person_nouns(tokens, taken)
    _link_date_parts(tokens, taken, schema)
    _link_rest(tokens, taken, schema)
    absorb_row_noun_modifiers(tokens, taken)
    absorb_calendar_spans(tokens, taken)
    absorb_units_of(tokens, taken)
    link_value_stems(tokens, taken, schema)
    link_description_words(tokens, taken, schema)  # units, descriptions: only words still unknown
    return Linked(tokens, distinct_mentions(taken), schema, summary_rows, derived)


# --------------------------------------------------------------------------- typos
def _vocabulary(schema: SchemaIndex) -> set[str]:
    words = {matcher.word for column in schema.columns for matcher in column.words}
    words |= {matcher.word for matcher in schema.table_words}
    words |= {word for phrase in PHRASES for word in phrase.words}
    words |= FUNCTION_WORDS | FILLER_WORDS
    return {word for word in words if word.isalpha() and len(word) >= 3}


def _correct_typos(tokens: list[Token], taken: list[Mention | None], schema: SchemaIndex) -> None:
    vocabulary: set[str] | None = None
    for i, token in enumerate(tokens):
        if taken[i] is not None or token.kind != "word" or len(token.low) < 3 or is_english_word(token.low):
            continue
        if _matches_schema(token, schema) or columns_named([token.low], schema):
            continue
        vocabulary = vocabulary if vocabulary is not None else _vocabulary(schema)
        close = sorted(word for word in vocabulary if edit_distance_at_most_one(token.low, word))
        if len(close) == 1 or (close and len(set(close)) == 1):
            token.low = close[0]
            token.forms = word_forms(close[0])


def _matches_schema(token: Token, schema: SchemaIndex) -> bool:
    return any(m.matches(token.forms, token.low) for c in schema.columns for m in c.words) or any(
        m.matches(token.forms, token.low) for m in schema.table_words
    )


# --------------------------------------------------------------------------- keywords
def _link_keywords(tokens: list[Token], taken: list[Mention | None], schema: SchemaIndex) -> None:
    i = 0
    while i < len(tokens):
        if taken[i] is not None or tokens[i].kind not in ("word", "punct", "number"):
            i += 1
            continue
        best: list[Any] = []
        length = 0
        for phrase in PHRASE_INDEX.get(tokens[i].low, []):
            n = len(phrase.words)
            if n < length:
                break
            window = tokens[i : i + n]
            if len(window) == n and all(
                taken[i + k] is None and window[k].low == phrase.words[k] for k in range(n)
            ):
                length = n
                best.append(phrase)
        if not best:
            i += 1
            continue
        text = " ".join(token.text for token in tokens[i : i + length])
        mention = Mention("kw", i, i + length, text, tags=[(p.tag, p.value) for p in best])
        if length == 1:
            mention.columns = [
                c for c in schema.columns if len(c.words) == 1 and c.words[0].matches(tokens[i].forms, tokens[i].low)
            ]
        for k in range(i, i + length):
            taken[k] = mention
        i += length


# --------------------------------------------------------------------------- columns and the table
@dataclass
class _SpanMatch:
    start: int
    end: int
    columns: list[ColumnRef]
    matched: int
    coverage: float
    is_table: bool = False
    literal: int = 0  # schema words said as such, not through a synonym
    row_noun: bool = False


def _token_hits(token: Token, matchers: list[WordMatcher]) -> set[int]:
    return {k for k, matcher in enumerate(matchers) if matcher.matches(token.forms, token.low)}


def _initial_hits(tokens: list[Token], indexes: list[int], matchers: list[WordMatcher]) -> list[set[int]]:
    """`_token_hits` for each token, where a one-letter word of the name also takes the word that
    follows the one its previous word matched: `solar radiation` for Solar.R."""
    found = [_token_hits(tokens[k], matchers) for k in indexes]
    for n in range(1, len(indexes)):
        if found[n] or indexes[n] != indexes[n - 1] + 1:
            continue
        letter_at = {p + 1 for p in found[n - 1] if p + 1 < len(matchers) and len(matchers[p + 1].word) == 1}
        found[n] = {p for p in letter_at if tokens[indexes[n]].low.startswith(matchers[p].word)}
    return found


def _literal_hits(tokens: list[Token], indexes: list[int], matchers: list[WordMatcher]) -> int:
    return sum(1 for k in indexes if any(m.quality(tokens[k].forms, tokens[k].low) == 2 for m in matchers))


def _compound_hits(first: Token, second: Token, matchers: list[WordMatcher]) -> set[int]:
    """`post code` for postcode. An abbreviation is not extended across two words: `unemployment
    duration` is not `unemploy`."""
    joined = first.low + second.low
    forms = word_forms(joined)
    return {
        k
        for k, matcher in enumerate(matchers)
        if matcher.matches(forms, joined) and not (matcher.abbreviation and not matcher.forms & forms)
    }


def _assign(content: list[list[set[int]]], size: int) -> int:
    """How many distinct schema words the content tokens cover (each token needs one)."""
    used: set[int] = set()
    for options in content:
        choice = next((k for hits in options for k in sorted(hits) if k not in used), None)
        if choice is None:
            return -1
        used.add(choice)
    return len(used)


def _span_candidates(tokens: list[Token], taken: list[Mention | None], schema: SchemaIndex, i: int) -> list[_SpanMatch]:
    results: list[_SpanMatch] = []
    content_idx: list[int] = []
    for j in range(i, min(len(tokens), i + MAX_COLUMN_SPAN)):
        token = tokens[j]
        if taken[j] is not None or token.kind not in ("word", "number") or (token.kind == "number" and j == i):
            break
        if token.low in _INSIDE_SPAN_WORDS:
            if j == i:
                break
            continue
        if token.low in FUNCTION_WORDS and token.low != "no":
            break
        content_idx.append(j)
        for column in schema.columns:
            hits = [[found] for found in _initial_hits(tokens, content_idx, column.words)]
            matched = _assign(hits, len(column.words))
            if matched > 0:
                literal = _literal_hits(tokens, content_idx, column.words)
                results.append(_SpanMatch(i, j + 1, [column], matched, matched / len(column.words), literal=literal))
        table_matchers = schema.table_words
        if all(tokens[k].low in ROW_NOUNS or schema.names_row_event(tokens[k].low) for k in content_idx):
            results.append(_SpanMatch(i, j + 1, [], len(content_idx), 1.0, is_table=True, row_noun=True))
        elif table_matchers:
            hits = [[_token_hits(tokens[k], table_matchers)] for k in content_idx]
            matched = _assign(hits, len(table_matchers))
            if matched > 0:
                head_hit = any(len(table_matchers) - 1 in h[0] for h in hits)
                coverage = 1.0 if head_hit else matched / len(table_matchers)
                literal = _literal_hits(tokens, content_idx, table_matchers)
                results.append(_SpanMatch(i, j + 1, [], matched, coverage, is_table=True, literal=literal))
        if len(content_idx) == 2 and content_idx[1] == content_idx[0] + 1:
            first, second = tokens[content_idx[0]], tokens[content_idx[1]]
            results.extend(
                _SpanMatch(i, j + 1, [column], 1, 1 / len(column.words))
                for column in schema.columns
                if _compound_hits(first, second, column.words)
            )
            if table_matchers and _compound_hits(first, second, table_matchers):
                results.append(_SpanMatch(i, j + 1, [], 1, 1.0, is_table=True))
    return results


def _link_columns(tokens: list[Token], taken: list[Mention | None], schema: SchemaIndex, *, full_only: bool) -> None:
    """Greedy: the span that covers the most schema words wins, then the best coverage.

    The first pass (`full_only`) takes only spans of two or more words that name a column
    completely, so that `number of products` or `first name` beat the phrases inside them.
    """
    candidates: list[_SpanMatch] = []
    for i in range(len(tokens)):
        if taken[i] is None and tokens[i].kind == "word" and tokens[i].low not in FUNCTION_WORDS:
            candidates.extend(_span_candidates(tokens, taken, schema, i))
    if full_only:
        candidates = [
            c
            for c in candidates
            if not c.is_table
            and c.coverage >= 1.0
            and c.matched >= 2
            and _content_count(tokens, c) >= 2
            and not _counts_rows_instead(tokens, c)
        ]
    # Group equal spans so ties between columns stay visible to the planner.
    by_span: dict[tuple[int, int], list[_SpanMatch]] = {}
    for candidate in candidates:
        by_span.setdefault((candidate.start, candidate.end), []).append(candidate)
    ranked = []
    for (start, end), group in by_span.items():
        best_matched = max(c.matched for c in group)
        top = [c for c in group if c.matched == best_matched]
        best_literal = max(c.literal for c in top)
        # the table's noun stays beside a column said word for word, unless it is only near the
        # table's name (`sleep` is sleep_total's own word, and only one letter from `msleep`)
        top = [c for c in top if c.literal == best_literal or (c.is_table and not _near_miss(tokens, c, schema))]
        best_cov = max(c.coverage for c in top)
        top = [c for c in top if c.coverage >= best_cov - 1e-9]
        tables = [c for c in top if c.is_table]
        cols = [c for c in top if not c.is_table]
        content = _content_count(tokens, top[0])
        if content < end - start and tokens[end - 1].low in _INSIDE_SPAN_WORDS:
            continue
        ranked.append(((-best_matched * 10 - content, -best_cov, start), start, end, tables, cols))
    ranked.sort(key=lambda r: r[0])
    for _, start, end, tables, cols in ranked:
        if any(taken[k] is not None for k in range(start, end)):
            continue
        text = " ".join(t.text for t in tokens[start:end])
        # The table's own noun names the rows unless a column says more (`document id`).
        if tables and (
            not cols or ((cols[0].coverage < 1.0 or tables[0].matched > cols[0].matched) and tables[0].coverage >= 1.0)
        ):
            mention = Mention(
                "table", start, end, text, columns=[c.columns[0] for c in cols], coverage=tables[0].coverage
            )
            mention.row_noun = tables[0].row_noun
        else:
            columns = sorted(
                (c.columns[0] for c in cols), key=lambda c: (-_exactness(c, tokens, start, end), c.is_id, c.position)
            )
            mention = Mention("column", start, end, text, columns=columns, coverage=cols[0].coverage)
            mention.also_table = any(not t.row_noun for t in tables)
        for k in range(start, end):
            taken[k] = mention


def _near_miss(tokens: list[Token], match: _SpanMatch, schema: SchemaIndex) -> bool:
    """A table match made only by a letter's difference from the table's name."""
    if match.row_noun:
        return False
    words = [tokens[k] for k in range(match.start, match.end)]
    return not any(m.forms & t.forms or t.low.startswith(m.word) for t in words for m in schema.table_words)


def _counts_rows_instead(tokens: list[Token], match: _SpanMatch) -> bool:
    """`the number of flights` counts flights; it does not name the identifier column FlightNo."""
    column = match.columns[0]
    if tokens[match.start].low not in ("number", "numbers") or column.words[-1].word not in (
        "no",
        "number",
        "num",
        "nbr",
    ):
        return False
    rest = [tokens[k] for k in range(match.start + 1, match.end) if tokens[k].low not in _INSIDE_SPAN_WORDS]
    return bool(rest) and all(any(m.matches(t.forms, t.low) for m in schema_table_words(column)) for t in rest)


def schema_table_words(column: ColumnRef) -> list[WordMatcher]:
    return [WordMatcher.of(word) for word in split_identifier(column.table)]


def _content_count(tokens: list[Token], match: _SpanMatch) -> int:
    return sum(1 for k in range(match.start, match.end) if tokens[k].low not in _INSIDE_SPAN_WORDS)


def _exactness(column: ColumnRef, tokens: list[Token], start: int, end: int) -> float:
    """Prefer the column whose words are said literally over one reached through a synonym."""
    said = {tokens[k].low for k in range(start, end)} | {
        f for k in range(start, end) for f in word_forms(tokens[k].low)
    }
    literal = sum(1 for matcher in column.words if matcher.word in said)
    return literal / len(column.words)


_LIST_JOINERS = frozenset({"and", "or", ",", "the", "&"})


def _distribute_heads(
    tokens: list[Token], taken: list[Mention | None], schema: SchemaIndex, *, everyday: bool = False
) -> None:
    """`first, middle, and last name`: the shared head noun completes each listed word; with
    `everyday`, by the everyday names too (`the high and the low temperature`: temp_max, temp_min)."""
    for mention in [
        m for k, m in enumerate(taken) if m is not None and m.kind == "column" and (k == 0 or taken[k - 1] is not m)
    ]:
        content = [k for k in range(mention.start, mention.end) if tokens[k].low not in _INSIDE_SPAN_WORDS]
        if len(content) < 2:
            continue
        head = content[1:]
        k = mention.start - 1
        while k >= 0:
            if tokens[k].low in _LIST_JOINERS:
                k -= 1
                continue
            occupant = taken[k]
            if tokens[k].kind not in ("word", "number") or (
                occupant is not None and (occupant.kind not in ("kw", "column") or occupant.end - occupant.start != 1)
            ):
                break
            if everyday:
                word = tokens[k].low
                listed = occupant is None and is_candidate_word(word) and word not in FUNCTION_WORDS
                named = columns_named([tokens[x].low for x in (k, *head)], schema) if listed else []
                column = named[0] if len(named) == 1 and named[0] not in mention.columns else None
            else:
                column = _completes(tokens, k, head, schema)
            if column is None:
                break
            taken[k] = Mention("column", k, k + 1, tokens[k].text, columns=[column], coverage=1.0)
            k -= 1


def _completes(tokens: list[Token], k: int, head: list[int], schema: SchemaIndex) -> ColumnRef | None:
    indexes = [k, *head]
    for column in schema.columns:
        if len(column.words) != len(indexes):
            continue
        hits = [[_token_hits(tokens[x], column.words)] for x in indexes]
        if _assign(hits, len(column.words)) == len(column.words):
            return column
    return None


# --------------------------------------------------------------------------- everyday column names
_NAME_JOINERS = frozenset("_.-/")


def _link_spelled_names(tokens: list[Token], taken: list[Mention | None], schema: SchemaIndex) -> None:
    """`Miles_per_Gallon`, `miles per gallon`, `fuel economy`: a column said in several words is one
    span before its inner `per` or `by` can read as a grouping."""
    for i in range(len(tokens)):
        if taken[i] is not None or tokens[i].kind != "word":
            continue
        words: list[str] = []
        best: tuple[int, ColumnRef, bool] | None = None
        for j in range(i, min(len(tokens), i + 2 * MAX_COLUMN_SPAN)):
            token = tokens[j]
            if taken[j] is not None:
                break
            if token.kind == "punct" and token.text in _NAME_JOINERS and words:
                continue
            if token.kind != "word":
                break
            words.append(token.low)
            if len(words) >= 2:
                found = _spelled_column(words, schema)
                if found is not None:
                    best = (j + 1, *found)
            if len(words) >= MAX_COLUMN_SPAN:
                break
        if best is not None:
            end, column, exact = best
            _take_column(tokens, taken, i, end, column, exact)


def _spelled_column(words: list[str], schema: SchemaIndex) -> tuple[ColumnRef, bool] | None:
    """(column, said exactly) for a name whose words include a joining word or a keyword, its
    initials (`miles per gallon` for mpg) or an everyday phrase of the lexicon (`fuel economy`)."""
    exact = [c for c in schema.columns if _spells(words, split_identifier(c.name))]
    if len(exact) == 1:
        return exact[0], True
    phrase = " ".join(words)
    joined = len(words) >= 3 and any(w in ("per", "of", "by") for w in words[1:-1])
    if phrase in EVERYDAY_NAMES:
        found = columns_named(words, schema)
    else:
        found = initialism_columns(words, schema) if joined else []
    return (found[0], False) if len(found) == 1 else None


def _spells(words: list[str], name_words: list[str]) -> bool:
    if len(words) != len(name_words) or len(words) < 2:
        return False
    if not any(w in FUNCTION_WORDS or w in PHRASE_INDEX or w == "per" for w in name_words):
        return False  # plain names are linked by _link_columns, which weighs them against the rest
    return all(w == n or WordMatcher.of(n).matches(word_forms(w), w) for w, n in zip(words, name_words, strict=True))


def _link_verbatim_names(question: str, tokens: list[Token], taken: list[Mention | None], schema: SchemaIndex) -> None:
    """A column name typed as it is stored (`experiment_1`, `Solar.R`, `yrs.since.phd`) is that
    column, though the words split at its underscores, dots and digits."""
    low = question.lower()
    for column in sorted(schema.columns, key=lambda c: -len(c.name)):
        name = column.name.lower()
        plain = len(name) < 3 or (name.isalpha() and len(column.words) < 2)
        for found in re.finditer(re.escape(name), low):
            start, end = found.span()
            if (start > 0 and low[start - 1].isalnum()) or (end < len(low) and low[end].isalnum()):
                continue
            inside = [k for k, token in enumerate(tokens) if token.start >= start and token.end <= end]
            if not inside or any(taken[k] is not None for k in inside):
                continue
            if not plain:
                _take_column(tokens, taken, inside[0], inside[-1] + 1, column, exact=True)
            elif _said_as_a_column(tokens, inside[0], inside[-1] + 1):
                # "the Joly column": a column, though Joly is also a winner's name; plain words are
                # otherwise linked word by word (`brainwt`, read as two words, is not one)
                _take_column(tokens, taken, inside[0], inside[-1] + 1, column, exact=True)


def _said_as_a_column(tokens: list[Token], start: int, end: int) -> bool:
    """`the Joly column`, `column Joly`: the word `column` right beside the name."""
    before = tokens[start - 1].low if start > 0 else ""
    after = tokens[end].low if end < len(tokens) else ""
    return after in ("column", "columns") or before in ("column", "columns")


def _take_column(
    tokens: list[Token], taken: list[Mention | None], start: int, end: int, column: ColumnRef, exact: bool
) -> Mention:
    text = " ".join(t.text for t in tokens[start:end] if t.kind == "word")
    reading = "" if exact else f"I read '{text}' as {column.name}."
    if _restated(tokens, taken, end, column):
        end += 3  # "miles per gallon (mpg)": the name in brackets says the same again
    mention = Mention("column", start, end, text, columns=[column], coverage=1.0, reading=reading)
    for k in range(start, end):
        taken[k] = mention
    return mention


def _restated(tokens: list[Token], taken: list[Mention | None], end: int, column: ColumnRef) -> bool:
    if end + 2 >= len(tokens) or any(taken[k] is not None for k in range(end, end + 3)):
        return False
    opening, word, closing = tokens[end : end + 3]
    if opening.text != "(" or closing.text != ")" or word.kind != "word":
        return False
    return column.name.lower() == word.low or any(m.matches(word.forms, word.low) for m in column.words)


def _link_everyday_names(tokens: list[Token], taken: list[Mention | None], schema: SchemaIndex) -> None:
    """Words no column name holds as such: abbreviations and initialisms built from the names
    (`weight` for wt, `mpg` for Miles_per_Gallon), everyday synonyms (`mileage`), and measure
    adjectives (`windiest` ranks by wind, `hotter than` compares the temperature)."""
    for i, token in enumerate(tokens):
        if taken[i] is not None or token.kind != "word" or not is_candidate_word(token.low):
            continue
        for size in (3, 2, 1):
            span = range(i, i + size)
            if i + size > len(tokens) or any(taken[k] is not None or tokens[k].kind != "word" for k in span):
                continue
            words = [tokens[k].low for k in span]
            if words[-1] in FUNCTION_WORDS or words[-1] == "per":
                continue
            if size == 1 and (is_verb_only(words[0]) or words[0] in FILLER_WORDS):
                continue
            columns = columns_named(words, schema)
            if len(columns) == 1:
                _take_column(tokens, taken, i, i + size, columns[0], exact=False)
                break
        if taken[i] is None:
            _link_measure_adjective(tokens, taken, schema, i)


def _how_adjective(tokens: list[Token], taken: list[Mention | None], i: int) -> bool:
    """`how old was the youngest victim`: the adjective asks for its column's value, unless a plain
    superlative follows whose column it would have to be (`how long is the longest model`)."""
    return (
        i > 0
        and tokens[i - 1].low == "how"
        and not any(m is not None and m.kind == "kw" and m.has("sup") for m in taken[i + 1 :])
    )


def _link_measure_adjective(tokens: list[Token], taken: list[Mention | None], schema: SchemaIndex, i: int) -> None:
    token = tokens[i]
    previous = taken[i - 1] if i > 0 else None
    if (previous is not None and previous.kind == "kw" and previous.has("sup")) or _how_adjective(tokens, taken, i):
        # "the most powerful", "how old was ...": the adjective's column
        measure = measure_of_adjective(token.low, schema)
        if measure is not None:
            _take_column(tokens, taken, i, i + 1, measure[1], exact=False)
        return
    base = adjective_base(token.low)
    following = tokens[i + 1].low if i + 1 < len(tokens) and taken[i + 1] is None else ""
    comparative = token.low.endswith("er") and following == "than"
    # the noun the adjective measures: "sepals wider than", "the widest sepal"
    k = i - 1 if comparative else i + 1
    near = taken[k] if 0 <= k < len(tokens) else None
    open_noun = near is None or (near.kind == "column" and near.start == k and near.end == k + 1)
    beside = tokens[k] if 0 <= k < len(tokens) and open_noun and tokens[k].kind == "word" else None
    measure = measure_of_adjective(base, schema, beside) if base else None
    if measure is None:
        return
    direction, column = measure
    reading = f"I read '{token.text}' as {column.name}."
    narrowed = beside is not None and base is not None and measure_of_adjective(base, schema) is None
    if comparative:
        op = ">" if direction == "desc" else "<"
        start = k if narrowed else i
        text = " ".join(t.text for t in tokens[start : i + 2])
        mention = Mention("kw", start, i + 2, text, tags=[("cmpcol", (op, column.name))], reading=reading)
        for m in range(start, i + 2):
            taken[m] = mention
    elif token.low.endswith("est"):
        end = k + 1 if narrowed else i + 1
        text = " ".join(t.text for t in tokens[i:end])
        mention = Mention("kw", i, end, text, tags=[("supcol", (direction, column.name))], reading=reading)
        for m in range(i, end):
            taken[m] = mention


def _group_by_number_of(tokens: list[Token], taken: list[Mention | None]) -> None:
    """`for each number of cylinders`, `by number of gears`: the groups are the column's values,
    not a count or a sum of it."""
    for i, mention in enumerate(taken):
        if mention is None or mention.kind != "kw" or not mention.has("count") or mention.start != i:
            continue
        before = taken[i - 1] if i > 0 else None
        grouped = (before is not None and before.kind == "kw" and before.has("group")) or (
            i > 0 and before is None and tokens[i - 1].low == "by"
        )
        after = taken[mention.end] if mention.end < len(taken) else None
        if grouped and after is not None and after.kind == "column" and mention.low.endswith(" of"):
            filler = Mention("filler", mention.start, mention.end, mention.text)
            for k in range(mention.start, mention.end):
                taken[k] = filler


_MONTHS = "january february march april may june july august september october november december".split()
_TIME_BUCKETS = ("year", "quarter", "month", "week", "day")


def _link_date_parts(tokens: list[Token], taken: list[Mention | None], schema: SchemaIndex) -> None:
    """`for each year` on a date column cuts it to years; `in July` is month 7 of a month column."""
    temporal = any(column.temporal for column in schema.columns)
    for i, token in enumerate(tokens):
        mention = taken[i]
        if mention is not None and mention.kind == "kw" and mention.has("group") and mention.end == i + 1 and temporal:
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            unit = next((u for u in _TIME_BUCKETS if following is not None and u in following.forms), None)
            if unit is not None and following is not None and taken[i + 1] is None:
                text = f"{mention.text} {following.text}"
                bucket = Mention("kw", mention.start, i + 2, text, tags=[("bucket", unit)])
                for k in range(mention.start, i + 2):
                    taken[k] = bucket
        elif mention is None and token.kind == "word" and token.low in _MONTHS:
            if token.low in ("may", "march") and (i == 0 or not token.text[:1].isupper()):
                continue  # the verbs
            column = _month_column(schema)
            number = _MONTHS.index(token.low) + 1
            dates = [c for c in schema.columns if c.temporal]
            if column is not None:
                reading = f"I read '{token.text}' as {column.name} = {number}."
                taken[i] = Mention("value", i, i + 1, token.text, values=[(column, number)], reading=reading)
            elif len(dates) == 1:  # "in July" over the one date column: its month, in any year
                month = MonthOfYear(number, token.text.capitalize())
                reading = f"I read '{token.text}' as the month of {dates[0].name} = {number}."
                taken[i] = Mention("value", i, i + 1, token.text, values=[(dates[0], month)], reading=reading)


def _is_decade(tokens: list[Token], i: int) -> bool:
    number, following = tokens[i].number, tokens[i + 1] if i + 1 < len(tokens) else None
    return (
        following is not None and following.low == "s" and following.start == tokens[i].end
        and number is not None and number % 10 == 0 and 1000 <= number <= 2100
    )


def _month_column(schema: SchemaIndex) -> ColumnRef | None:
    """The one whole-number column of months (named so, its values within 1-12)."""
    found = [
        column
        for column in schema.columns
        if column.kind == "integer"
        and ({"month", "mo"} & column.word_set)
        and isinstance(column.info.min, int | float)
        and isinstance(column.info.max, int | float)
        and 1 <= column.info.min <= column.info.max <= 12
    ]
    return found[0] if len(found) == 1 else None


# --------------------------------------------------------------------------- the rest
_PRONOUN_CUES = frozenset("the this that which each every any no one another".split())


def _link_rest(tokens: list[Token], taken: list[Mention | None], schema: SchemaIndex) -> None:
    for i, token in enumerate(tokens):
        if taken[i] is not None:
            continue
        if names_the_rows(tokens, taken, i, schema) and not (
            schema.table_words and _concept_column(token, schema) is not None
        ):  # "how many people live in Asia" adds up a population column
            # "how many passengers ...", "which model ...": a noun no column or value has names the
            # rows, whatever the table is called
            mention = Mention("table", i, i + 1, token.text, coverage=1.0)
            mention.row_noun = True
            if schema.table_words:
                mention.reading = f"I read '{token.text}' as the rows of {schema.table.name}."
            taken[i] = mention
            continue
        if _time_rows(token, schema):
            # "how many days was GOOG above AAPL": each row is one day
            mention = Mention("table", i, i + 1, token.text, coverage=1.0)
            mention.row_noun = True
            taken[i] = mention
            continue
        if token.low in ("one", "ones") and i > 0 and tokens[i - 1].low in _PRONOUN_CUES:
            taken[i] = Mention("stop", i, i + 1, token.text)  # "the one whose ...": a pronoun
        elif token.kind == "number" and _is_decade(tokens, i):  # "the 1970s": 1970 to 1979
            decade = Mention("number", i, i + 2, f"{token.text}s", [("decade", 10)], number=token.number)
            taken[i] = taken[i + 1] = decade
        elif token.kind == "number":
            taken[i] = Mention("number", i, i + 1, token.text, number=token.number)
        elif token.kind == "quoted":
            taken[i] = Mention("quoted", i, i + 1, token.text)
        elif token.kind == "punct":
            taken[i] = Mention("punct", i, i + 1, token.text)
        elif token.low in FUNCTION_WORDS:
            taken[i] = Mention("stop", i, i + 1, token.text)
        elif (column := _concept_column(token, schema)) is not None:
            taken[i] = Mention("column", i, i + 1, token.text, columns=[column], coverage=1.0)
        elif (flag := opposite_flag(token, schema)) is not None:
            # "how many passengers died" over `survived`: the rows where it is false
            _, falsy = flag.boolean_values or (True, False)
            reading = f"I read '{token.text}' as {flag.name} = {falsy!r}."
            mention = Mention("column", i, i + 1, token.text, columns=[flag], coverage=1.0, reading=reading)
            mention.tags.append(("opposite", True))
            taken[i] = mention
        elif token.low in FILLER_WORDS or (
            not _named_so(tokens, i) and (is_verb_only(token.low) or _verb_in_place(tokens, taken, i))
        ):
            taken[i] = Mention("filler", i, i + 1, token.text)
        else:
            taken[i] = Mention("unknown", i, i + 1, token.text)


def _named_so(tokens: list[Token], i: int) -> bool:
    """`the most efficient Ford`: a capital inside a sentence written in lower case marks a name,
    never a verb to skip (a question in Title Case marks nothing)."""
    words = [token for token in tokens if token.kind == "word"]
    capitalised = sum(1 for token in words if token.text[:1].isupper())
    return i > 0 and tokens[i].text[:1].isupper() and capitalised * 2 <= len(words)


_TIME_UNITS = {
    "day": ("date", "datetime"),
    "date": ("date", "datetime"),
    "year": ("integer",),
    "month": ("date",),
    "week": ("date",),
}


def _time_rows(token: Token, schema: SchemaIndex) -> bool:
    """A unit of time names the rows when each row has its own date (or year)."""
    units = [unit for unit in _TIME_UNITS if unit in token.forms]
    return any(
        column.unique and (column.temporal or column.yearish) and column.kind in _TIME_UNITS[unit]
        for unit in units
        for column in schema.columns
    )


def _concept_column(token: Token, schema: SchemaIndex) -> ColumnRef | None:
    """`people` for a population column, when the table has exactly one."""
    concepts = {CONCEPT_NOUNS[form] for form in token.forms if form in CONCEPT_NOUNS}
    for concept in concepts:
        columns = [c for c in schema.concept_columns(concept) if c.numeric_measure]
        if len(columns) == 1:
            return columns[0]
    return None


_VERB_CUES = frozenset("that who which to do does did not also been be were was is are will can could".split())


_MEASURE_NOUNS = frozenset(("rate", "rates", "ratio", "ratios", "margin", "margins", "yield", "yields"))


def _verb_in_place(tokens: list[Token], taken: list[Mention | None], i: int) -> bool:
    """A word that can be a verb, used as one (`channels that support HD`): a link, not a filter."""
    word = tokens[i].low
    if not has_verb_reading(word) or i == 0 or word in _MEASURE_NOUNS:
        return False  # "tip rate": a measure of its own, unknown here, never a verb to skip
    if any(word != lemma and word.endswith(("ing", "ed", "en")) for lemma in verb_lemmas(word)):
        return True
    previous = taken[i - 1]
    return tokens[i - 1].low in _VERB_CUES or (previous is not None and previous.kind in ("table", "column", "value"))
