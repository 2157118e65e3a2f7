"""A noun that names what a row is: "how many passengers survived", "which cereal has the most
calories". No column or value is called `passengers`; right after `how many` or a question word,
a noun the data does not know stands for the rows of the table, and the explanation says so.

It must not swallow a value the data spells differently: "how many rodents" in a table whose
`order` column holds `Rodentia` is a filter, not every row, so a noun that begins a stored value
(or a value that begins it) is not read as the rows, and the engine refuses instead.
"""

from __future__ import annotations

import lemminflect

from lumiere.nlq.lexicon import FUNCTION_WORDS, Token
from lumiere.nlq.mention import Mention
from lumiere.nlq.schema import SchemaIndex
from lumiere.nlq.semantic_words import UNIT_WORDS

_QUESTION_WORDS = ("which", "what", "how")
_MIN_SHARED_PREFIX = 4
_MIN_NAME_CHARS = 3
_QUANTITY_SUPERLATIVES = frozenset(("most", "least", "fewest", "more", "less", "fewer"))
_RELATIVE_WORDS = frozenset(("that", "which", "who", "whose", "with", "where", "having"))
_DETERMINERS = frozenset(("the", "these", "those", "all"))
_PARTICLES = frozenset(("out", "up", "off", "down", "over", "about", "away", "back"))


def names_the_rows(tokens: list[Token], taken: list[Mention | None], i: int, schema: SchemaIndex) -> bool:
    token = tokens[i]
    if token.kind != "word" or token.low in FUNCTION_WORDS or not is_noun(token.low):
        return False
    if i == 0:
        # "animals that sleep less than 4 hours": a listing opened by the rows' noun
        following = tokens[1].low if len(tokens) > 1 else ""
        return (
            is_plural_noun(token.low, noun_position=True)  # "flowers with …" opens with a noun
            and following in _RELATIVE_WORDS
            and bool(schema.table_words)
            and not _like_a_stored_value(token.low, schema)
        )
    previous = taken[i - 1]
    after_count = previous is not None and previous.kind == "kw" and previous.has("count")
    # "how long" is not a noun phrase; it only named rows in tables called like `data`
    question_words = _QUESTION_WORDS if not schema.table_words else ("which", "what")
    # "which cereal ...": answered by naming rows, so only where a column names each row
    first = 2 if i == 2 and tokens[1].kind == "number" else 1  # "which 5 animals ..."
    question_word = i == first and tokens[0].low in question_words and (
        not schema.table_words or schema.display_is_identifier
    )
    row_nouns = [m for m in taken[:i] if m is not None and m.kind == "table" and m.row_noun]
    if any(_same_noun(m.low, token.low) for m in row_nouns):
        return True  # the rows' noun said again: "animals in each order, for orders with 5 animals"
    # "the lightest car", "the youngest victim": a superlative picks rows (a capital marks a name)
    after_superlative = (
        previous is not None
        and previous.kind == "kw"
        and (previous.has("sup") or previous.has("supcol"))
        and not token.text[:1].isupper()
        # "the most revenue": an amount of something, not the rows ("the most passengers" are)
        and not (previous.low.split()[-1] in _QUANTITY_SUPERLATIVES and _amount_noun(tokens, i))
    )
    if not schema.table_words:
        if after_count or question_word:
            return True
        if not after_superlative:
            return False
    elif not any(len(matcher.word) >= _MIN_NAME_CHARS for matcher in schema.table_words):
        # a table called like `t_204_65` has no name to read the rows by; measured on
        # WikiTableQuestions, reading nouns as its rows gave more wrong answers than right ones
        return False
    # elsewhere in the question, the first plural noun the data does not know: "the cars with
    # more than 200 horsepower", "top 3 saltiest cereals" (one noun per question names the rows)
    after_determiner = tokens[i - 1].low in _DETERMINERS
    elsewhere = is_plural_noun(token.low, noun_position=after_determiner) and not row_nouns
    if not (after_count or question_word or elsewhere or after_superlative):
        return False
    before = taken[i - 1]
    counted = tokens[i - 1].kind == "number" and not (question_word and first == 2)
    if counted or token.low in UNIT_WORDS:
        return False  # "hotter than 90 degrees", "in dollars": a unit
    if before is None or before.kind in ("filler", "unknown"):
        return False  # "endangered animals": a word that says which rows, not placed, must not vanish
    if _modifies_next_noun(tokens, taken, i):
        return False  # "how many Ford cars": `Ford` says which cars
    following = tokens[i + 1].low if i + 1 < len(tokens) else ""
    if following == "of":
        return False  # "how many types of government": the noun after `of` is counted
    if following in _PARTICLES and lemminflect.getAllLemmas(token.low).get("VERB"):
        return False  # "what stands out": a verb with its particle, not a noun
    return not _like_a_stored_value(token.low, schema)


def _amount_noun(tokens: list[Token], i: int) -> bool:
    """A singular noun that is not followed by what it counts (`the most version of cars` counts)."""
    following = tokens[i + 1].low if i + 1 < len(tokens) else ""
    return is_singular_noun(tokens[i].low) and following not in ("of", "(")


def is_plural_noun(word: str, *, noun_position: bool = False) -> bool:
    """`cars`; `flowers` (also a verb) only where a verb cannot stand: after `the`, opening a list."""
    nouns = lemminflect.getAllLemmas(word).get("NOUN", ())
    return bool(nouns) and word not in nouns and (noun_position or not lemminflect.getAllLemmas(word).get("VERB"))


def _same_noun(first: str, second: str) -> bool:
    """`animal` and `animals`: one noun in either number."""
    lemmas = lemminflect.getAllLemmas
    return first == second or bool(set(lemmas(first).get("NOUN", ())) & set(lemmas(second).get("NOUN", ())))


def is_singular_noun(word: str) -> bool:
    """`diamond`, `tooth`: a noun that is its own singular (`cartoons` is not, even with its verb reading)."""
    return word in lemminflect.getAllLemmas(word).get("NOUN", ())


def is_noun(word: str) -> bool:
    return "NOUN" in lemminflect.getAllLemmas(word)


def _modifies_next_noun(tokens: list[Token], taken: list[Mention | None], i: int) -> bool:
    if i + 1 >= len(tokens):
        return False
    following = tokens[i + 1]
    after = taken[i + 1]
    return (
        (after is None or (after.kind == "table" and not after.row_noun))  # "which Post cereals"
        and following.kind == "word"
        and following.low not in FUNCTION_WORDS
        and is_noun(following.low)
        and not lemminflect.getAllLemmas(following.low).get("VERB")
    )


def _like_a_stored_value(word: str, schema: SchemaIndex) -> bool:
    """`rodents` and `Rodentia`: the noun and a known value of a text column share their start."""
    lemmas = {lemma for forms in lemminflect.getAllLemmas(word).values() for lemma in forms} | {word}
    stems = {lemma.lower() for lemma in lemmas if len(lemma) >= _MIN_SHARED_PREFIX}
    for column in schema.columns:
        if not column.text:
            continue
        for sample in column.info.samples:
            value = str(sample).lower()
            if len(value) >= _MIN_SHARED_PREFIX and any(
                value.startswith(stem) or stem.startswith(value) for stem in stems
            ):
                return True
    return False
