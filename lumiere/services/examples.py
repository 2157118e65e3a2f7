"""Learning from corrections: the (question, SQL) pairs a user confirmed, edited or corrected on a source.

A pair is found again by its question's *key*: the question lower-cased and evenly spaced, with
the values its SQL uses (and any number or quoted text) replaced by typed slots. "total
population in Asia in 2007" and "total population in Europe in 1997" share a key when the SQL
said 'Asia' and 2007, so the second question reuses the first one's SQL with its own values put
into the SQL's literal nodes (on sqlglot's tree, never by pasting text). A new text value must be
a value stored in the data, and a value the SQL does not use must stay the same; otherwise the
pair is not reused and an engine answers as usual. The SQL that comes out is guarded when it runs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

import sqlglot
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlmodel import Session, col, select

from lumiere.core.engine import ValueMatch
from lumiere.core.enums import Engine, ExampleOrigin, QueryOrigin
from lumiere.core.errors import Invalid, NotFound
from lumiere.db import saved_id
from lumiere.models import Query, QueryExample, Source, User
from lumiere.models._base import iso_utc, utcnow
from lumiere.services import warehouse
from lumiere.services.policy import Action, authorize
from lumiere.services.sources import get_source

MAX_KEY_CHARS = 1000  # the column's size
MAX_PAIRS_SCANNED = 300  # per source, newest first: bounds the work of one recall
NUMBER_SLOT = "⟨number⟩"
TEXT_SLOT = "⟨text⟩"

LiteralValue = str | int | float  # a string or number literal of the SQL, as its value

_END_PUNCTUATION = " \t?!.,;:…¿¡"
_QUOTES = "'\"“”‘’«»"
_QUOTED = re.compile(r"(?<!\w)(['\"“‘«])([^'\"“”‘’«»]{1,200}?)(['\"”’»])(?!\w)")
_NUMBER_TEXT = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NUMBER = re.compile(rf"(?<![\w.,]){_NUMBER_TEXT}(?![\w]|[.,]\d)")
_SLOT_SPLIT = re.compile(f"({re.escape(NUMBER_SLOT)}|{re.escape(TEXT_SLOT)})")


class SlotKind(StrEnum):
    NUMBER = "number"
    TEXT = "text"


@dataclass(frozen=True)
class Slot:
    """A value of the question: what it says, and the SQL literal it stands for (None: the SQL does not use it)."""

    kind: SlotKind
    value: str
    literal: LiteralValue | None = None


@dataclass(frozen=True)
class QuestionKey:
    key: str
    slots: tuple[Slot, ...]  # in the order they appear in the question


@dataclass(frozen=True)
class Recalled:
    """A stored pair that answers this question, with the SQL rewritten for its values."""

    example_id: int
    question: str  # the question the pair was stored for
    sql: str  # the pair's SQL with this question's values
    origin: ExampleOrigin
    substitutions: tuple[tuple[str, str], ...] = ()  # (stored value, this question's value)

    @property
    def explanation(self) -> str:
        text = f"Reused the SQL you {self.origin.value} for “{self.question}”"
        if self.substitutions:
            text += " with " + ", ".join(f"{new} in place of {old}" for old, new in self.substitutions)
        return text + "."


@dataclass(frozen=True)
class ExampleView:
    """A stored pair as the API lists it (`ExampleOut`) and the pages show it."""

    id: int
    question: str
    sql: str
    origin: ExampleOrigin
    created_at: str


# --- keys --------------------------------------------------------------------------------------


def tidy_question(question: str) -> str:
    """One spelling per question: compatible Unicode forms, single spaces, no punctuation at the ends (case kept)."""
    text = unicodedata.normalize("NFKC", question or "")
    return " ".join(text.split()).strip(_END_PUNCTUATION)


def as_number(text: str) -> int | float | None:
    """"2,007" -> 2007, "3.5" -> 3.5; None for anything that is not a plain number."""
    cleaned = text.strip()
    if not re.fullmatch(_NUMBER_TEXT, cleaned):
        return None
    cleaned = cleaned.replace(",", "")
    return float(cleaned) if "." in cleaned else int(cleaned)


def sql_literals(sql: str, dialect: str) -> list[LiteralValue]:
    """The string and number literals of `sql`, in order (raises SqlglotError when it does not parse)."""
    values: list[LiteralValue] = []
    for node in sqlglot.parse_one(sql, read=dialect).find_all(exp.Literal):
        value = _literal_value(node)
        if value is not None:
            values.append(value)
    return values


def question_key(question: str, literals: Iterable[LiteralValue] = ()) -> QuestionKey:
    """The question's key and its slots: numbers, quoted text and the words that are literals of the SQL."""
    text = tidy_question(question)
    known = [value for value in literals if not isinstance(value, bool)]
    spans: list[tuple[int, int, Slot]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= taken_start or start >= taken_end for taken_start, taken_end, _ in spans)

    for match in _QUOTED.finditer(text):
        inner = match.group(2).strip()
        if inner:
            spans.append((match.start(), match.end(), _slot(inner, known)))
    words = {value for value in known if isinstance(value, str) and value.strip() and as_number(value) is None}
    for literal in sorted(words, key=lambda value: (-len(value), value)):
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(part) for part in literal.split()) + r"(?!\w)"
        spans.extend(
            (match.start(), match.end(), Slot(SlotKind.TEXT, match.group(0), literal))
            for match in list(re.finditer(pattern, text, flags=re.IGNORECASE))
            if free(match.start(), match.end())
        )
    spans.extend(
        (match.start(), match.end(), _slot(match.group(0), known))
        for match in list(_NUMBER.finditer(text))
        if free(match.start(), match.end())
    )
    spans.sort(key=lambda span: span[0])
    pieces: list[str] = []
    position = 0
    for start, end, slot in spans:
        pieces.append(text[position:start].lower())
        pieces.append(NUMBER_SLOT if slot.kind == SlotKind.NUMBER else TEXT_SLOT)
        position = end
    pieces.append(text[position:].lower())
    key = " ".join("".join(pieces).split()).strip(_END_PUNCTUATION)
    return QuestionKey(key=key, slots=tuple(slot for _, _, slot in spans))


