"""The semantic layer read by the built-in engine, end to end on plotly's tips and gapminder
uploaded through the real ingest: column synonyms, description words, value meanings (written or
parsed from a code list in the description), unit words and scaled numbers. Every answer is
checked against pandas, and each reading is named in the notes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import plotly.data
import pytest

from lumiere.core.engine import CannotAnswer
from lumiere.core.semantics import ColumnMeaning, SourceSemantics, ValueMeaning
from lumiere.nlq.schema import SchemaIndex
from lumiere.nlq.semantic_words import parse_value_codes, table_words
from lumiere.services import warehouse
from tests.unit.test_builtin import ENGINE, Dataset, uploaded

TIPS = plotly.data.tips()
# The same bills with the sex coded as numbers and the party size under an abbreviation, as many
# exported tables hold them; the semantic layer says what the codes and the name mean.
CODED = TIPS.assign(sex=TIPS["sex"].map({"Female": 1, "Male": 2}), shelf=TIPS["size"].clip(1, 3)).rename(
    columns={"size": "pty"}
)
_GAP = plotly.data.gapminder()
NATIONS = (
    _GAP[_GAP["year"] == 2007][["country", "continent", "pop", "lifeExp"]]
    .assign(pop_k=lambda f: f["pop"] / 1000)
    .drop(columns=["pop"])
    .rename(columns={"country": "label"})
    .reset_index(drop=True)
)


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Dataset]]:
    yield from uploaded(tmp_path_factory, {"tips": TIPS, "coded": CODED, "gap": NATIONS})


def _semantics(table: str, *columns: ColumnMeaning) -> SourceSemantics:
    return SourceSemantics(columns=tuple(ColumnMeaning(**{**c.__dict__, "table": table}) for c in columns))


def _answer(dataset: Dataset, question: str, semantics: SourceSemantics) -> tuple[str, list[list[Any]], list[str]]:
    context = dataset.context()
    context.semantics = semantics
    generated = ENGINE.generate(question, context)
    return generated.sql, warehouse.execute(dataset.source, generated.sql).rows, generated.notes


def _refused(dataset: Dataset, question: str) -> bool:
    try:
        ENGINE.generate(question, dataset.context())
    except CannotAnswer:
        return True
    return False


# --------------------------------------------------------------------------- the code-list parser
@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("transmission: 0 = automatic, 1 = manual", {"0": ("automatic",), "1": ("manual",)}),
        ("1 = female; 2 = male", {"1": ("female",), "2": ("male",)}),
        ("V-shaped (0) / straight (1)", {"0": ("V-shaped",), "1": ("straight",)}),
        ("OJ = orange juice, VC = ascorbic acid", {"OJ": ("orange juice",), "VC": ("ascorbic acid",)}),
        ("display shelf 1, 2 or 3 counting from the floor (3 = top)", {"3": ("top",)}),
        ("I1 (worst), SI2, SI1, VS2, IF (internally flawless, best)", {"IF": ("internally flawless",)}),
        ("manufacturer initial: G = General Mills, K = Kelloggs", {"G": ("General Mills",), "K": ("Kelloggs",)}),
        ("Mon = Monday, Tue = Tuesday", {"Mon": ("Monday",), "Tue": ("Tuesday",)}),
        ("coded 1 = low, 2 = medium, 3 = high", {"1": ("low",), "2": ("medium",), "3": ("high",)}),
        ("female = 1, male = 2", {"1": ("female",), "2": ("male",)}),
        ("1 if female, 0 otherwise", {"1": ("female",)}),
        ("indicator: 1 if the car is foreign", {"1": ("foreign",)}),
        ("'M' = male, 'F' = female", {"M": ("male",), "F": ("female",)}),
    ],
)
def test_code_lists_as_people_write_them(description: str, expected: dict[str, tuple[str, ...]]) -> None:
    assert {v.stored: v.words for v in parse_value_codes(description)} == expected


@pytest.mark.parametrize(
    "description",
    [
        "displacement (cubic inches)",  # a unit in brackets, not a code
        "month number (5-9)",  # a range
        "quarter-mile time (s)",  # one bracket is no list
        "D (best) to J (worst)",  # ranks, not names
        "Fair, Good, Very Good, Premium, Ideal",  # the stored values themselves
        "mean ozone, ppb (has blanks)",
        "",
    ],
)
def test_descriptions_without_a_code_list_give_no_values(description: str) -> None:
    assert parse_value_codes(description) == ()


def test_common_description_words_never_name_a_column(tables: dict[str, Dataset]) -> None:
    semantics = _semantics(
        "coded",
        ColumnMeaning("", "pty", description="number of diners in the party"),
        ColumnMeaning("", "total_bill", description="total of the bill, in US dollars"),
        ColumnMeaning("", "tip", description="tip amount, in US dollars"),
    )
    words = table_words(SchemaIndex.build(tables["coded"].info, semantics.columns))
    assert words.distinctive.get("diner") == "pty" or words.distinctive.get("diners") == "pty"
    assert not {"number", "of", "total", "type", "amount", "us", "dollars"} & set(words.distinctive)
    # "party" only says where the diners sit: outside the head phrase a description word names nothing
    assert "party" not in words.distinctive


# --------------------------------------------------------------------------- synonyms
def test_a_column_synonym_names_the_column(tables: dict[str, Dataset]) -> None:
    question = "average receipt total by day"
    assert _refused(tables["tips"], question)
    semantics = _semantics("tips", ColumnMeaning("", "total_bill", synonyms=("receipt total",)))
    _sql, rows, notes = _answer(tables["tips"], question, semantics)
    expected = TIPS.groupby("day")["total_bill"].mean().to_dict()
    assert dict(rows) == pytest.approx(expected)
    assert "I read 'receipt total' as total_bill (from the column's synonyms)." in notes


def test_a_synonym_is_matched_through_its_plural(tables: dict[str, Dataset]) -> None:
    semantics = _semantics("coded", ColumnMeaning("", "pty", synonyms=("party size",)))
    _, rows, _ = _answer(tables["coded"], "total tip for party sizes above 4", semantics)
    assert rows[0][0] == pytest.approx(CODED[CODED["pty"] > 4]["tip"].sum())


# --------------------------------------------------------------------------- descriptions
def test_description_head_phrase_and_distinctive_word(tables: dict[str, Dataset]) -> None:
    semantics = _semantics("coded", ColumnMeaning("", "pty", description="number of diners in the party"))
    assert _refused(tables["coded"], "average number of diners per day")
    _, rows, notes = _answer(tables["coded"], "average number of diners per day", semantics)
    assert dict(rows) == pytest.approx(CODED.groupby("day")["pty"].mean().to_dict())
    assert any("as pty (from its description)" in note for note in notes)
    sql, rows, _ = _answer(tables["coded"], "how many rows had more than 4 diners", semantics)
    assert rows[0][-1] == (CODED["pty"] > 4).sum(), sql


def test_the_noun_of_the_naming_column_names_the_rows(tables: dict[str, Dataset]) -> None:
    semantics = _semantics("gap", ColumnMeaning("", "label", description="nation name"))
    question = "average life expectancy of the nations in Asia"
    _, rows, notes = _answer(tables["gap"], question, semantics)
    assert rows[0][-1] == pytest.approx(NATIONS[NATIONS["continent"] == "Asia"]["lifeExp"].mean())
    assert any("as the rows of gap" in note for note in notes)


# --------------------------------------------------------------------------- value meanings
def test_written_value_meaning_is_a_filter(tables: dict[str, Dataset]) -> None:
    semantics = _semantics(
        "tips", ColumnMeaning("", "day", values=(ValueMeaning("Sun", ("Sunday",)), ValueMeaning("Sat", ("Saturday",))))
    )
    assert _refused(tables["tips"], "average tip on Sundays")
    _sql, rows, notes = _answer(tables["tips"], "average tip on Sundays", semantics)
    assert rows[0][-1] == pytest.approx(TIPS[TIPS["day"] == "Sun"]["tip"].mean())
    assert "I read 'Sundays' as day = 'Sun' (from the column's value meanings)." in notes


def test_numeric_codes_from_the_description(tables: dict[str, Dataset]) -> None:
    semantics = _semantics("coded", ColumnMeaning("", "sex", description="sex of the payer: 1 = female; 2 = male"))
    _, rows, notes = _answer(tables["coded"], "average tip of female payers", semantics)
    assert rows[0][-1] == pytest.approx(CODED[CODED["sex"] == 1]["tip"].mean())
    assert "I read 'female' as sex = 1 (from the column's description's code list)." in notes


def test_a_value_word_that_is_also_grammar_needs_its_column_beside_it(tables: dict[str, Dataset]) -> None:
    semantics = _semantics("coded", ColumnMeaning("", "shelf", description="display shelf (3 = top)"))
    _, rows, _ = _answer(tables["coded"], "average tip on the top shelf", semantics)
    assert rows[0][-1] == pytest.approx(CODED[CODED["shelf"] == 3]["tip"].mean())
    sql, rows, _ = _answer(tables["coded"], "top 3 tips", semantics)
    assert '"shelf"' not in sql
    assert [row[-1] for row in rows] == pytest.approx(sorted(CODED["tip"], reverse=True)[:3])


# --------------------------------------------------------------------------- units and scales
def test_a_unit_after_a_number_is_read_when_the_column_has_it(tables: dict[str, Dataset]) -> None:
    question = "how many rows had a total bill over 40 dollars"
    assert _refused(tables["tips"], question)
    semantics = _semantics("tips", ColumnMeaning("", "total_bill", unit="$"))
    _, rows, notes = _answer(tables["tips"], question, semantics)
    assert rows[0][-1] == (TIPS["total_bill"] > 40).sum()
    assert "I read 'dollars' as the unit of total_bill." in notes
    # the unit alone names the one column that has it
    _, rows, notes = _answer(tables["tips"], "how many rows are above 40 dollars", semantics)
    assert rows[0][-1] == (TIPS["total_bill"] > 40).sum()
    # a unit no column has is never dropped
    with pytest.raises(CannotAnswer, match="euros"):
        _answer(tables["tips"], "how many rows had a total bill over 40 euros", semantics)


def test_a_scaled_number_is_compared_in_the_column_scale(tables: dict[str, Dataset]) -> None:
    semantics = _semantics("gap", ColumnMeaning("", "pop_k", description="population, thousands"))
    _, rows, notes = _answer(tables["gap"], "how many rows have pop_k over 100 million", semantics)
    assert rows[0][-1] == (NATIONS["pop_k"] > 100_000).sum()
    assert any("counted in thousands" in note for note in notes)


def test_without_a_semantic_layer_nothing_changes(tables: dict[str, Dataset]) -> None:
    for question in ("average tip by day", "how many rows have total_bill above 40"):
        context = tables["tips"].context()
        plain = ENGINE.generate(question, context).sql
        context.semantics = SourceSemantics()
        assert ENGINE.generate(question, context).sql == plain


def test_a_text_code_from_a_description_must_be_in_the_data(tables: dict[str, Dataset]) -> None:
    semantics = _semantics(
        "tips",
        ColumnMeaning("", "smoker", description="yes = smoking section, no = non-smoking section"),
        ColumnMeaning("", "time", description="L = lunch service, D = dinner service"),  # the data says Lunch, Dinner
    )
    # the ingest stores Yes/No as a boolean: the code `yes` is its true value
    _, rows, notes = _answer(tables["tips"], "average tip in the smoking section", semantics)
    assert rows[0][-1] == pytest.approx(TIPS[TIPS["smoker"] == "Yes"]["tip"].mean())
    assert "I read 'smoking section' as smoker = True (from the column's description's code list)." in notes
    # `D` is not in the data: the code list is not used, the stored value Dinner is
    sql, rows, notes = _answer(tables["tips"], "average tip of the dinner service", semantics)
    assert "'D'" not in sql and not any("code list" in note for note in notes)
    assert rows[0][-1] == pytest.approx(TIPS[TIPS["time"] == "Dinner"]["tip"].mean())


def test_a_unit_said_after_in_is_the_unit_of_the_named_column(tables: dict[str, Dataset]) -> None:
    semantics = _semantics("tips", ColumnMeaning("", "total_bill", description="bill including tax, in US dollars"))
    assert _refused(tables["tips"], "average total bill in dollars by day")
    _, rows, notes = _answer(tables["tips"], "average total bill in dollars by day", semantics)
    assert dict(rows) == pytest.approx(TIPS.groupby("day")["total_bill"].mean().to_dict())
    assert "I read 'dollars' as the unit of total_bill." in notes


def test_min_beside_what_a_unit_measures_is_a_minimum_not_minutes() -> None:
    """`temp_min` in degrees is a minimum temperature; `duration_min` stays in minutes, not degrees."""
    from lumiere.nlq.semantic_words import unit_fits_column

    assert unit_fits_column("degrees", {"temp", "min"})
    assert unit_fits_column("degrees", {"temp", "max"})
    assert not unit_fits_column("degrees", {"duration", "min"})
    assert not unit_fits_column("hours", {"sleep", "min"})
