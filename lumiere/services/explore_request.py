"""Is a question a vague request for an overview ("show me something interesting", "what stands out?")?

A request is vague when it carries an exploration intent and names nothing of the source: no word
of it is (a form of) a column name, a column synonym from the semantic layer or a stored value.
Words that name the whole table (its name, "data", "table") are not content. Word forms come from
lemminflect through the engine's own tokenizer, so "stands", "summarised" and "insights" read as
their lemmas; nothing here knows a sentence, only a small vocabulary of intent and generic words.
"""

from __future__ import annotations

from dataclasses import dataclass

from lumiere.charts.profile import name_tokens
from lumiere.core.engine import TableInfo
from lumiere.core.semantics import SourceSemantics
from lumiere.nlq.lexicon import FUNCTION_WORDS, Token, tokenize, word_forms

# Lemmas that ask for an overview rather than for a figure.
INTENT_WORDS = frozenset(
    """
    interesting interest overview explore exploration summary summarise summarize summarization
    summarisation insight notable noteworthy highlight pattern trend surprise surprising unusual
    anomaly outlier remarkable curious describe description profile xray x-ray glance
    """.split()
)
# Two words that together ask for an overview: "what stands out", "tell me about ...".
INTENT_PAIRS = (("stand", "out"), ("tell", "about"))
# Nouns that name the data as a whole, or say nothing about which part of it.
GENERIC_WORDS = frozenset(
    """
    data dataset datasets table tables source file sheet spreadsheet set database thing things something
    anything everything stuff fact facts chart charts graph graphs column columns row rows field fields
    value values record records information info number numbers detail details quick brief short
    main big key general high level top overall worth look glimpse let lets
    """.split()
)
MIN_NAME_TOKEN_CHARS = 3


@dataclass(frozen=True)
class RequestReading:
    """How a question was read for exploration: its intent words, the words that name something of
    the source (and the columns they name), and the words that are neither (the answer names them)."""

    intent: tuple[str, ...]
    content: tuple[str, ...]
    unplaced: tuple[str, ...]
    quoted: bool
    columns: tuple[str, ...] = ()

    @property
    def vague(self) -> bool:
        return bool(self.intent) and not self.content and not self.quoted


def read_request(question: str, tables: list[TableInfo], semantics: SourceSemantics | None = None) -> RequestReading:
    tokens = [token for token in tokenize(question) if token.kind in ("word", "quoted")]
    words = [token for token in tokens if token.kind == "word"]
    whole, whole_exact = _table_words(tables)
    names, names_exact = _source_words(tables, semantics or SourceSemantics())
    intent: list[str] = []
    content: list[str] = []
    unplaced: list[str] = []
    columns: dict[str, None] = {}
    for position, token in enumerate(words):
        forms = _forms(token)
        if forms & INTENT_WORDS or _in_pair(words, position):
            intent.append(token.text)
        elif token.low in FUNCTION_WORDS or forms & GENERIC_WORDS:
            continue
        elif token.low in whole_exact and token.low not in names_exact:
            continue  # "tips" names the table tips, even though "tip" is one of its columns
        elif named := [column for form in sorted(forms) for column in names.get(form, ())]:
            content.append(token.text)
            columns.update(dict.fromkeys(named))
        elif forms & whole:
            continue
        else:
            unplaced.append(token.text)
    return RequestReading(
        intent=tuple(intent),
        content=tuple(content),
        unplaced=tuple(unplaced),
        quoted=any(token.kind == "quoted" for token in tokens),
        columns=tuple(columns),
    )


def is_vague_request(question: str, tables: list[TableInfo], semantics: SourceSemantics | None = None) -> bool:
    """True for an exploration intent that names no column or value of the source."""
    return read_request(question, tables, semantics).vague


def has_exploration_intent(question: str) -> bool:
    """Asks for an overview, whatever else it names (used when the engine could not read the rest)."""
    return bool(read_request(question, []).intent)


def _forms(token: Token) -> frozenset[str]:
    return token.forms or word_forms(token.low)


def _in_pair(words: list[Token], position: int) -> bool:
    forms = _forms(words[position])
    for first, second in INTENT_PAIRS:
        if first in forms and any(second in _forms(other) for other in words[position + 1 :]):
            return True
        if second in forms and any(first in _forms(other) for other in words[:position]):
            return True
    return False


def _table_words(tables: list[TableInfo]) -> tuple[frozenset[str], frozenset[str]]:
    """The table names' words and their forms: "tell me about tips" is about the table `tips`."""
    exact = {token for table in tables for token in name_tokens(table.name)}
    forms: set[str] = set()
    for token in exact:
        forms |= word_forms(token)
    return frozenset(forms), frozenset(exact)


def _source_words(tables: list[TableInfo], semantics: SourceSemantics) -> tuple[dict[str, list[str]], frozenset[str]]:
    """Word form -> the columns it names (by a part of the column's name, a synonym or a stored text
    value), and the exact words of the column names."""
    phrases: list[tuple[str, str]] = []
    for table in tables:
        for column in table.columns:
            phrases.append((column.name, column.name))
            phrases += [(str(value), column.name) for value in column.samples if isinstance(value, str)]
    for meaning in semantics.columns:
        phrases += [(synonym, meaning.column) for synonym in meaning.synonyms]
        for value in meaning.values:
            phrases += [(word, meaning.column) for word in (value.stored, *value.words)]
    names: dict[str, list[str]] = {}
    exact: set[str] = set()
    for phrase, column_name in phrases:
        for token in name_tokens(phrase):
            if len(token) >= MIN_NAME_TOKEN_CHARS and token not in FUNCTION_WORDS and token.isalpha():
                if phrase == column_name:
                    exact.add(token)
                for form in word_forms(token):
                    names.setdefault(form, []).append(column_name)
    return names, frozenset(exact)