def _slot(value: str, literals: list[LiteralValue]) -> Slot:
    number = as_number(value)
    if number is not None:
        for literal in literals:
            if _numeric(literal) == number:
                return Slot(SlotKind.NUMBER, value, literal)
        return Slot(SlotKind.NUMBER, value)
    for literal in literals:
        if isinstance(literal, str) and literal.strip().casefold() == value.casefold():
            return Slot(SlotKind.TEXT, value, literal)
    return Slot(SlotKind.TEXT, value)


def _numeric(value: LiteralValue) -> int | float | None:
    if isinstance(value, str):
        return as_number(value)
    return value


def _literal_value(node: exp.Literal) -> LiteralValue | None:
    text = str(node.this)
    if node.is_string:
        return text
    return as_number(text)


def _key_pattern(key: str) -> re.Pattern[str]:
    """The stored key as a pattern over a tidied question: each slot captures that question's value."""
    regex = []
    for part in _SLOT_SPLIT.split(key):
        if part == NUMBER_SLOT:
            regex.append(rf"[{_QUOTES}]?({_NUMBER_TEXT})[{_QUOTES}]?")
        elif part == TEXT_SLOT:
            regex.append(r"(.+?)")
        elif part:
            regex.append(r"\s+".join(re.escape(word) for word in part.split(" ")))
    return re.compile("".join(regex), flags=re.IGNORECASE)


# --- storing -----------------------------------------------------------------------------------


