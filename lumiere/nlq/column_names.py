"""Everyday names of columns: the words people say for a column whose name is abbreviated
(`hp`, `mfr`, `wt`), an initialism (`mpg`, `pce`) or another word for the same measure.

The matches are built from the column names themselves (prefixes, letters in order, initials),
helped by a small table of analytic synonyms kept as data. A construction is accepted only when it
points at one column of the table, and the caller says in the explanation how it read the word.
"""

from __future__ import annotations

import lemminflect

from lumiere.nlq.lexicon import (
    FILLER_WORDS,
    FUNCTION_WORDS,
    PHRASE_INDEX,
    Token,
    is_english_word,
    letters_in_order,
    word_forms,
)
from lumiere.nlq.schema import ColumnRef, SchemaIndex, WordMatcher, split_identifier

# Everyday words for a measure -> what a column about it may be called (tried in turn, each one
# resolved like a question word). Spelling variants are listed both ways.
EVERYDAY_NAMES: dict[str, tuple[str, ...]] = {
    "mileage": ("mpg", "miles per gallon"),
    "fuel economy": ("mpg", "miles per gallon"),
    "fuel efficiency": ("mpg", "miles per gallon"),
    "fuel consumption": ("mpg", "miles per gallon"),
    "fuel efficient": ("mpg", "miles per gallon"),
    "power": ("horsepower", "power"),
    "engine size": ("displacement",),
    "spending": ("consumption", "expenditure", "spending"),
    "expenditure": ("consumption", "spending"),
    "salt": ("sodium",),
    "fiber": ("fibre",),
    "fibre": ("fiber",),
    "color": ("colour",),
    "colour": ("color",),
    "carbs": ("carbohydrate",),
    "carbohydrates": ("carbohydrate",),
    "sugar": ("sugars",),
    "transmission": ("gearbox",),
    "gearbox": ("transmission",),
    "maker": ("manufacturer", "make", "brand"),
    "brand": ("manufacturer", "make", "maker"),
    "manufacturer": ("make", "maker", "brand"),
    "country of origin": ("origin",),
    "place of origin": ("origin",),
    "rain": ("precipitation",),
    "rainfall": ("precipitation",),
    "temperature": ("temperature",),
    "high temperature": ("temperature max",),
    "low temperature": ("temperature min",),
    "daily high": ("temperature max",),
    "daily low": ("temperature min",),
}

# Letters that stand for one word of the question only when the abbreviation has at least this many.
MIN_SUBSEQUENCE_WORD = 4
_CONNECTING_WORDS = frozenset({"per", "of", "by", "in", "to", "and", "since", "for", "the", "a"})


def columns_named(words: list[str], schema: SchemaIndex) -> list[ColumnRef]:
    """The columns the question words may name: directly, by construction, or through the lexicon."""
    phrase = " ".join(words)
    found = _constructed(words, schema)
    if found:
        return found
    for alternative in EVERYDAY_NAMES.get(phrase, ()):
        found = _constructed(alternative.split(), schema)
        if found:
            return found
    if len(words) == 1:
        for form in sorted(word_forms(words[0])):
            for alternative in EVERYDAY_NAMES.get(form, ()) if form != words[0] else ():
                found = _constructed(alternative.split(), schema)
                if found:
                    return found
    return []


def _constructed(words: list[str], schema: SchemaIndex) -> list[ColumnRef]:
    direct = [c for c in schema.columns if _names_directly(words, c)]
    if direct:
        return direct
    if len(words) == 1:
        word = words[0]
        shortened = [c for c in schema.columns if not _numbers_rows(c) and any(_abbreviates(m, word) for m in c.words)]
        if shortened:
            return shortened
        return [c for c in schema.columns if _initials(split_identifier(c.name)) == word and len(c.words) >= 2]
    return initialism_columns(words, schema)


def initialism_columns(words: list[str], schema: SchemaIndex) -> list[ColumnRef]:
    """`miles per gallon` -> mpg, `personal consumption expenditures` -> pce."""
    initials = _initials(words)
    return [c for c in schema.columns if any(m.word == initials and not is_english_word(m.word) for m in c.words)]


def _numbers_rows(column: ColumnRef) -> bool:
    """`Eps #`, `ep_no`: a numbering of the rows; "episodes" names the rows, not this column."""
    return "#" in column.name or column.is_id


