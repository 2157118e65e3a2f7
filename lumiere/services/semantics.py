"""The semantic layer of a source: what each column and its coded values mean, as the user sees it.

Lumiere pre-fills every column with what it can infer for certain from the data (the column name
spelled out, units recorded at ingest, weekday and month abbreviations, F/M and Y/N pairs); the
user edits it on the source page or through `PATCH /api/data/source/{id}/semantics`. Only the
user's edits are stored (`Source.semantics_json`, keyed by table then column), so better
inference later reaches every column the user left alone. A wrong pre-fill misleads both engines,
so inference stays conservative: when in doubt it leaves a field empty.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from lumiere.core.errors import Invalid
from lumiere.core.semantics import ColumnMeaning, SourceSemantics, ValueMeaning
from lumiere.models import Source, User
from lumiere.nlq.column_names import EVERYDAY_NAMES
from lumiere.nlq.lexicon import ABBREVIATIONS, is_english_word
from lumiere.nlq.schema import split_identifier
from lumiere.services.policy import Action
from lumiere.services.sources import get_source
from lumiere.services.value_index import MAX_VALUE_CHARS, ValueIndex, load_value_index
from lumiere.storage.datasets import dataset_path

MAX_DESCRIPTION_CHARS = 500
MAX_SYNONYMS = 20
MAX_SYNONYM_CHARS = 60
MAX_UNIT_CHARS = 20
MAX_VALUE_MEANINGS = 200
MAX_STORED_CHARS = 200
MAX_WORDS_PER_VALUE = 20
MAX_WORD_CHARS = 60
MAX_PATCH_COLUMNS = 2000
PATCH_FIELDS = ("description", "synonyms", "unit", "values")

# Abbreviations whose expansion reads as a description. Left out on purpose: the ones the engine
# uses for matching only (`lifeexp` -> life, `dob` -> birth, `yn` -> yes) and the ambiguous ones
# (`min` is minimum in `temp_min` but minutes in `duration_min`).
_NOT_FOR_DESCRIPTIONS = frozenset({"lifeexp", "gdppercap", "percap", "dob", "yn", "id", "min", "no", "gdp"})
_EXPANSIONS: dict[str, str] = {
    short: long for short, long in ABBREVIATIONS.items() if short not in _NOT_FOR_DESCRIPTIONS and short != long
}
_UPPER_WORDS = frozenset({"gdp", "id", "iso", "usd", "eur", "gbp", "url", "uk", "us", "usa", "eu"})

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")  # fmt: skip
_DAY_ABBREVIATIONS = {"mon": "monday", "tue": "tuesday", "tues": "tuesday", "wed": "wednesday",
                      "thu": "thursday", "thur": "thursday", "thurs": "thursday", "fri": "friday",
                      "sat": "saturday", "sun": "sunday"}  # fmt: skip
_MONTH_ABBREVIATIONS = {"jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june",
                        "jul": "july", "aug": "august", "sep": "september", "sept": "september", "oct": "october",
                        "nov": "november", "dec": "december"}  # fmt: skip
# Other names that mean the same column whatever the data (the engine's own synonym table is wider:
# it also lets "size" meet "area", which is a fine guess for matching and a wrong description).
_SAME_MEANING: dict[str, tuple[str, ...]] = {
    "sex": ("gender",), "gender": ("sex",), "tip": ("gratuity",), "salary": ("pay", "wage"),
    "wage": ("pay", "salary"), "earnings": ("income",), "telephone": ("phone",), "phone": ("telephone",),
    "zip": ("postcode",), "postcode": ("zip code",), "shop": ("store",), "store": ("shop",),
    "country": ("nation",), "nation": ("country",),
}  # fmt: skip
# Two-value codes read only when the column holds exactly that pair (case aside).
_CODE_PAIRS: tuple[dict[str, str], ...] = ({"f": "female", "m": "male"}, {"y": "yes", "n": "no"})


@dataclass(frozen=True)
class ColumnSemantics:
    """One column as the semantics page and API show it: the merged meaning and where it came from."""

    table: str
    column: str
    type: str
    description: str
    synonyms: tuple[str, ...]
    unit: str
    values: tuple[ValueMeaning, ...]
    edited: bool  # the user saved this column; otherwise everything shown is inferred


@dataclass(frozen=True)
class SemanticsView:
    source_id: int
    columns: tuple[ColumnSemantics, ...]

    def as_semantics(self) -> SourceSemantics:
        return SourceSemantics(
            columns=tuple(
                ColumnMeaning(
                    table=c.table,
                    column=c.column,
                    description=c.description,
                    synonyms=c.synonyms,
                    unit=c.unit,
                    values=c.values,
                )
                for c in self.columns
            )
        )


# --------------------------------------------------------------------------------------------
# Reading


def source_semantics(session: Session, user: User, source_id: int) -> SemanticsView:
    """Every column of the user's source with its meaning: the user's edit, else what is inferred."""
    return semantics_view(get_source(session, user, source_id))


def semantics_view(source: Source) -> SemanticsView:
    edits = _stored_edits(source)
    profiles = _profiled_columns(source)
    units = _ingest_units(source)
    schema = _schema_columns(source)
    index = _value_index(source, schema)
    columns = []
    for table, column, type_name in schema:
        distinct = index.values_of(column) if index is not None else None
        inferred = infer_column(table, column, profiles.get((table, column), {}), units.get(column, ""), distinct)
        edit = edits.get(table, {}).get(column)
        merged = _merge(inferred, edit) if edit is not None else inferred
        columns.append(
            ColumnSemantics(
                table=table,
                column=column,
                type=type_name,
                description=merged.description,
                synonyms=merged.synonyms,
                unit=merged.unit,
                values=merged.values,
                edited=edit is not None,
            )
        )
    return SemanticsView(source_id=int(source.id or 0), columns=tuple(columns))


def semantics_for_engine(source: Source) -> SourceSemantics:
    """The merged layer as the question engines read it (inferred where the user has not edited)."""
    return semantics_view(source).as_semantics()


def _schema_columns(source: Source) -> list[tuple[str, str, str]]:
    return [
        (str(table["name"]), str(column["name"]), str(column.get("type", "")))
        for table in source.tables_json or []
        for column in table.get("columns", [])
    ]


def _value_index(source: Source, schema: list[tuple[str, str, str]]) -> ValueIndex | None:
    """The upload's word-to-value index (every distinct value of its smaller text columns), or None
    for external databases, older uploads and files with several tables (the index is of one)."""
    if source.kind != "csv" or not source.storage_key or len({table for table, _, _ in schema}) != 1:
        return None
    return load_value_index(dataset_path(source))


def _profiled_columns(source: Source) -> dict[tuple[str, str], dict[str, Any]]:
    profiled: dict[tuple[str, str], dict[str, Any]] = {}
    for table in (source.profile_json or {}).get("tables", []) or []:
        for column in table.get("columns", []) or []:
            if isinstance(column, dict) and "name" in column:
                profiled[(str(table.get("name")), str(column["name"]))] = column
    return profiled


def _ingest_units(source: Source) -> dict[str, str]:
    """Units the ingest recorded while turning "$1,234.50" or "12 %" into numbers, if it did."""
    units = (source.details_json or {}).get("units")
    if not isinstance(units, dict):
        return {}
    return {str(column): unit.strip()[:MAX_UNIT_CHARS] for column, unit in units.items() if isinstance(unit, str)}


def _stored_edits(source: Source) -> dict[str, dict[str, dict[str, Any]]]:
    stored = source.semantics_json
    if not isinstance(stored, dict):
        return {}
    return {
        str(table): {str(column): edit for column, edit in columns.items() if isinstance(edit, dict)}
        for table, columns in stored.items()
        if isinstance(columns, dict)
    }


def _merge(inferred: ColumnMeaning, edit: Mapping[str, Any]) -> ColumnMeaning:
    """The user's fields over the inferred ones: a field the user saved wins, even when empty."""
    values = inferred.values
    if isinstance(edit.get("values"), list):
        values = tuple(
            ValueMeaning(stored=str(item.get("stored", "")), words=tuple(str(w) for w in item.get("words", [])))
            for item in edit["values"]
            if isinstance(item, dict)
        )
    return ColumnMeaning(
        table=inferred.table,
        column=inferred.column,
        description=str(edit["description"]) if "description" in edit else inferred.description,
        synonyms=tuple(str(s) for s in edit["synonyms"]) if isinstance(edit.get("synonyms"), list)
        else inferred.synonyms,
        unit=str(edit["unit"]) if "unit" in edit else inferred.unit,
        values=values,
    )


