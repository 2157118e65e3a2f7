"""Words that spell a stored code: one that starts with it ("herbivores" over herbi, carni, omni,
insecti), words each code part shortens ("associate professors" for AssocProf), words whose
initials are the code ("orange juice" for OJ); a code other values contain ("professors" over
Prof, AsstProf, AssocProf) stays unread. Rows of ggplot2's msleep and carData's Salaries, and one
row per supplement and dose of R's ToothGrowth."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from lumiere.core.engine import CannotAnswer
from lumiere.services import warehouse
from tests.unit.test_builtin import ENGINE, Dataset, uploaded

MSLEEP = pd.DataFrame(
    [
        ("Cheetah", "carni", "Carnivora", 12.1),
        ("Owl monkey", "omni", "Primates", 17.0),
        ("Mountain beaver", "herbi", "Rodentia", 14.4),
        ("Greater short-tailed shrew", "omni", "Soricomorpha", 14.9),
        ("Cow", "herbi", "Artiodactyla", 4.0),
        ("Three-toed sloth", "herbi", "Pilosa", 14.4),
        ("Northern fur seal", "carni", "Carnivora", 8.7),
        ("Dog", "carni", "Carnivora", 10.1),
        ("Roe deer", "herbi", "Artiodactyla", 3.0),
        ("Grivet", "omni", "Primates", 10.0),
        ("Star-nosed mole", "omni", "Soricomorpha", 10.3),
        ("Long-nosed armadillo", "carni", "Cingulata", 17.4),
        ("Big brown bat", "insecti", "Chiroptera", 19.7),
        ("Little brown bat", "insecti", "Chiroptera", 19.9),
        ("Giant armadillo", "insecti", "Cingulata", 18.1),
        ("Eastern american mole", "insecti", "Soricomorpha", 8.4),
    ],
    columns=["name", "vore", "order", "sleep_total"],
)
SALARIES = pd.DataFrame(
    [
        ("Prof", "Male", 139750),
        ("Prof", "Male", 173200),
        ("AsstProf", "Male", 79750),
        ("Prof", "Male", 115000),
        ("AssocProf", "Male", 97000),
        ("AssocProf", "Male", 119800),
        ("AsstProf", "Male", 79800),
        ("AsstProf", "Male", 77700),
        ("AssocProf", "Female", 74830),
    ],
    columns=["rank", "sex", "salary"],
)


TOOTHGROWTH = pd.DataFrame(
    [(4.2, "VC", 0.5), (16.5, "VC", 1.0), (23.6, "VC", 2.0), (15.2, "OJ", 0.5), (19.7, "OJ", 1.0), (25.5, "OJ", 2.0)],
    columns=["len", "supp", "dose"],
)


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Dataset]]:
    yield from uploaded(tmp_path_factory, {"msleep": MSLEEP, "salaries": SALARIES, "toothgrowth": TOOTHGROWTH})


def test_a_word_starting_with_a_code_is_that_code(tables: dict[str, Dataset]) -> None:
    generated = ENGINE.generate("how many herbivores are there", tables["msleep"].context())
    assert warehouse.execute(tables["msleep"].source, generated.sql).rows == [[4]]
    assert "I read 'herbivores' as vore = 'herbi'." in generated.notes


def test_two_codes_compared_by_their_words(tables: dict[str, Dataset]) -> None:
    generated = ENGINE.generate("average sleep total for insectivores vs carnivores", tables["msleep"].context())
    rows = warehouse.execute(tables["msleep"].source, generated.sql).rows
    expected = MSLEEP[MSLEEP.vore.isin(["insecti", "carni"])].groupby("vore").sleep_total.mean()
    assert {vore: round(mean, 6) for vore, mean in rows} == {k: round(v, 6) for k, v in expected.items()}


def test_a_code_that_other_values_contain_is_not_guessed(tables: dict[str, Dataset]) -> None:
    with pytest.raises(CannotAnswer, match="'professors'"):
        ENGINE.generate("how many professors are there", tables["salaries"].context())


def test_a_column_named_like_a_keyword_is_grouped_by_after_each(tables: dict[str, Dataset]) -> None:
    """`order` is also the word for sorting; after `each` it is the column. The rows' noun said
    again (`orders with at least 3 animals`) counts the rows."""
    question = "number of animals in each order, only for orders with at least 3 animals"
    generated = ENGINE.generate(question, tables["msleep"].context())
    rows = warehouse.execute(tables["msleep"].source, generated.sql).rows
    counts = MSLEEP.groupby("order").size()
    assert dict(rows) == counts[counts >= 3].to_dict()


def test_each_part_of_a_code_shortens_one_word(tables: dict[str, Dataset]) -> None:
    question = "average salary of assistant professors vs associate professors"
    generated = ENGINE.generate(question, tables["salaries"].context())
    rows = warehouse.execute(tables["salaries"].source, generated.sql).rows
    expected = SALARIES[SALARIES["rank"] != "Prof"].groupby("rank").salary.mean()
    assert dict(rows) == pytest.approx(expected.to_dict())


def test_the_initials_of_the_words_are_the_code(tables: dict[str, Dataset]) -> None:
    generated = ENGINE.generate("average length with orange juice", tables["toothgrowth"].context())
    rows = warehouse.execute(tables["toothgrowth"].source, generated.sql).rows
    assert rows[0][0] == pytest.approx(TOOTHGROWTH[TOOTHGROWTH.supp == "OJ"].len.mean())
    assert "I read 'orange juice' as supp = 'OJ'." in generated.notes


def test_a_superlative_adjective_over_the_rows_ranks_by_what_it_measures(tables: dict[str, Dataset]) -> None:
    """`the longest teeth` ranks by length; `on average` after `which dose` compares the doses."""
    question = "Which dose gives the longest teeth on average?"
    generated = ENGINE.generate(question, tables["toothgrowth"].context())
    rows = warehouse.execute(tables["toothgrowth"].source, generated.sql).rows
    assert rows == [[TOOTHGROWTH.groupby("dose").len.mean().idxmax()]]