def remember(session: Session, user: User, query: Query, sql: str, origin: ExampleOrigin) -> QueryExample:
    """Stores (query's question, sql) for the query's source, replacing the pair with the same key.

    The SQL is checked by the guard first: refused SQL raises SqlRefused (400) and nothing is kept.
    A source's pairs serve everyone who asks over it (a workspace learns together); teaching one takes
    the right to change the query (the asker, or an editor of its workspace).
    """
    authorize(session, user, query, Action.CHANGE, missing=f"No query with id {query.id} in your history.")
    question = query.question.strip()
    if not tidy_question(question):
        raise Invalid("Only the answer to a question can be remembered; this entry has no question.")
    if query.source_id is None:
        raise NotFound("The data source of this query was deleted, so its SQL cannot be remembered.")
    source = get_source(session, user, query.source_id, Action.ASK)
    sql = sql.strip() if isinstance(sql, str) else ""
    warehouse.check_sql(source, sql)
    key = question_key(question, sql_literals(sql, warehouse.dialect_of(source))).key
    if not key or len(key) > MAX_KEY_CHARS:
        raise Invalid("This question is too long to be remembered; shorten it to reuse its SQL later.")
    existing = _pair_with_key(session, saved_id(source), key)
    if existing is None:
        example = QueryExample(
            user_id=saved_id(user),
            source_id=saved_id(source),
            question=question,
            question_key=key,
            sql=sql,
            origin=origin,
            query_id=query.id,
        )
        try:
            with session.begin_nested():  # another request may store the same key at the same moment
                session.add(example)
            return example
        except IntegrityError:
            existing = _pair_with_key(session, saved_id(source), key)
            if existing is None:
                raise
    existing.user_id, existing.question, existing.sql = saved_id(user), question, sql
    existing.origin, existing.query_id = origin, query.id
    existing.updated_at = utcnow()
    session.add(existing)
    session.flush()
    return existing


def _pair_with_key(session: Session, source_id: int, key: str) -> QueryExample | None:
    return session.exec(
        select(QueryExample).where(QueryExample.source_id == source_id, QueryExample.question_key == key)
    ).first()


def is_recalled_answer(query: Query) -> bool:
    """Answers to questions that reused a stored pair are the only questions the user is the engine of."""
    return query.origin == QueryOrigin.QUESTION and query.engine == Engine.USER


def pair_for_query(session: Session, user: User, query: Query) -> QueryExample | None:
    """The stored pair this entry came from or that answers its question as it stands (structurally)."""
    pairs = _pairs(session, user, query.source_id) if query.source_id is not None else []
    for pair in pairs:
        if pair.query_id == query.id:
            return pair
    text = tidy_question(query.question)
    for pair in pairs:
        if text and _key_pattern(pair.question_key).fullmatch(text):
            return pair
    return None


def pairs_from(session: Session, user: User, query: Query) -> list[QueryExample]:
    """The pairs stored from this entry and, for a reused answer, the pair it reused."""
    found = list(
        session.exec(select(QueryExample).where(QueryExample.query_id == query.id))
    )
    if is_recalled_answer(query):
        reused = pair_for_query(session, user, query)
        if reused is not None and reused not in found:
            found.append(reused)
    return found


def forget(session: Session, user: User, query: Query) -> int:
    """Drops `pairs_from(query)`: the answer was wrong, so its SQL must not answer the question again."""
    doomed = pairs_from(session, user, query)
    for pair in doomed:
        session.delete(pair)
    session.flush()
    return len(doomed)


def list_examples(session: Session, user: User, source_id: int) -> tuple[list[ExampleView], int]:
    source = get_source(session, user, source_id)
    pairs = _pairs(session, user, saved_id(source), limit=None)
    total = session.exec(
        select(func.count()).select_from(QueryExample).where(
            QueryExample.source_id == source.id
        )
    ).one()
    return [public_example(pair) for pair in pairs], total


def delete_example(session: Session, user: User, source_id: int, example_id: int) -> None:
    """Forgets a remembered pair: changing what a source answers takes the right to change the source."""
    source = get_source(session, user, source_id, Action.CHANGE)
    example = session.get(QueryExample, example_id)
    if example is None or example.source_id != source.id:
        raise NotFound(f"No remembered question with id {example_id} on this source.")
    session.delete(example)
    session.flush()


def public_example(example: QueryExample) -> ExampleView:
    return ExampleView(
        id=saved_id(example),
        question=example.question,
        sql=example.sql,
        origin=ExampleOrigin(example.origin),
        created_at=iso_utc(example.created_at),
    )


def _pairs(
    session: Session, user: User, source_id: int, *, limit: int | None = MAX_PAIRS_SCANNED
) -> list[QueryExample]:
    statement = (
        select(QueryExample)
        .where(QueryExample.source_id == source_id)
        .order_by(col(QueryExample.updated_at).desc(), col(QueryExample.id).desc())
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.exec(statement))


# --- reusing -----------------------------------------------------------------------------------

FindValues = Callable[[list[str]], list[ValueMatch]]