# --------------------------------------------------------------------------------------------
# Inference: general, from the name and the data, never per dataset


def infer_column(
    table: str, column: str, profile: Mapping[str, Any], unit: str = "", distinct: Sequence[str] | None = None
) -> ColumnMeaning:
    """`distinct`: every distinct value of the column when known (the upload's value index)."""
    words = split_identifier(column)
    return ColumnMeaning(
        table=table,
        column=column,
        description=describe_name(words),
        synonyms=name_synonyms(words),
        unit=unit,
        values=infer_values(profile, distinct),
    )


def describe_name(words: list[str]) -> str:
    """`total_bill` -> "Total bill", `wt` -> "Weight", `mpg` -> "Miles per gallon"; "" when a word
    of the name is neither English nor a known abbreviation (`hh_size`): better empty than a guess."""
    if not words:
        return ""
    initialism = _initialism(words)
    if initialism:
        spelled = initialism.split()
    else:
        spelled = []
        for word in words:
            if word in _EXPANSIONS:
                spelled.append(_EXPANSIONS[word])
            elif word.isdigit() or word in _UPPER_WORDS or (len(word) > 1 and is_english_word(word)):
                spelled.append(word)
            else:
                return ""
    text = " ".join(word.upper() if word in _UPPER_WORDS else word for word in spelled)
    return text[:1].upper() + text[1:]


