"""Questions the built-in engine can answer for a schema: shown on the data and query pages and
offered when a question could not be answered."""

from __future__ import annotations

from lumiere.core.engine import ColumnInfo, TableInfo
from lumiere.nlq.reader import read_question
from lumiere.nlq.schema import SchemaIndex, split_identifier

MAX_GROUP_VALUES = 50


def _words(column: ColumnInfo) -> str:
    return " ".join(split_identifier(column.name)) or column.name


def _candidates(table: TableInfo) -> list[str]:
    schema = SchemaIndex.build(table)
    measures = [
        c for c in schema.columns if c.numeric_measure and not c.yearish and not c.is_id and c.boolean_values is None
    ]
    categories = [
        c
        for c in schema.columns
        if c.text
        and c.info.distinct_count
        and 1 < c.info.distinct_count <= MAX_GROUP_VALUES
        and c.boolean_values is None
    ]
    times = [c for c in schema.columns if c.temporal or c.yearish]
    display = schema.display_column
    out = ["How many rows are there?"]
    if categories:
        out.append(f"How many rows are there for each {_words(categories[0].info)}?")
    if measures and categories:
        out.append(f"What is the average {_words(measures[0].info)} for each {_words(categories[0].info)}?")
    if measures and schema.display_is_identifier and display.text:
        out.append(f"Which {_words(display.info)} has the highest {_words(measures[0].info)}?")
    elif measures and categories:
        out.append(f"Which {_words(categories[0].info)} has the highest average {_words(measures[0].info)}?")
    if measures and times:
        time = times[0]
        unit = "month" if time.temporal else _words(time.info)
        out.append(f"What is the average {_words(measures[0].info)} by {unit}?")
    calendar = [c for c in schema.columns if c.calendar_part]
    if measures and calendar and not categories:  # `peak_hour`, `Month`: positions in the calendar to break down by
        out.append(f"What is the average {_words(measures[0].info)} for each {_words(calendar[0].info)}?")
    if len(measures) >= 2:
        out.append(f"Show {_words(measures[0].info)} vs {_words(measures[1].info)}")
    if measures:
        out.append(f"What are the minimum and maximum {_words(measures[min(1, len(measures) - 1)].info)}?")
    if len(categories) >= 2:
        out.append(f"What are the different {_words(categories[1].info)} values?")
    if categories:
        out.append(f"What is the most common {_words(categories[0].info)}?")
    if measures:
        out.append(f"What is the median {_words(measures[-1].info)}?")
    return out


def suggest_questions(tables: list[TableInfo], *, limit: int = 6) -> list[str]:
    """Up to `limit` questions, each checked to be answerable by the built-in engine."""
    out: list[str] = []
    for table in tables:
        for question in _candidates(table):
            if len(out) >= limit:
                return out
            if question not in out and read_question(question, [table], lambda phrases: [])[1] is not None:
                out.append(question)
    return out