def recall(
    session: Session, user: User, source: Source, question: str, *, find_values: FindValues | None = None
) -> Recalled | None:
    """A stored pair of this source for this question (the same one, or the same with other values), or None."""
    text = tidy_question(question)
    if not text:
        return None
    pairs = _pairs(session, user, saved_id(source))
    for pair in pairs:
        if tidy_question(pair.question).casefold() == text.casefold():
            return Recalled(saved_id(pair), pair.question, pair.sql, ExampleOrigin(pair.origin))
    dialect = warehouse.dialect_of(source)
    lookup = find_values or (lambda phrases: warehouse.find_values(source, phrases))
    for pair in pairs:
        found = _reuse(pair, text, dialect, lookup)
        if found is not None:
            return found
    return None


def _reuse(pair: QueryExample, text: str, dialect: str, find_values: FindValues) -> Recalled | None:
    match = _key_pattern(pair.question_key).fullmatch(text)
    if match is None:
        return None
    try:
        tree = sqlglot.parse_one(pair.sql, read=dialect)
    except SqlglotError:
        return None
    stored = question_key(pair.question, sql_literals(pair.sql, dialect))
    if stored.key != pair.question_key or len(stored.slots) != len(match.groups()):
        return None  # stored under other rules; it is found again when the question is the same
    replacements: dict[LiteralValue, LiteralValue] = {}
    kept: set[LiteralValue] = set()
    shown: list[tuple[str, str]] = []
    for slot, raw in zip(stored.slots, match.groups(), strict=True):
        value = raw.strip().strip(_QUOTES).strip()
        new = _new_literal(slot, value, tree, find_values)
        if new is None:
            return None
        if slot.literal is None:
            continue
        if new == slot.literal:
            kept.add(slot.literal)
            continue
        if replacements.setdefault(slot.literal, new) != new:
            return None  # one literal of the SQL, two different values in the question
        shown.append((slot.value, value if slot.kind == SlotKind.NUMBER else str(new)))
    if kept & set(replacements):
        return None  # the SQL uses one literal for two values of the question that now differ
    if not replacements:
        return Recalled(saved_id(pair), pair.question, pair.sql, ExampleOrigin(pair.origin))
    rewritten = tree.transform(lambda node: _swap_literal(node, replacements))
    return Recalled(
        saved_id(pair),
        pair.question,
        rewritten.sql(dialect=dialect, pretty=True),
        ExampleOrigin(pair.origin),
        tuple(shown),
    )


def _new_literal(slot: Slot, value: str, tree: exp.Expr, find_values: FindValues) -> LiteralValue | None:
    """The literal to put where the slot's literal was, or None when this value cannot take its place."""
    number = as_number(value)
    if slot.kind == SlotKind.NUMBER:
        if number is None:
            return None
        if slot.literal is None:  # the SQL ignores this number, so it cannot follow another one
            return slot.value if number == as_number(slot.value) else None
        if number == _numeric(slot.literal):
            return slot.literal
        return str(number) if isinstance(slot.literal, str) else number
    if number is not None:
        return None  # a text slot does not take a bare number
    if value.casefold() == slot.value.casefold():
        return slot.literal if slot.literal is not None else slot.value
    if slot.literal is None or not isinstance(slot.literal, str):
        return None
    columns = _compared_columns(tree, slot.literal)
    for found in find_values([value]):
        if not columns or found.column.casefold() in columns:
            return found.value  # exactly as stored, so the filter finds the rows
    return None


def _compared_columns(tree: exp.Expr, literal: str) -> set[str]:
    """The columns the SQL compares this string literal with (empty when it is not compared with one)."""
    columns: set[str] = set()
    for node in tree.find_all(exp.Literal):
        if node.is_string and node.this == literal and node.parent is not None:
            column = node.parent.find(exp.Column)
            if column is not None:
                columns.add(column.name.casefold())
    return columns


def _swap_literal(node: exp.Expr, replacements: dict[LiteralValue, LiteralValue]) -> exp.Expr:
    if not isinstance(node, exp.Literal):
        return node
    value = _literal_value(node)
    if value is None or value not in replacements or isinstance(value, str) != node.is_string:
        return node
    new = replacements[value]
    if node.is_string:
        return exp.Literal.string(str(new))
    return exp.Literal.number(new) if not isinstance(new, str) else node