def _names_directly(words: list[str], column: ColumnRef) -> bool:
    """Every content word of the phrase meets its own word of the column name."""
    content = [w for w in words if w not in _CONNECTING_WORDS]
    if not content:
        return False
    used: set[int] = set()
    for word in content:
        forms = word_forms(word)
        hit = next((k for k, m in enumerate(column.words) if k not in used and m.matches(forms, word)), None)
        if hit is None:
            return False
        used.add(hit)
    return len(content) > 1 or len(column.words) <= 2


def _abbreviates(matcher: WordMatcher, word: str) -> bool:
    """`cyl` is the start of cylinders; `mfr`, `wt`, `hp` are letters of manufacturer, weight,
    horsepower in order, starting with the same letter."""
    short = matcher.word
    if short in _CONNECTING_WORDS or not short.isalpha() or is_english_word(short) or len(short) < 2:
        return False
    if len(word) < MIN_SUBSEQUENCE_WORD:
        return False
    if len(word) <= len(short) or word[0] != short[0] or word in FUNCTION_WORDS or word in FILLER_WORDS:
        return False
    if not is_english_word(word):
        return False  # two abbreviations never explain each other
    return letters_in_order(short, word)


def _initials(words: list[str]) -> str:
    return "".join(word[0] for word in words if word)


def is_candidate_word(low: str) -> bool:
    """A question word that may name a column by its everyday name (not grammar, not a keyword)."""
    return low.isalpha() and low not in FUNCTION_WORDS and low not in PHRASE_INDEX


def adjective_base(word: str) -> str | None:
    """The adjective of a superlative or comparative: windiest -> windy, hotter -> hot."""
    if not word.endswith(("est", "er")) or len(word) < 5:
        return None
    lemmas = lemminflect.getAllLemmas(word).get("ADJ") or lemminflect.getAllLemmasOOV(word, "ADJ").get("ADJ")
    return next((lemma for lemma in lemmas or () if lemma != word), None)


def noun_of_adjective(adjective: str) -> str:
    """windy -> wind, salty -> salt, foggy -> fog, powerful -> power: the noun to look for."""
    for suffix in ("ful", "ous"):
        if adjective.endswith(suffix) and len(adjective) > len(suffix) + 2:
            return adjective[: -len(suffix)]
    if adjective.endswith("y") and len(adjective) > 3:
        base = adjective[:-1]
        if len(base) > 3 and base[-1] == base[-2]:
            base = base[:-1]  # foggy -> fog, sunny -> sun
        return base
    return adjective


# Adjectives whose noun is not their stem: adjective -> (direction of "the most <adj>", what the
# column may be called, the word a column of the extreme carries when there are several).
ADJECTIVE_MEASURES: dict[str, tuple[str, str, str]] = {
    "hot": ("desc", "temperature", "max"),
    "warm": ("desc", "temperature", "max"),
    "cold": ("asc", "temperature", "min"),
    "cool": ("asc", "temperature", "min"),
    "powerful": ("desc", "power", ""),
    "long": ("desc", "length", ""),
    "old": ("desc", "age", ""),
    "young": ("asc", "age", ""),
    "efficient": ("desc", "mileage", ""),
    "wet": ("desc", "precipitation", ""),
    "dry": ("asc", "precipitation", ""),
    "sweet": ("desc", "sugar", ""),
    "wide": ("desc", "width", ""),
    "narrow": ("asc", "width", ""),
    "deep": ("desc", "depth", ""),
    "shallow": ("asc", "depth", ""),
}


def measure_of_adjective(
    adjective: str, schema: SchemaIndex, beside: Token | None = None
) -> tuple[str, ColumnRef] | None:
    """(direction, column) for "the most <adjective>": hottest -> temperature (its max column),
    windiest -> wind, saltiest -> salt -> sodium; None unless exactly one column fits. A noun
    `beside` the adjective picks among several (`the widest sepal` -> sepal_width)."""
    if adjective in ADJECTIVE_MEASURES:
        direction, noun, extreme = ADJECTIVE_MEASURES[adjective]
    else:
        direction, noun, extreme = "desc", noun_of_adjective(adjective), ""
    columns = [c for c in columns_named([noun], schema) if c.numeric]
    if extreme and len(columns) > 1:
        columns = [c for c in columns if extreme in c.word_set] or columns
    if beside is not None and len(columns) > 1:
        columns = [c for c in columns if any(m.matches(beside.forms, beside.low) for m in c.words)] or columns
    return (direction, columns[0]) if len(columns) == 1 else None
