"""What the built-in engine knows about a table: the words of each column name and its nature."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import lemminflect

from lumiere.core.engine import ColumnInfo, TableInfo
from lumiere.core.lru import BoundedLru
from lumiere.core.semantics import ColumnMeaning
from lumiere.nlq.lexicon import (
    ABBREVIATIONS,
    CONCEPT_WORDS,
    FALSE_VALUES,
    FUNCTION_WORDS,
    ORDINAL_WORDS,
    SYNONYMS,
    TRUE_VALUES,
    edit_distance_at_most_one,
    is_english_word,
    word_forms,
)

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
GENERIC_TABLE_WORDS = frozenset(
    "data table info information list ref reference details other tbl dim fact raw clean final".split()
)
NAME_WORDS = ("name", "title", "label")
_NULL_WORDS = frozenset(
    {"", "null", "na", "n/a", "none", "nan", "-", "\u2212", "\u2013", "\u2014", "?", "tba", "tbd", "n.a."}
)
# A number as people type it into a spreadsheet: thousands separators, a currency sign, then
# optionally a unit or a footnote mark ("8,000", "$1,200", "3,880 days", "12[a]", "45*", "10 PS (7 kW)").
_NUMBER_CELL = re.compile(
    r"[-+]?[$€£]?(\d{1,3}([,\u00a0\u2009\u202f ]\d{3})+|\d+)?(\.\d+)?"
    r"(?<=\d)"  # at least one digit
    r"\s*(%|[A-Za-z°²³/.]{1,12})?"  # a unit
    r"\s*(\[[^\]]*\]|\([^)]*\)|[*†‡§¶#^]+)*"  # footnotes, a remark in brackets
)
NUMERIC_KINDS = ("integer", "number")
CATEGORY_MAX_VALUES = 50
RANK_WORDS = frozenset("rank ranking position pos place placing seed standing finish".split())
TEMPORAL_KINDS = ("date", "datetime")


def split_identifier(name: str) -> list[str]:
    """`Song_release_year` -> song release year; `LifeExpectancy` -> life expectancy; `line_1` -> line 1."""
    words: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", name):
        if part:
            for piece in _CAMEL.split(part):
                if piece:
                    words.extend(_compound_parts(piece.lower()))
    return words


_MIN_COMPOUND_HEAD = 3
_COORDINATE_WORDS = frozenset(("lat", "latitude", "lon", "lng", "longitude"))


@lru_cache(maxsize=20000)
def _compound_parts(piece: str) -> tuple[str, ...]:
    """`brainwt` -> brain wt, `bodywt` -> body wt: a name written as one word that is no word of
    its own, read as an English word and a known abbreviation run together. Two words run together
    (`callsign`) stay one: questions write them so too."""
    if len(piece) < 5 or not piece.isalpha() or piece in ABBREVIATIONS or is_english_word(piece):
        return (piece,)
    for cut in range(len(piece) - 2, _MIN_COMPOUND_HEAD - 1, -1):
        head, tail = piece[:cut], piece[cut:]
        if not is_english_word(head) or head in FUNCTION_WORDS:
            continue
        if tail in ABBREVIATIONS and not is_english_word(tail):
            return (head, tail)
    return (piece,)


_MIN_TABLE_NOUN = 4
_EVENT_TIME_WORDS = frozenset(("date", "time", "day", "timestamp"))


def _table_name_parts(piece: str) -> tuple[str, ...]:
    """`uscereal` -> us cereal, `mtcars` -> mt cars: a table named by initials run into a noun (the
    noun is what its rows are called). Only a prefix of two letters, or three that are no word:
    `msleep`, `airquality` and `toothgrowth` stay one word."""
    if len(piece) < _MIN_TABLE_NOUN + 2 or not piece.isalpha() or is_english_word(piece):
        return (piece,)
    for cut in (2, 3):
        head, tail = piece[:cut], piece[cut:]
        if cut == 3 and is_english_word(head):
            continue
        if len(tail) >= _MIN_TABLE_NOUN and is_english_word(tail) and lemminflect.getAllLemmas(tail).get("NOUN"):
            return (head, tail)
    return (piece,)


# The largest value a calendar position can take, by the column's last name word.
_CALENDAR_PARTS = {"day": 31, "month": 12, "week": 53, "quarter": 4, "weekday": 7, "hour": 24}


@dataclass
class WordMatcher:
    """One word of a schema name with every form a question may use for it."""

    word: str
    forms: frozenset[str]  # with synonyms
    exact: frozenset[str]  # the word itself (and what its abbreviation stands for)
    abbreviation: bool  # not an English word: a question word may extend it (`indep` ~ independent)

    @classmethod
    def of(cls, word: str) -> WordMatcher:
        expanded = ABBREVIATIONS.get(word, word)
        exact = set(word_forms(word)) | set(word_forms(expanded))
        if word.isdigit():
            exact |= {ordinal for ordinal, number in ORDINAL_WORDS.items() if str(number) == word}
        forms = set(exact)
        for base in (word, expanded):
            for synonym in SYNONYMS.get(base, ()):
                forms |= word_forms(synonym)
        abbreviation = not is_english_word(word) and len(word) >= 3 and not word.isdigit()
        return cls(word, frozenset(forms), frozenset(exact), abbreviation)

    def quality(self, forms: frozenset[str], low: str) -> int:
        """2: the word itself, 1: a synonym, an abbreviation or part of a compound, 0: no match."""
        if self.exact & forms:
            return 2
        if self.forms & forms:
            return 1
        if self.abbreviation and len(low) > len(self.word) and low.startswith(self.word):
            return 1
        if self.abbreviation and len(self.word) >= 5 and edit_distance_at_most_one(low, self.word):
            return 1
        if len(low) >= 4 and len(self.word) > len(low) + 2 and (self.word.endswith(low) or self.word.startswith(low)):
            return 1  # `code` in `postcode`, `town` in `hometown`
        return 0

    def matches(self, forms: frozenset[str], low: str) -> bool:
        return self.quality(forms, low) > 0


@dataclass
class ColumnRef:
    info: ColumnInfo
    table: str
    position: int
    row_count: int
    words: list[WordMatcher] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def kind(self) -> str:
        return self.info.kind

    @property
    def numeric(self) -> bool:
        return self.info.kind in NUMERIC_KINDS or self.numeric_text

    @property
    def temporal(self) -> bool:
        return self.info.kind in TEMPORAL_KINDS

    @property
    def text(self) -> bool:
        return self.info.kind == "text"

    @cached_property
    def word_set(self) -> set[str]:
        return {matcher.word for matcher in self.words}

    @cached_property
    def yearish(self) -> bool:
        """An integer column of years (named so, or every value a plausible year)."""
        if self.info.kind not in NUMERIC_KINDS:
            return False
        if "year" in self.word_set or "yr" in self.word_set:
            return True
        low, high = self.info.min, self.info.max
        return (
            isinstance(low, int | float)
            and isinstance(high, int | float)
            and 1800 <= low <= high <= 2100
            and self.info.kind == "integer"
        )

    @cached_property
    def boolean_values(self) -> tuple[object, object] | None:
        """(true value, false value) as stored, for yes/no style columns."""
        if self.info.kind == "boolean":
            return (True, False)
        samples = [value for value in self.info.samples if value is not None]
        if not samples or (self.info.distinct_count or 0) > 2:
            return None
        truthy = [value for value in samples if str(value).strip().lower() in TRUE_VALUES]
        falsy = [value for value in samples if str(value).strip().lower() in FALSE_VALUES]
        if not truthy and not falsy:
            return None
        if truthy and falsy:
            return (truthy[0], falsy[0])
        if truthy:
            value = truthy[0]
            return (value, _opposite(value))
        value = falsy[0]
        return (_opposite(value), value)

    @cached_property
    def numeric_text(self) -> bool:
        """Numbers stored as text (thousands separators, units, footnote marks, a stray `null`):
        compared, sorted and added up through the number each cell starts with."""
        if self.info.kind != "text":
            return False
        seen = [
            str(v).strip() for v in self.info.samples if v is not None and str(v).strip().lower() not in _NULL_WORDS
        ]
        return bool(seen) and all(_NUMBER_CELL.fullmatch(v) for v in seen)

    @cached_property
    def rank_like(self) -> bool:
        """A rank or a position: number 1 is the highest, the best, the top."""
        return self.numeric and bool(self.words) and self.words[-1].word in RANK_WORDS

    @cached_property
    def category(self) -> bool:
        """A few values, each shared by many rows (species, continent, day)."""
        distinct = self.info.distinct_count or 0
        return 0 < distinct <= CATEGORY_MAX_VALUES and distinct * 2 <= self.row_count

    @cached_property
    def unique(self) -> bool:
        distinct = self.info.distinct_count  # None or 0 (unknown or empty) is never unique: max() is at least 1
        return distinct is not None and distinct >= max(1, self.row_count - (self.info.null_count or 0))

    @cached_property
    def numbers_the_rows(self) -> bool:
        """`Game` holding 1, 2, 3 … n: each row's number, so "how many games" counts rows."""
        low, high = self.info.min, self.info.max
        return (
            self.info.kind == "integer"
            and self.unique
            and isinstance(low, int | float)
            and isinstance(high, int | float)
            and low in (0, 1)
            and high - low + 1 == self.row_count
        )

    @cached_property
    def is_id(self) -> bool:
        return (
            bool(self.words) and self.words[-1].word in ("id", "key", "code", "no", "num") and not self.numeric_measure
        )

    @cached_property
    def numeric_measure(self) -> bool:
        """A number one would add up or average (not an id or a code)."""
        if not self.numeric:
            return False
        last = self.words[-1].word if self.words else ""
        return last not in ("id", "key", "code") and not self.calendar_part and not self.coordinate

    @cached_property
    def coordinate(self) -> bool:
        """`centroid_lat`, `longitude`: a place on the map, never added up or averaged as an amount."""
        return self.numeric and bool(self.words) and self.words[-1].word in _COORDINATE_WORDS

    @cached_property
    def calendar_part(self) -> bool:
        """`Day` holding 1..31, `Month` holding 1..12: a position in the calendar, not an amount
        (`how many days` counts rows, it does not add the day numbers up)."""
        if self.info.kind != "integer" or not self.words:
            return False
        limit = _CALENDAR_PARTS.get(self.words[-1].word)
        high = self.info.max
        return limit is not None and isinstance(high, int | float) and high <= limit

    @cached_property
    def name_like(self) -> bool:
        return self.text and any(matcher.word in NAME_WORDS for matcher in self.words)

    def has_concept(self, concept: str) -> bool:
        wanted = CONCEPT_WORDS.get(concept, (concept,))
        return any(form in wanted for matcher in self.words for form in matcher.forms)


