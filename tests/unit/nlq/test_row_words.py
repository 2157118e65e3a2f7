"""Words about the rows and their values that no column is called: ordinals spelled out ("third
class" for 3rd class), the other number of a value ("adult" for adults), a verb whose opposite
names a yes/no column ("died" over `survived`), a noun after a superlative ("the youngest
passenger"), and a question in Title Case against a name written mid-sentence. On the Titanic's
passengers, one row per person, rebuilt from R's datasets::Titanic counts."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from lumiere.core.engine import CannotAnswer
from lumiere.services import warehouse
from tests.unit.test_builtin import ENGINE, Dataset, uploaded

_COUNTS = [
    ("1st class", "adults", "man", "no", 118), ("1st class", "adults", "man", "yes", 57),
    ("1st class", "adults", "women", "no", 4), ("1st class", "adults", "women", "yes", 140),
    ("1st class", "child", "man", "yes", 5), ("1st class", "child", "women", "yes", 1),
    ("2nd class", "adults", "man", "no", 154), ("2nd class", "adults", "man", "yes", 14),
    ("2nd class", "adults", "women", "no", 13), ("2nd class", "adults", "women", "yes", 80),
    ("2nd class", "child", "man", "yes", 11), ("2nd class", "child", "women", "yes", 13),
    ("3rd class", "adults", "man", "no", 387), ("3rd class", "adults", "man", "yes", 75),
    ("3rd class", "adults", "women", "no", 89), ("3rd class", "adults", "women", "yes", 76),
    ("3rd class", "child", "man", "no", 35), ("3rd class", "child", "man", "yes", 13),
    ("3rd class", "child", "women", "no", 17), ("3rd class", "child", "women", "yes", 14),
]  # fmt: skip
TITANIC = pd.DataFrame(
    [row[:4] for row in _COUNTS for _ in range(row[4])], columns=["class", "age", "sex", "survived"]
)


@pytest.fixture(scope="module")
def titanic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dataset]:
    yield from (tables["titanic"] for tables in uploaded(tmp_path_factory, {"titanic": TITANIC}))


def _count(dataset: Dataset, question: str) -> int:
    generated = ENGINE.generate(question, dataset.context())
    rows = warehouse.execute(dataset.source, generated.sql).rows
    assert len(rows) == 1
    return int(rows[0][-1])


def test_an_ordinal_word_finds_the_value_written_in_figures(titanic: Dataset) -> None:
    assert _count(titanic, "how many passengers were in second class") == (TITANIC["class"] == "2nd class").sum()


def test_a_verb_whose_opposite_names_a_yes_no_column(titanic: Dataset) -> None:
    died = TITANIC[(TITANIC.sex == "man") & (TITANIC["class"] == "3rd class") & (TITANIC.survived == "no")]
    assert _count(titanic, "how many male passengers in third class died?") == len(died)
    assert _count(titanic, "how many passengers did not die") == (TITANIC.survived == "yes").sum()


def test_a_value_said_in_the_other_number(titanic: Dataset) -> None:
    adult_men = (TITANIC.age == "adults") & (TITANIC.sex == "man")
    expected = TITANIC[adult_men & (TITANIC["class"] == "1st class") & (TITANIC.survived == "yes")]
    assert _count(titanic, "How many adult men from first class survived?") == len(expected)


def test_a_capitalised_word_mid_sentence_is_a_name_not_a_verb_to_skip(titanic: Dataset) -> None:
    with pytest.raises(CannotAnswer, match="'Ford'"):  # not "how many women" with Ford skipped as a verb
        ENGINE.generate("how many women Ford saved", titanic.context())
    assert _count(titanic, "How Many Women Survived") == ((TITANIC.sex == "women") & (TITANIC.survived == "yes")).sum()