def _initialism(words: list[str]) -> str:
    """`mpg` -> "miles per gallon": a multi-word everyday name whose initials are the column name."""
    if len(words) != 1 or is_english_word(words[0]):
        return ""
    found = {
        alternative
        for alternatives in EVERYDAY_NAMES.values()
        for alternative in alternatives
        if " " in alternative and "".join(w[0] for w in alternative.split()) == words[0]
    }
    return found.pop() if len(found) == 1 else ""


def name_synonyms(words: list[str]) -> tuple[str, ...]:
    """Other everyday names for a column: `tip` -> gratuity, `sex` -> gender, `mpg` -> mileage,
    fuel economy. Only names that stand for the whole column name, never for one of its words."""
    name = " ".join(_EXPANSIONS.get(word, word) for word in words)
    spelled = {name, " ".join(words), _initialism(words)}
    found: list[str] = []
    for everyday, alternatives in EVERYDAY_NAMES.items():
        named = any(alternative in spelled for alternative in alternatives) and everyday not in spelled
        if named and not everyday.endswith("efficient"):  # "fuel efficient" is an adjective, not a name
            found.append(everyday)
    found.extend(word for word in _SAME_MEANING.get(name, ()) if word not in spelled)
    return tuple(clean_list(found, limit=MAX_SYNONYMS, max_chars=MAX_SYNONYM_CHARS, what="synonym"))


def infer_values(profile: Mapping[str, Any], distinct: Sequence[str] | None = None) -> tuple[ValueMeaning, ...]:
    """Everyday words for coded text values, only where the reading is certain.

    `distinct` holds every distinct value of the column when the upload's index has them: then a
    month column gets a meaning for each of Jan..Dec, not only for the few the profile sampled.
    Without it the profile's top values and samples are all there is.
    """
    complete = distinct is not None and profile.get("kind") in (None, "text") and _index_holds_all(profile)
    seen = _seen_text_values(profile)
    if complete:  # the profile's most frequent values first, as before, then the rest
        every = [value for value in distinct or () if value.strip()]
        held = set(every)
        seen = list(dict.fromkeys([*(value for value in seen if value in held), *every]))
    if not seen:
        return ()
    lowered = {value.strip().lower() for value in seen}
    distinct_count = profile.get("distinct_count")
    for pair in _CODE_PAIRS:
        if lowered == set(pair) and (complete or distinct_count == len(pair)):
            return tuple(ValueMeaning(stored=value, words=(pair[value.strip().lower()],)) for value in seen)
    for abbreviations, full in ((_DAY_ABBREVIATIONS, _WEEKDAYS), (_MONTH_ABBREVIATIONS, _MONTHS)):
        # Every value seen must be a day (or month) name, abbreviated or not: "Sat" in a column of
        # names is someone's name.
        if lowered <= set(abbreviations) | set(full) and lowered & set(abbreviations):
            # in calendar order, as people read a list of days or months
            coded = sorted((full.index(abbreviations[value.strip().lower()]), value) for value in seen
                           if value.strip().lower() in abbreviations)
            return tuple(
                ValueMeaning(stored=value, words=(abbreviations[value.strip().lower()].capitalize(),))
                for _, value in coded
            )
    return ()