def _opposite(value: object) -> object:
    text = str(value)
    pairs = {"yes": "no", "y": "n", "true": "false", "t": "f", "1": "0", "1.0": "0.0"}
    pairs.update({b: a for a, b in pairs.items()})
    other = pairs.get(text.strip().lower(), "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return type(value)(float(other or 0))
    if text.isupper():
        return other.upper()
    if text[:1].isupper():
        return other.capitalize()
    return other


@dataclass
class SchemaIndex:
    table: TableInfo
    columns: list[ColumnRef]
    table_words: list[WordMatcher]
    head_word: WordMatcher | None
    # What the semantic layer says about the columns (read by lumiere.nlq.semantic_words).
    meanings: tuple[ColumnMeaning, ...] = ()
    # What is derived from the schema once (semantic_words' table words), kept with it: an index kept
    # per dataset (`schema_index`) is reused by every question, so this is computed once per version.
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, table: TableInfo, meanings: tuple[ColumnMeaning, ...] = ()) -> SchemaIndex:
        columns = []
        for position, info in enumerate(table.columns):
            words = [w for w in split_identifier(info.name) if w not in FUNCTION_WORDS or w == "no"]
            if not words:
                words = split_identifier(info.name) or [info.name.lower()]
            columns.append(ColumnRef(info, table.name, position, table.row_count, [WordMatcher.of(w) for w in words]))
        table_words = [
            part
            for w in split_identifier(table.name)
            if w not in GENERIC_TABLE_WORDS and not w.isdigit()
            for part in _table_name_parts(w)
        ]
        matchers = [WordMatcher.of(w) for w in table_words]
        head = matchers[-1] if matchers else None
        return cls(table, columns, matchers, head, tuple(m for m in meanings if m.table == table.name))

    def column(self, name: str) -> ColumnRef:
        return next(column for column in self.columns if column.name == name)

    def concept_columns(self, concept: str) -> list[ColumnRef]:
        """Columns an adjective like `oldest` or `before` refers to, best first (a column's own
        name when the adjective was read from the data: `windiest` -> `wind`)."""
        if concept not in CONCEPT_WORDS:
            named = [c for c in self.columns if c.name == concept]
            if named:
                return named
        if concept == "time":
            found = [c for c in self.columns if c.temporal]
            found += [c for c in self.columns if c.yearish and c not in found]
            found += [c for c in self.columns if c.has_concept("time") and c not in found and (c.numeric or c.text)]
            return found
        if concept in ("place", "person"):
            return [c for c in self.columns if c.has_concept(concept) and c.text]
        found = [c for c in self.columns if c.has_concept(concept) and (c.numeric or c.temporal)]
        found.sort(key=lambda c: (not c.numeric_measure and not c.temporal, c.position))
        if concept == "age" and not found:
            # Without an age, the oldest is the one born (or created) first: reversed by the caller.
            return []
        return found

    @cached_property
    def row_event_words(self) -> frozenset[str]:
        """`death` from a `death_date` that every row fills: each row is one death, so "number of
        deaths by race" counts rows (even where a `type` column also holds a value `Death`)."""
        found: set[str] = set()
        for column in self.columns:
            if not column.temporal or column.info.null_count or len(column.words) != 2:
                continue
            event, when = column.words[0].word, column.words[1].word
            lemmas = lemminflect.getAllLemmas(event)
            if when in _EVENT_TIME_WORDS and lemmas.get("NOUN") and event not in _EVENT_TIME_WORDS:
                found.add(event)
        return frozenset(found)

    def names_row_event(self, word: str) -> bool:
        """Whether a question word (`deaths`) is the event each row records."""
        if not self.row_event_words:
            return False
        nouns = set(lemminflect.getAllLemmas(word).get("NOUN", ())) | {word}
        return bool(nouns & self.row_event_words)

    @cached_property
    def display_is_identifier(self) -> bool:
        """Whether the display column really names rows (rather than being any text column)."""
        column = self.display_column
        table_forms = {form for matcher in self.table_words for form in matcher.forms}
        return (
            column.name_like or column.unique or (len(column.words) == 1 and bool(column.words[0].forms & table_forms))
        )

    @cached_property
    def display_column(self) -> ColumnRef:
        """The column that names a row: `name`/`title`, one named like the table, or the first text key."""
        table_forms = {form for matcher in self.table_words for form in matcher.forms}
        named = [c for c in self.columns if c.name_like]
        if named:
            own = [c for c in named if any(m.forms & table_forms for m in c.words)]
            plain = [c for c in named if len(c.words) == 1]
            return (own or plain or named)[0]
        same_as_table = [
            c for c in self.columns if c.text and len(c.words) == 1 and c.words[0].forms & table_forms
        ]
        if same_as_table:
            return same_as_table[0]
        unique_text = [c for c in self.columns if c.text and c.unique]
        if unique_text:
            return unique_text[0]
        text = [c for c in self.columns if c.text]
        return (text or self.columns)[0]


# Indexes of the datasets questions were asked about lately, by (dataset key, table): bounded by
# count and by an estimate of their size, so many datasets cannot fill the memory.
_INDEXES: BoundedLru[tuple[str, str], SchemaIndex] = BoundedLru(max_entries=128, max_bytes=256 * 1024 * 1024)


def schema_index(table: TableInfo, meanings: tuple[ColumnMeaning, ...], dataset_key: str | None) -> SchemaIndex:
    """`SchemaIndex.build`, kept per `dataset_key` (which changes with the data and its semantic layer,
    see QuestionContext), so that a repeated question skips rebuilding the index and its words."""
    if dataset_key is None:
        return SchemaIndex.build(table, meanings)
    key = (dataset_key, table.name)
    found = _INDEXES.get(key)
    if found is None:
        found = SchemaIndex.build(table, meanings)
        values = sum(len(meaning.values) + len(meaning.synonyms) for meaning in found.meanings)
        # a rough size: the columns' matchers and samples, the semantic layer's words and their table words
        _INDEXES.put(key, found, 4096 * (1 + len(table.columns)) + 1024 * values)
    return found


def clear_schema_indexes() -> None:
    """Forget every kept index (tests)."""
    _INDEXES.clear()
