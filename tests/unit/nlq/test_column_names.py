"""Everyday names of abbreviated columns and measure adjectives, end to end: small public tables
(the first rows of R's mtcars, Vega's cars, Seattle weather and MASS's UScereal) uploaded through
the real ingest; every answer is checked against pandas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from lumiere.core.engine import CannotAnswer
from lumiere.nlq.schema import split_identifier
from lumiere.services import warehouse
from tests.unit.test_builtin import ENGINE, Dataset, uploaded

MTCARS = pd.DataFrame(
    {
        "model": ["Mazda RX4", "Datsun 710", "Hornet 4 Drive", "Valiant", "Duster 360", "Merc 240D", "Fiat 128"],
        "mpg": [21.0, 22.8, 21.4, 18.1, 14.3, 24.4, 32.4],
        "cyl": [6, 4, 6, 6, 8, 4, 4],
        "hp": [110, 93, 110, 105, 245, 62, 66],
        "wt": [2.62, 2.32, 3.215, 3.46, 3.57, 3.19, 2.2],
        "gear": [4, 4, 3, 3, 3, 4, 4],
    }
)
CARS = pd.DataFrame(
    {
        "Name": ["chevrolet chevelle malibu", "buick skylark 320", "datsun pl510", "volkswagen 1131", "peugeot 504"],
        "Miles_per_Gallon": [18.0, 15.0, 27.0, 26.0, 25.0],
        "Horsepower": [130, 165, 88, 46, 87],
        "Origin": ["USA", "USA", "Japan", "Europe", "Europe"],
    }
)
WEATHER = pd.DataFrame(
    {
        "date": pd.to_datetime(["2012-01-01", "2012-01-02", "2012-07-03", "2012-07-04", "2012-08-05"]),
        "precipitation": [0.0, 10.9, 0.8, 0.0, 0.0],
        "temp_max": [12.8, 10.6, 21.7, 26.1, 33.9],
        "temp_min": [5.0, 2.8, 12.2, 13.3, 16.1],
        "wind": [4.7, 4.5, 2.3, 2.1, 3.4],
    }
)
CEREAL = pd.DataFrame(
    {
        "name": ["100% Bran", "All-Bran", "Cheerios", "Corn Flakes", "Wheaties"],
        "mfr": ["N", "K", "G", "K", "G"],
        "sodium": [6.0, 781.0, 290.0, 290.0, 200.0],
        "fibre": [30.3, 27.3, 2.0, 1.0, 3.0],
    }
)
AIRQUALITY = pd.DataFrame(
    {
        "Ozone": [41, 36, 12, 135, 49, 32, 64],
        "Temp": [67, 72, 74, 84, 85, 81, 83],
        "Month": [5, 5, 6, 7, 7, 8, 8],
        "Day": [1, 2, 3, 1, 2, 1, 2],
    }
)


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Dataset]]:
    yield from uploaded(
        tmp_path_factory,
        {"mtcars": MTCARS, "cars": CARS, "weather": WEATHER, "uscereal": CEREAL, "airquality": AIRQUALITY},
    )


def _answer(dataset: Dataset, question: str) -> tuple[str, list[list[Any]], list[str]]:
    generated = ENGINE.generate(question, dataset.context())
    return generated.sql, warehouse.execute(dataset.source, generated.sql).rows, generated.notes


def test_abbreviation_by_its_letters_in_order(tables: dict[str, Dataset]) -> None:
    sql, rows, notes = _answer(tables["mtcars"], "average horsepower by gear")
    expected = MTCARS.groupby("gear")["hp"].mean()
    assert '"hp"' in sql
    assert {int(g): v for g, v in rows} == pytest.approx(expected.to_dict())
    assert "I read 'horsepower' as hp." in notes


def test_synonym_reaches_an_abbreviated_column(tables: dict[str, Dataset]) -> None:
    _, rows, notes = _answer(tables["mtcars"], "which model has the best mileage")
    assert rows[0][0] == MTCARS.loc[MTCARS["mpg"].idxmax(), "model"]
    assert "I read 'mileage' as mpg." in notes


def test_for_each_number_of_a_column_groups_by_it(tables: dict[str, Dataset]) -> None:
    sql, rows, _ = _answer(tables["mtcars"], "average hp for each number of cylinders")
    assert 'GROUP BY "cyl"' in sql and "SUM" not in sql
    assert {int(c): v for c, v in rows} == pytest.approx(MTCARS.groupby("cyl")["hp"].mean().to_dict())


def test_initialism_names_a_column_spelled_out(tables: dict[str, Dataset]) -> None:
    _, rows, notes = _answer(tables["cars"], "how many rows have more than 25 mpg")
    assert rows == [[int((CARS["Miles_per_Gallon"] > 25).sum())]]
    assert "I read 'mpg' as Miles_per_Gallon." in notes


def test_a_name_with_per_is_one_span_not_a_grouping(tables: dict[str, Dataset]) -> None:
    sql, rows, _ = _answer(tables["cars"], "average Miles_per_Gallon by Origin")
    assert 'GROUP BY "Origin"' in sql and 'GROUP BY "Origin", "Miles_per_Gallon"' not in sql
    assert dict(map(tuple, rows)) == pytest.approx(CARS.groupby("Origin")["Miles_per_Gallon"].mean().to_dict())


def test_words_spelled_out_read_as_the_initialism(tables: dict[str, Dataset]) -> None:
    _, rows, _ = _answer(tables["mtcars"], "average miles per gallon by gear")
    assert {int(g): v for g, v in rows} == pytest.approx(MTCARS.groupby("gear")["mpg"].mean().to_dict())


def test_superlative_adjective_from_the_column_noun(tables: dict[str, Dataset]) -> None:
    _, rows, notes = _answer(tables["uscereal"], "the saltiest name")
    assert rows[0][0] == CEREAL.loc[CEREAL["sodium"].idxmax(), "name"]
    assert "I read 'saltiest' as sodium." in notes
    _, rows, _ = _answer(tables["weather"], "which date was the windiest")
    assert str(rows[0][0]).startswith(str(WEATHER.loc[WEATHER["wind"].idxmax(), "date"].date()))


def test_hot_and_cold_pick_the_max_and_min_columns(tables: dict[str, Dataset]) -> None:
    sql, _, _ = _answer(tables["weather"], "the hottest date")
    assert 'ORDER BY "temp_max" DESC' in sql
    sql, _, _ = _answer(tables["weather"], "the coldest date")
    assert 'ORDER BY "temp_min" ASC' in sql
    _, rows, _ = _answer(tables["weather"], "how many rows were hotter than 25")
    assert rows == [[int((WEATHER["temp_max"] > 25).sum())]]


def test_most_with_an_adjective_of_the_table(tables: dict[str, Dataset]) -> None:
    _, rows, notes = _answer(tables["cars"], "which Name is the most powerful")
    assert rows[0][0] == CARS.loc[CARS["Horsepower"].idxmax(), "Name"]
    assert "I read 'powerful' as Horsepower." in notes


def test_spelling_variant(tables: dict[str, Dataset]) -> None:
    _, rows, _ = _answer(tables["uscereal"], "average fiber by mfr")
    assert dict(map(tuple, rows)) == pytest.approx(CEREAL.groupby("mfr")["fibre"].mean().to_dict())


def test_an_adjective_with_no_column_is_still_refused(tables: dict[str, Dataset]) -> None:
    with pytest.raises(CannotAnswer):
        ENGINE.generate("which model is the prettiest", tables["mtcars"].context())


def test_a_month_name_is_a_value_of_the_month_column(tables: dict[str, Dataset]) -> None:
    _, rows, notes = _answer(tables["airquality"], "average Ozone in July")
    assert rows == [[pytest.approx(AIRQUALITY.loc[AIRQUALITY["Month"] == 7, "Ozone"].mean())]]
    assert "I read 'July' as Month = 7." in notes


def test_for_each_year_cuts_a_date_column(tables: dict[str, Dataset]) -> None:
    sql, rows, _ = _answer(tables["weather"], "total precipitation for each year")
    assert 'GROUP BY YEAR("date")' in sql
    expected = WEATHER.groupby(WEATHER["date"].dt.year)["precipitation"].sum()
    assert {int(y): v for y, v in rows} == pytest.approx(expected.to_dict())


def test_a_word_and_an_abbreviation_run_together_are_two_words() -> None:
    assert split_identifier("brainwt") == ["brain", "wt"]
    assert split_identifier("callsign") == ["callsign"]  # two words run together stay one
    assert split_identifier("toothgrowth") == ["toothgrowth"]


def test_a_hyphen_after_a_number_joins_it_to_its_noun(tables: dict[str, Dataset]) -> None:
    sql, rows, _ = _answer(tables["mtcars"], "how many 4-cylinder cars have more than 4 gears")
    assert '"cyl" = 4' in sql and rows == [[0]]
    _, rows, _ = _answer(tables["mtcars"], "average weight of 6-cylinder cars")
    assert rows[0][0] == pytest.approx(MTCARS[MTCARS.cyl == 6].wt.mean())


def test_a_comparison_word_names_its_column_and_the_unit_fits_it(tables: dict[str, Dataset]) -> None:
    sql, rows, notes = _answer(tables["airquality"], "how many days were hotter than 80 degrees")
    assert '"Temp" > 80' in sql and rows == [[(AIRQUALITY.Temp > 80).sum()]]
    assert "I read 'degrees' as the unit of Temp." in notes
    with pytest.raises(CannotAnswer, match="'kilograms'"):
        _answer(tables["mtcars"], "how many cars weigh more than 3 kilograms")  # the name says nothing of kg