def _index_holds_all(profile: Mapping[str, Any]) -> bool:
    """The index leaves out values longer than MAX_VALUE_CHARS; with one of those in the column its
    list is not every value, and "all values are month names" cannot be told from it."""
    longest = profile.get("max_length")
    return not isinstance(longest, int) or longest <= MAX_VALUE_CHARS


def _seen_text_values(profile: Mapping[str, Any]) -> list[str]:
    if profile.get("kind") not in (None, "text"):
        return []
    values = [item["value"] for item in profile.get("top_values") or []
              if isinstance(item, dict) and isinstance(item.get("value"), str)]
    values += [sample for sample in profile.get("samples") or [] if isinstance(sample, str)]
    return list(dict.fromkeys(value for value in values if value.strip()))


# --------------------------------------------------------------------------------------------
# Editing


def update_semantics(session: Session, user: User, source_id: int, patch: object) -> SemanticsView:
    """Apply the user's edits to some columns, all or nothing.

    `patch` is `{"columns": [{"table", "column", "description"?, "synonyms"?, "unit"?, "values"?,
    "reset"?}]}` (or that list itself). A column's patch replaces its earlier edit; `reset: true`
    removes the edit so the column shows what is inferred again.
    """
    source = get_source(session, user, source_id, Action.CHANGE)
    # Two saves at once must not lose one another's columns: hold the row until this one commits
    # (PostgreSQL; SQLite serialises writers anyway).
    session.refresh(source, with_for_update=True)
    items = patch.get("columns") if isinstance(patch, dict) else patch
    if not isinstance(items, list):
        raise Invalid("Send the columns to change as a list: {\"columns\": [{\"table\", \"column\", ...}]}.",
                      field="columns")
    if len(items) > MAX_PATCH_COLUMNS:
        raise Invalid(f"At most {MAX_PATCH_COLUMNS} columns can be changed at once.", field="columns")
    known = [(table, column) for table, column, _ in _schema_columns(source)]
    edits = {table: dict(columns) for table, columns in _stored_edits(source).items()}
    touched: set[tuple[str, str]] = set()
    for position, item in enumerate(items):
        table, column, edit = _validated_item(item, position, known)
        if (table, column) in touched:
            raise Invalid(f"The column {table}.{column} appears twice in this change; send it once.",
                          field="columns")
        touched.add((table, column))
        if edit is None:
            edits.get(table, {}).pop(column, None)
        else:
            edits.setdefault(table, {})[column] = edit
    source.semantics_json = {table: columns for table, columns in edits.items() if columns} or None
    session.add(source)
    session.flush()
    return semantics_view(source)


def _validated_item(
    item: object, position: int, known: list[tuple[str, str]]
) -> tuple[str, str, dict[str, Any] | None]:
    if not isinstance(item, dict):
        raise Invalid(f"Column change {position + 1} must be an object with `table` and `column`.", field="columns")
    table, column = item.get("table"), item.get("column")
    if not isinstance(table, str) or not isinstance(column, str):
        raise Invalid(f"Column change {position + 1} must name its `table` and `column` as text.", field="columns")
    if (table, column) not in known:
        valid = ", ".join(f"{t}.{c}" for t, c in known[:60])
        more = "" if len(known) <= 60 else f" and {len(known) - 60} more"
        raise Invalid(f"This source has no column {table}.{column}. Its columns are: {valid}{more}.",
                      field="columns")
    unknown = set(item) - {"table", "column", "reset", *PATCH_FIELDS}
    if unknown:
        raise Invalid(f"Unknown field(s) for {column}: {', '.join(sorted(map(str, unknown)))}; use "
                      "description, synonyms, unit, values or reset.", field="columns")
    reset = item.get("reset")
    if reset not in (None, False, True):
        raise Invalid(f"`reset` for {column} must be true or false.", field="columns")
    given = [name for name in PATCH_FIELDS if name in item and item[name] is not None]
    if reset:
        if given:
            raise Invalid(f"Reset {column} or change it, not both in one request.", field="columns")
        return table, column, None
    if not given:
        raise Invalid(f"Nothing to change for {column}: send description, synonyms, unit or values, or "
                      "`reset: true`.", field="columns")
    edit: dict[str, Any] = {}
    if item.get("description") is not None:
        edit["description"] = clean_text(item["description"], max_chars=MAX_DESCRIPTION_CHARS,
                                         what=f"The description of {column}")
    if item.get("synonyms") is not None:
        edit["synonyms"] = clean_list(item["synonyms"], limit=MAX_SYNONYMS, max_chars=MAX_SYNONYM_CHARS,
                                      what=f"A synonym of {column}", plural=f"The synonyms of {column}")
    if item.get("unit") is not None:
        edit["unit"] = clean_text(item["unit"], max_chars=MAX_UNIT_CHARS, what=f"The unit of {column}")
    if item.get("values") is not None:
        edit["values"] = _clean_values(item["values"], column)
    return table, column, edit


