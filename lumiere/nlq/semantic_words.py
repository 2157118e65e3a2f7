"""The semantic layer as question words: what the user (or inference) wrote about each column —
synonyms, a description, a unit, value meanings — turned into names the linker can place.

Four readings, each said in the explanation:
- a column synonym names the column as its own name does ("fuel economy" -> Miles_per_Gallon);
- a description is a weaker name: its head phrase ("number of cylinders"), a content word no other
  column's name or description shares ("horsepower" for `hp: gross horsepower`), or, for the column
  that names the rows, the noun it names them by ("cars" for `model: car model`);
- a value meaning ("Monday" for `Mon`, "manual" for `am = 1`), written as such or parsed from a code
  list in the description ("0 = automatic, 1 = manual", "straight (1)", "IF (internally flawless)");
- a unit word after a number ("over 50 euros") is consumed when a column's unit or description names it.

Strong names (synonyms, value meanings) are linked before the keywords; descriptions only place
words nothing else could, so a source without a semantic layer reads exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import lemminflect

from lumiere.core.engine import ValueMatch
from lumiere.core.semantics import ColumnMeaning, ValueMeaning
from lumiere.nlq.column_names import EVERYDAY_NAMES
from lumiere.nlq.lexicon import (
    FALSE_VALUES,
    FILLER_WORDS,
    FUNCTION_WORDS,
    PHRASE_INDEX,
    ROW_NOUNS,
    SYNONYMS,
    TRUE_VALUES,
    Token,
    tokenize,
    word_forms,
)
from lumiere.nlq.mention import Mention
from lumiere.nlq.schema import ColumnRef, SchemaIndex

# Words that never name a column on their own, however rare they are in the descriptions.
_COMMON_WORDS = frozenset(
    """
    number total type kind average mean median maximum minimum max min count amount value values level
    measure measured measurement recorded record data row name names code codes id identifier label
    some blank blanks missing unknown quote stored per each daily yearly monthly weekly annual
    ratio percentage proportion fraction share difference change growth trend distribution frequency
    source spelling lower upper case e.g etc see note notes
    """.split()
)
# Heads that say "this column names the row" rather than what the row is ("car model", "cereal name").
_NAMING_HEADS = frozenset("name names model title label id identifier row key".split())
# Words of a paren that rank a code rather than name it: "D (best)", "I1 (worst)".
_EVALUATIVE = frozenset("best worst highest lowest top bottom most least better worse good bad".split())
# Everyday spellings of units: each group is one unit.
_UNIT_GROUPS: tuple[frozenset[str], ...] = tuple(
    frozenset(group.split())
    for group in (
        "$ dollar dollars usd buck bucks",
        "€ euro euros eur",
        "£ pound_sterling gbp",
        "lb lbs pound pounds",
        "kg kgs kilo kilos kilogram kilograms",
        "g gram grams gr",
        "mg milligram milligrams",
        "km kilometer kilometers kilometre kilometres",
        "mi mile miles",
        "m meter meters metre metres",
        "cm centimeter centimeters centimetre centimetres",
        "mm millimeter millimeters millimetre millimetres",
        "inch inches",
        "ft foot feet",
        "° degree degrees deg",
        "h hr hrs hour hours",
        "min mins minute minutes",
        "s sec secs second seconds",
        "% percent per_cent pct percentage",
        "mph",
        "ppb",
        "ppm",
        "carat carats ct",
        "calorie calories kcal cal",
        "week weeks wk wks",
    )
)
_UNIT_OF = {spelling: group for group in _UNIT_GROUPS for spelling in group}
UNIT_WORDS = frozenset(_UNIT_OF)  # every spelling of a unit: never a noun for the rows
# What a unit measures, as the words a column about it is called by, for the one unit whose word
# holds in any data: degrees. A weight, a length, a speed or a price may be stored in another unit
# than the question's (pounds or kilograms), so those fit only a column whose name spells the unit.
_MEASURED_BY: dict[str, frozenset[str]] = {"degree": frozenset({"temperature", "temp"})}


def unit_fits_column(unit: str, column_words: set[str], *, by_name_only: bool = True) -> bool:
    """Whether a number said in `unit` can be compared with the column as stored: the column's name
    spells that unit (`Weight_in_lbs`, pounds) or is a temperature (`Temp`, degrees), and spells no
    other unit (`weight_kg` is not in pounds). With `by_name_only=False` only that last test is made
    (the caller has other evidence, such as the number lying within the column's values)."""
    group = _UNIT_OF.get(unit.lower())
    if group is None:
        return False
    measured = next((words for spelling, words in _MEASURED_BY.items() if _UNIT_OF.get(spelling) == group), None)
    measured_here = measured is not None and bool(measured & column_words)
    others = [word for word in column_words if word in _UNIT_OF and len(word) > 1 and _UNIT_OF[word] != group]
    if any(word != "min" or not measured_here for word in others):
        return False  # but `temp_min` is a minimum temperature, not minutes
    if not by_name_only:
        return True
    return bool(group & column_words) or measured_here
_CONNECTIVES = frozenset("a an the".split())
_PARSED = "description's code list"
# Adjectives that qualify a name ("common name", "full name") rather than say what a row is.
_NAME_QUALIFIERS = frozenset("common full official short long display proper given scientific local original".split())


@dataclass(frozen=True)
class SemanticName:
    """A phrase that names a column (or one of its values) and where it comes from."""

    words: tuple[str, ...]
    column: str
    origin: str  # synonyms | description | value meanings | description's code list
    stored: object = None  # the stored value, for a value name
    has_value: bool = False


@dataclass
class TableWords:
    """The semantic layer of one table, ready for linking."""

    columns: dict[str, ColumnMeaning] = field(default_factory=dict)
    synonyms: list[SemanticName] = field(default_factory=list)
    values: list[SemanticName] = field(default_factory=list)
    heads: list[SemanticName] = field(default_factory=list)
    distinctive: dict[str, str] = field(default_factory=dict)  # a description word -> its only column
    row_nouns: frozenset[str] = frozenset()
    units: dict[str, set[frozenset[str]]] = field(default_factory=dict)  # column -> its units' spellings

    def __bool__(self) -> bool:
        return bool(self.columns)


# --------------------------------------------------------------------------- words
def phrase_words(text: str) -> tuple[str, ...]:
    """Lower-case words of a phrase with hyphens split and articles dropped: `V-shaped` -> v shaped."""
    words: list[str] = []
    for token in tokenize(text):
        words.extend(_token_parts(token))
    return tuple(w for w in words if w not in _CONNECTIVES)


def _token_parts(token: Token) -> list[str]:
    if token.kind == "punct":
        return [token.low] if token.low in "$€£%°" else []
    return [part for part in re.split(r"[-'\s]+", token.low) if part]


def _meets(question_word: str, name_word: str) -> bool:
    if question_word == name_word:
        return True
    if not (question_word.isalpha() and name_word.isalpha()):
        return False
    return bool(word_forms(question_word) & word_forms(name_word))


def _is_noun(word: str) -> bool:
    lemmas = lemminflect.getAllLemmas(word)
    return "NOUN" in lemmas and "ADV" not in lemmas if lemmas else len(word) > 3


# --------------------------------------------------------------------------- code lists
_PAREN = re.compile(r"\(([^()]*)\)")
_CODE_EQUALS = re.compile(
    r"(?:^|\s)['\"`]?(?P<code>[\w.+-]{1,12}?)['\"`]?\s*(?:=|->|→)\s*['\"`]?(?P<words>[^=]+?)['\"`]?\s*$"
)
_CODE_IF = re.compile(r"(?:^|\s)(?P<code>[-+]?\d+)\s+(?:if|when|for)\s+(?P<words>[A-Za-z][\w' -]*?)\s*$")
_WORDS_THEN_CODE = re.compile(r"(?P<words>[A-Za-z][A-Za-z' -]*?)\s*\(\s*['\"`]?(?P<code>[\w.+-]{1,6})['\"`]?\s*\)")
_CODE_THEN_WORDS = re.compile(r"(?<![\w-])(?P<code>[A-Z0-9][A-Z0-9+]{0,3})\s*\((?P<words>[^()]+)\)")
_ITEM_SPLIT = re.compile(r"\s*(?:[,;/|]|\bor\b|\band\b|\bto\b)\s*")
_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?")


def parse_value_codes(description: str) -> tuple[ValueMeaning, ...]:
    """Code lists as people write them in a description: `0 = automatic, 1 = manual`,
    `1 = female; 2 = male`, `V-shaped (0) / straight (1)`, `I1 (worst), ..., IF (internally
    flawless, best)`. Only clear lists are read: `words (code)` and `code (words)` need two items."""
    found: dict[str, list[str]] = {}

    def add(code: str, words: str) -> None:
        words = " ".join(words.strip(" .'\"`").split())
        if not code or not any(ch.isalpha() for ch in words) or len(words.split()) > 5:
            return
        if code.lower() == words.lower():
            return
        found.setdefault(code, [])
        if words not in found[code]:
            found[code].append(words)

    # 1. `code = words` ("coded 1 = low", and `female = 1` the other way round), in the text and
    # inside brackets ("(3 = top)"); `1 if female, 0 otherwise`.
    segments = [_PAREN.sub(" ", description), *_PAREN.findall(description)]
    for segment in segments:
        for listed in re.split(r"\s*[,;/|]\s*", segment):
            item = listed.split(":")[-1]
            match = _CODE_EQUALS.search(item) or _CODE_IF.search(item)
            if match is None:
                continue
            code, words = match["code"], re.split(r"\s(?:is|are|was|were|has|have)\s", match["words"])[-1]
            if _NUMBER.fullmatch(words) and not _NUMBER.fullmatch(code):
                code, words = words, code
            if _NUMBER.fullmatch(code) or len(code) <= 5:
                add(code, words)
    if found:
        return _meanings(found)
    # 2. `words (code)` with a number or a short code in brackets, at least twice.
    pairs = [
        (m["code"], m["words"].split(":")[-1])
        for m in _WORDS_THEN_CODE.finditer(description)
        if _NUMBER.fullmatch(m["code"]) or (m["code"].isupper() and len(m["code"]) <= 4)
    ]
    if len(pairs) >= 2:
        for code, words in pairs:
            add(code, _ITEM_SPLIT.split(words.strip())[-1])
        return _meanings(found)
    # 3. `CODE (words)` with an upper-case code, at least twice; ranks ("best") are not names.
    coded = list(_CODE_THEN_WORDS.finditer(description))
    if len(coded) >= 2:
        for match in coded:
            for part in re.split(r"\s*[,;]\s*", match["words"]):
                if part and not set(part.lower().split()) <= _EVALUATIVE:
                    add(match["code"], part)
    return _meanings(found)


def _meanings(found: dict[str, list[str]]) -> tuple[ValueMeaning, ...]:
    return tuple(ValueMeaning(stored=code, words=tuple(words)) for code, words in found.items() if words)


def _stored_value(column: ColumnRef, stored: str) -> tuple[bool, object]:
    """The stored text as the column holds it (a number for a numeric code); (False, None) if it
    cannot be one of the column's values."""
    text = stored.strip()
    if column.info.kind == "boolean":
        if text.lower() in TRUE_VALUES:
            return True, True
        if text.lower() in FALSE_VALUES:
            return True, False
        return False, None
    if column.info.kind in ("integer", "number"):
        if not _NUMBER.fullmatch(text):
            return False, None
        number = float(text)
        low, high = column.info.min, column.info.max
        if isinstance(low, int | float) and isinstance(high, int | float) and not low <= number <= high:
            return False, None
        return True, int(number) if column.info.kind == "integer" and number.is_integer() else number
    return True, text


# --------------------------------------------------------------------------- the table's words
def _head_phrase(description: str) -> str:
    """`weight in 1000 lb` -> weight; `transmission: 0 = automatic` -> transmission; `mean ozone, ppb` -> mean ozone."""
    head = re.split(r"[:(,;]|\s=\s|\s-\s", description, maxsplit=1)[0]
    head = re.split(r"\s+in\s+", head, maxsplit=1)[0]
    return " ".join(w for w in head.split() if not _NUMBER.fullmatch(w))


def _lists_values(description: str, column: ColumnRef) -> bool:
    """`'adults' or 'child'`, `Male, Female`, `sun, fog, rain, drizzle, snow`: the description is
    the column's values, not a name for it (quoted items, three or more short ones, or a value the
    data holds). `diet: carni, herbi`: what comes before the colon is still a name."""
    if ":" in description:
        return False
    text = _PAREN.sub(" ", description)
    items = [item.strip() for item in re.split(r"\s*(?:[,;]|\bor\b)\s*", text) if item.strip()]
    if len(items) < 2:
        return False
    if any(item[:1] in "'\"`" for item in items):
        return True
    if len(items) >= 3 and all(len(item.split()) <= 3 for item in items):
        return True
    seen = {str(value).strip().lower() for value in column.info.samples if value is not None}
    return any(item.lower() in seen for item in items)


def _content(words: Iterable[str]) -> list[str]:
    return [
        w
        for w in words
        if w.isalpha()
        and len(w) >= 3
        and w not in FUNCTION_WORDS
        and w not in FILLER_WORDS
        and w not in _COMMON_WORDS
        and w not in PHRASE_INDEX
        and w not in _UNIT_OF
    ]


def table_words(schema: SchemaIndex) -> TableWords:
    """The semantic layer of the schema's table as names, value names, head phrases, distinctive
    description words, row nouns and units; built once per schema index (read-only from then on)."""
    found = schema.derived.get("table_words")
    if not isinstance(found, TableWords):
        found = schema.derived["table_words"] = _table_words(schema)
    return found


def _table_words(schema: SchemaIndex) -> TableWords:
    meanings = {m.column: m for m in schema.meanings if m.table == schema.table.name}
    columns = {c.name: c for c in schema.columns if c.name in meanings}
    out = TableWords(columns={name: meanings[name] for name in columns})
    if not out:
        return out
    description_words: dict[str, set[str]] = {}
    for name, meaning in out.columns.items():
        column = columns[name]
        for synonym in meaning.synonyms:
            words = phrase_words(synonym)
            if words:
                out.synonyms.append(SemanticName(words, name, "synonyms"))
        written = [(v, "value meanings") for v in meaning.values]
        parsed = [(v, _PARSED) for v in parse_value_codes(meaning.description)]
        said = {v.stored for v in meaning.values}
        for value, origin in written + [p for p in parsed if p[0].stored not in said]:
            ok, stored = _stored_value(column, value.stored)
            if not ok:
                continue
            for phrase in value.words:
                words = phrase_words(phrase)
                if words:
                    out.values.append(SemanticName(words, name, origin, stored, has_value=True))
        text = meaning.description
        description = _PAREN.sub(" ", text.split(":")[0] if "=" in text else text)
        head = () if _lists_values(text, column) else phrase_words(_head_phrase(text))
        if head and _content(head):
            out.heads.append(SemanticName(head, name, "description"))
        value_words = {w for n in out.values if n.column == name for w in n.words}
        description_words[name] = {w for w in phrase_words(description) if not _NUMBER.fullmatch(w)} - value_words
        units = {_UNIT_OF[w] for w in (*phrase_words(meaning.unit), *phrase_words(text)) if w in _UNIT_OF}
        if units:
            out.units[name] = units
    head_words = {h.column: set(h.words) for h in out.heads}
    out.distinctive = _distinctive(schema, head_words, description_words)
    display = schema.display_column
    if display.name in out.columns and schema.display_is_identifier:
        words = phrase_words(_head_phrase(out.columns[display.name].description))
        if words and words[-1] in _NAMING_HEADS:
            out.row_nouns = frozenset(
                w for w in _content(words[:-1]) if _is_noun(w) and w not in _NAMING_HEADS | _NAME_QUALIFIERS
            )
    return out


def _distinctive(
    schema: SchemaIndex, head_words: dict[str, set[str]], description_words: dict[str, set[str]]
) -> dict[str, str]:
    """Words of a description's head phrase that no other column's name or description shares
    (`party` in "number of diners in the party" says where, not what: only the head counts)."""
    owners: dict[str, set[str]] = {}
    for name, words in head_words.items():
        for word in _content(words):
            if _is_noun(word) or "ADJ" not in lemminflect.getAllLemmas(word):
                owners.setdefault(word, set()).add(name)
    names = {c.name: {m.word for m in c.words} for c in schema.columns}
    out: dict[str, str] = {}
    for word, columns in owners.items():
        if len(columns) != 1:
            continue
        (column,) = columns
        if any(other != column and any(_meets(word, w) for w in words) for other, words in names.items()):
            continue
        if any(other != column and any(_meets(word, w) for w in words) for other, words in description_words.items()):
            continue
        out[word] = column
    return out


# --------------------------------------------------------------------------- linking
def _match_at(
    tokens: list[Token],
    taken: list[Mention | None],
    i: int,
    words: tuple[str, ...],
    free: set[str],
    also: frozenset[int] = frozenset(),
) -> int:
    """The end of the span from token i whose words are `words` (0 if none); every token must be
    free (its mention's kind in `free`, or no mention yet when `free` is empty, or listed in `also`)."""
    position = 0
    j = i
    while j < len(tokens) and position < len(words):
        token = tokens[j]
        occupant = taken[j]
        if (occupant is not None and occupant.kind not in free and j not in also) or token.kind not in (
            "word",
            "number",
            "quoted",
        ):
            return 0
        parts = [p for p in _token_parts(token) if p not in _CONNECTIVES]
        if not parts and j > i:
            j += 1
            continue
        if not parts or position + len(parts) > len(words):
            return 0
        if not all(_meets(part, words[position + n]) for n, part in enumerate(parts)):
            return 0
        position += len(parts)
        j += 1
    return j if position == len(words) else 0


def _columns_by_name(schema: SchemaIndex) -> dict[str, ColumnRef]:
    return {c.name: c for c in schema.columns}


def link_semantic_names(
    tokens: list[Token],
    taken: list[Mention | None],
    schema: SchemaIndex,
    find_values: Callable[[list[str]], list[ValueMatch]],
) -> None:
    """Synonyms and value meanings, before the keywords: the longest phrase wins. A text code read
    from a description is used only once the data is found to hold it (as stored, in its case)."""
    words = table_words(schema)
    if not words:
        return
    columns = _columns_by_name(schema)
    names = words.synonyms + [n for n in words.values if not _names_another_column(n, schema)]
    for i in range(len(tokens)):
        if taken[i] is not None:
            continue
        matches: list[tuple[int, SemanticName]] = []
        for name in names:
            end = _match_at(tokens, taken, i, name.words, set())
            if end and (not name.has_value or _value_word_placed(tokens, i, end, name, words, columns[name.column])):
                matches.append((end, name))
        longest = max((end for end, _ in matches), default=0)
        matches = [(end, name) for end, name in matches if end == longest]
        values = _checked_values([n for _, n in matches if n.has_value], schema, find_values)
        synonyms = [n for _, n in matches if not n.has_value]
        if not values and not synonyms:
            continue
        text = " ".join(t.text for t in tokens[i:longest])
        if values:
            reading = "; ".join(
                f"I read '{text}' as {n.column} = {_literal(n.stored)} (from the column's {n.origin})" for n in values
            )
            pairs = [(columns[n.column], n.stored) for n in values]
            mention = Mention("value", i, longest, text, values=pairs, reading=reading + ".")
        else:
            found = [columns[name] for name in dict.fromkeys(n.column for n in synonyms)]
            mention = Mention(
                "column", i, longest, text, columns=found, coverage=1.0,
                reading=f"I read '{text}' as {found[0].name} (from the column's synonyms).",
            )  # fmt: skip
        for k in range(i, longest):
            taken[k] = mention


def _checked_values(
    names: list[SemanticName], schema: SchemaIndex, find_values: Callable[[list[str]], list[ValueMatch]]
) -> list[SemanticName]:
    """One value name per (column, stored value); codes parsed from a description's text must be
    found in the data (the user's own value meanings are taken as written)."""
    out: list[SemanticName] = []
    for name in names:
        if any(n.column == name.column and n.stored == name.stored for n in out):
            continue
        if name.origin == _PARSED and isinstance(name.stored, str):
            found = [
                m.value for m in find_values([name.stored]) if m.table == schema.table.name and m.column == name.column
            ]
            if not found:
                continue
            out.append(SemanticName(name.words, name.column, name.origin, found[0], has_value=True))
        else:
            out.append(name)
    return out


def _names_another_column(name: SemanticName, schema: SchemaIndex) -> bool:
    """`income` as a value of `type` when the table has an `income` column: the column wins."""
    if len(name.words) != 1:
        return False
    word = name.words[0]
    forms = word_forms(word)
    return any(
        c.name != name.column and len(c.words) == 1 and c.words[0].quality(forms, word) == 2 for c in schema.columns
    )


def _literal(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _value_word_placed(
    tokens: list[Token], i: int, end: int, name: SemanticName, words: TableWords, column: ColumnRef
) -> bool:
    """A value word that is also a word of the question's grammar (`top` for shelf 3) is a value
    only beside a word naming its column (`the top shelf`)."""
    grammar = all(w in PHRASE_INDEX or w in FUNCTION_WORDS or w in FILLER_WORDS for w in name.words)
    if not grammar:
        return True
    names = {m.word for m in column.words} | {
        w for n in words.synonyms + words.heads if n.column == column.name for w in n.words
    }
    beside = [tokens[k] for k in (i - 1, end) if 0 <= k < len(tokens) and tokens[k].kind == "word"]
    return any(
        any(_meets(t.low, w) for w in names) or any(m.matches(t.forms, t.low) for m in column.words) for t in beside
    )


def link_description_words(tokens: list[Token], taken: list[Mention | None], schema: SchemaIndex) -> None:
    """After every other reading: words still unknown may be a unit after a number, a column's
    description (its head phrase, a distinctive word) or the noun for the rows."""
    words = table_words(schema)
    if not words:
        return
    columns = _columns_by_name(schema)
    _link_units(tokens, taken, words, schema)
    guessed = _guessed_rows(tokens, taken)
    for name in sorted(words.heads, key=lambda n: -len(n.words)):
        for i in range(len(tokens)):
            end = _match_at(tokens, taken, i, name.words, {"unknown", "filler", "stop", "kw"}, guessed)
            if end and any(_open(taken, k, guessed) for k in range(i, end)):
                _take(tokens, taken, i, end, columns[name.column], "its description")
    for i, token in enumerate(tokens):
        if not _open(taken, i, guessed) or token.kind != "word":
            continue
        if any(_meets(token.low, noun) for noun in words.row_nouns):
            if i not in guessed:  # already read as the rows otherwise
                taken[i] = Mention(
                    "table", i, i + 1, token.text, coverage=1.0, row_noun=True,
                    reading=f"I read '{token.text}' as the rows of {schema.table.name}"
                    f" (from the description of {schema.display_column.name}).",
                )  # fmt: skip
            continue
        column_name = _described_column(token.low, words)
        if column_name is not None:
            _take(tokens, taken, i, i + 1, columns[column_name], "its description")
    _rescale_numbers(tokens, taken, words)


_TIME_WORDS = frozenset("day date year month week".split())


def _guessed_rows(tokens: list[Token], taken: list[Mention | None]) -> frozenset[int]:
    """Nouns read as the rows only because nothing in the data named them ("how many diners"): a
    description that names a column by that word says more."""
    return frozenset(
        k
        for k, mention in enumerate(taken)
        if mention is not None
        and mention.kind == "table"
        and mention.row_noun
        and mention.end - mention.start == 1
        and tokens[k].low not in ROW_NOUNS
        and not tokens[k].forms & _TIME_WORDS
    )


def _open(taken: list[Mention | None], k: int, guessed: frozenset[int]) -> bool:
    occupant = taken[k]
    return occupant is not None and (occupant.kind == "unknown" or k in guessed)


def _described_column(word: str, words: TableWords) -> str | None:
    """The one column whose description has this word as a distinctive word, or whose head phrase
    or distinctive word is an everyday synonym of it (`gearbox` for "transmission: ...")."""
    hit = next((column for w, column in words.distinctive.items() if _meets(word, w)), None)
    if hit is not None:
        return hit
    alternatives: set[str] = set()
    for form in {word} | word_forms(word):
        alternatives |= set(EVERYDAY_NAMES.get(form, ())) | set(SYNONYMS.get(form, ()))
    found: set[str] = set()
    for alternative in alternatives:
        alt = phrase_words(alternative)
        found |= {h.column for h in words.heads if len(h.words) == len(alt) and all(map(_meets, alt, h.words))}
        if len(alt) == 1:
            found |= {column for w, column in words.distinctive.items() if _meets(alt[0], w)}
    return found.pop() if len(found) == 1 else None


def _take(
    tokens: list[Token], taken: list[Mention | None], start: int, end: int, column: ColumnRef, origin: str
) -> None:
    """A column mention, merged with a mention of the same column right beside it (`solar` + `radiation`)."""
    before = taken[start - 1] if start > 0 else None
    after = taken[end] if end < len(taken) else None
    text = " ".join(t.text for t in tokens[start:end])
    for neighbour in (before, after):
        if neighbour is not None and neighbour.kind == "column" and neighbour.columns[:1] == [column]:
            neighbour.start, neighbour.end = min(neighbour.start, start), max(neighbour.end, end)
            neighbour.text = " ".join(t.text for t in tokens[neighbour.start : neighbour.end])
            neighbour.reading = f"I read '{neighbour.text}' as {column.name} (from {origin})."
            for k in range(start, end):
                taken[k] = neighbour
            return
    mention = Mention(
        "column", start, end, text, columns=[column], coverage=1.0,
        reading=f"I read '{text}' as {column.name} (from {origin}).",
    )  # fmt: skip
    for k in range(start, end):
        taken[k] = mention


def _link_units(tokens: list[Token], taken: list[Mention | None], words: TableWords, schema: SchemaIndex) -> None:
    """`over 12 mph`: a unit word right after a number is consumed when the column it measures has
    that unit — as a plain word when that column is named elsewhere, else as the column itself.
    `in pounds`, `hours of sleep`: beside a named column that has the unit, it only says the unit."""
    columns = _columns_by_name(schema)
    named = _named_columns(taken, schema)
    for i in range(1, len(tokens)):
        occupant, before = taken[i], taken[i - 1]
        if occupant is None or occupant.kind != "unknown":
            continue
        spelled = tokens[i].low
        unit = _UNIT_OF.get(spelled) or next((_UNIT_OF[f] for f in word_forms(spelled) if f in _UNIT_OF), None)
        if unit is None:
            continue
        measured = [name for name, units in words.units.items() if unit in units and columns[name].numeric]
        following = _following_column(tokens, taken, i)  # "10 grams of sugar"
        if before is None or before.kind != "number":
            said_with = following if following in measured else None
            if said_with is None and tokens[i - 1].low == "in":  # "average weight in pounds"
                in_question = [name for name in measured if name in named]
                said_with = in_question[0] if len(in_question) == 1 else None
            if said_with is not None:
                taken[i] = _unit_mention(tokens, i, said_with)
            continue
        subject = following if following in measured else _comparison_subject(taken, i - 1)
        if subject in measured:
            taken[i] = _unit_mention(tokens, i, subject)
            continue
        adjective = [name for name in measured if name in named]
        chosen = adjective if len(adjective) == 1 else measured
        if len(chosen) == 1:
            column = columns[chosen[0]]
            taken[i] = Mention(
                "column", i, i + 1, tokens[i].text, columns=[column], coverage=1.0,
                reading=f"I read '{tokens[i].text}' as {column.name} (its unit).",
            )  # fmt: skip


def _unit_mention(tokens: list[Token], i: int, column: str | None) -> Mention:
    return Mention("stop", i, i + 1, tokens[i].text, reading=f"I read '{tokens[i].text}' as the unit of {column}.")


def _following_column(tokens: list[Token], taken: list[Mention | None], unit: int) -> str | None:
    """The column named right after a unit, over an `of`: `10 grams of sugar`."""
    k = unit + 1
    if k < len(tokens) and tokens[k].low == "of":
        k += 1
    mention = taken[k] if k < len(taken) else None
    return mention.columns[0].name if mention is not None and mention.kind == "column" and mention.columns else None


def _comparison_subject(taken: list[Mention | None], number: int) -> str | None:
    """The column a number is compared with when said before it: `wind over 12`, `wind speed
    of more than 12` (the column mention closest before the number, within its clause)."""
    k = number - 1
    while k >= 0:
        mention = taken[k]
        if (
            mention is None
            or mention.kind in ("number", "value", "table")
            or (mention.kind == "punct" and mention.low in ",;")
        ):
            return None
        if mention.kind == "column":
            return mention.columns[0].name
        k = mention.start - 1
    return None


_SCALE_WORDS = {"thousand": 1e3, "thousands": 1e3, "million": 1e6, "millions": 1e6, "mn": 1e6, "billion": 1e9,
                "billions": 1e9, "bn": 1e9, "trillion": 1e12, "trillions": 1e12}  # fmt: skip


def _rescale_numbers(tokens: list[Token], taken: list[Mention | None], words: TableWords) -> None:
    """`more than 7 million unemployed` where `unemploy` is "number unemployed, thousands": the
    number is compared in the column's own scale (7000), as its description says it is stored."""
    for i, mention in enumerate(taken):
        if mention is None or mention.kind != "number" or mention.number is None or mention.start != i:
            continue
        said = tokens[i].low.split()
        if len(said) < 2 or said[-1] not in _SCALE_WORDS:
            continue
        column = _nearest_column(taken, i)
        meaning = words.columns.get(column) if column else None
        if meaning is None:
            continue
        scales = [_SCALE_WORDS[w] for w in phrase_words(f"{meaning.unit} {meaning.description}") if w in _SCALE_WORDS]
        if len(set(scales)) != 1:
            continue
        value = mention.number / scales[0]
        mention.number = int(value) if value.is_integer() else value
        scale = _scale_name(scales[0])
        mention.reading = f"I read '{tokens[i].text}' as {mention.number:g} in {column}, which is counted in {scale}."


def _scale_name(scale: float) -> str:
    return next(word for word, value in _SCALE_WORDS.items() if value == scale and word.endswith("s"))


def _nearest_column(taken: list[Mention | None], i: int) -> str | None:
    """The column right after a number (`7 million unemployed`), or else right before it."""
    for step in (1, -1):
        k = i + step
        while 0 <= k < len(taken):
            mention = taken[k]
            if mention is None or mention.kind not in ("stop", "filler", "column", "kw"):
                break
            if mention.kind == "column":
                return mention.columns[0].name
            if mention.kind == "kw" and step == 1:
                break
            k = mention.end if step == 1 else mention.start - 1
    return None


def _named_columns(taken: list[Mention | None], schema: SchemaIndex) -> set[str]:
    """Columns the question names: column mentions and the columns of measure adjectives
    (`hotter than`: a column's name, `heavier than`: a concept)."""
    columns = _columns_by_name(schema)
    named: set[str] = set()
    for mention in taken:
        if mention is None:
            continue
        if mention.kind == "column":
            named |= {c.name for c in mention.columns[:1]}
        for tag in ("cmpcol", "supcol"):
            payload = mention.payload(tag) if mention.kind == "kw" else None
            if payload and payload[1] in columns:
                named.add(payload[1])
            elif payload:
                named |= {c.name for c in schema.concept_columns(payload[1])}
    return named