def _clean_values(raw: object, column: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise Invalid(f"The value meanings of {column} must be a list of {{stored, words}}.", field="values")
    if len(raw) > MAX_VALUE_MEANINGS:
        raise Invalid(f"{column} can have at most {MAX_VALUE_MEANINGS} value meanings.", field="values")
    cleaned: dict[str, list[str]] = {}
    for item in raw:
        if not isinstance(item, dict) or set(item) - {"stored", "words"}:
            raise Invalid(f"Each value meaning of {column} must be {{\"stored\": ..., \"words\": [...]}}.",
                          field="values")
        stored = clean_text(item.get("stored"), max_chars=MAX_STORED_CHARS, what=f"A stored value of {column}")
        words = clean_list(item.get("words", []), limit=MAX_WORDS_PER_VALUE, max_chars=MAX_WORD_CHARS,
                           what=f"A word for {stored!r} in {column}",
                           plural=f"The words for {stored!r} in {column}")
        if not stored or not words:
            continue
        merged = cleaned.setdefault(stored, [])
        merged.extend(w for w in words if w.lower() not in {m.lower() for m in merged})
    return [{"stored": stored, "words": words[:MAX_WORDS_PER_VALUE]} for stored, words in cleaned.items()]


def clean_text(raw: object, *, max_chars: int, what: str) -> str:
    """Trimmed text with no control characters, at most `max_chars` long; says what to fix otherwise."""
    if not isinstance(raw, str):
        raise Invalid(f"{what} must be text.", field="semantics")
    text = raw.strip()
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in text):
        raise Invalid(f"{what} may not contain control characters (tabs, line breaks, invisible marks).",
                      field="semantics")
    if len(text) > max_chars:
        raise Invalid(f"{what} is {len(text)} characters long; the limit is {max_chars}.", field="semantics")
    return text


def clean_list(raw: object, *, limit: int, max_chars: int, what: str, plural: str = "") -> list[str]:
    """Trimmed, non-empty, case-insensitively unique texts, at most `limit` of them; `what` names
    one item in messages, `plural` the list."""
    plural = plural or what
    if not isinstance(raw, list | tuple):
        raise Invalid(f"{plural} must be a list of texts.", field="semantics")
    cleaned: list[str] = []
    seen: set[str] = set()
    for item in raw:
        text = clean_text(item, max_chars=max_chars, what=what)
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            cleaned.append(text)
    if len(cleaned) > limit:
        raise Invalid(f"{plural}: at most {limit} are allowed, {len(cleaned)} were sent.", field="semantics")
    return cleaned


def parse_list_text(text: str) -> list[str]:
    """"tip, gratuity" -> ["tip", "gratuity"] (how the page's comma-separated fields are read)."""
    return [part.strip() for part in text.split(",")]


def parse_values_text(text: str, *, column: str = "") -> list[dict[str, Any]]:
    """"Mon = Monday; F = female, woman" -> [{stored: Mon, words: [Monday]}, {stored: F, words: [female, woman]}]."""
    meanings = []
    where = f" of {column}" if column else ""
    for part in text.split(";"):
        if not part.strip():
            continue
        stored, sep, words = part.partition("=")
        if not sep:
            raise Invalid(f"Write each value meaning{where} as `stored = words` (e.g. Mon = Monday); "
                          f"{part.strip()!r} has no `=`.", field="values")
        meanings.append({"stored": stored, "words": parse_list_text(words)})
    return meanings


def values_text(values: Iterable[ValueMeaning]) -> str:
    return "; ".join(f"{meaning.stored} = {', '.join(meaning.words)}" for meaning in values)
