"""Rates, the rows' own event, a row per group, units within a column's values, and names made of
initials or a single letter, end to end: rows of public tables (R's titanic, msleep, UScereal,
airquality, economics, Salaries and ggplot2's diamonds; Vega's cars and LA riots; Spider's
tv_channel) uploaded through the real ingest; every answer is checked against pandas."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pandas as pd
import pytest

from lumiere.core.engine import CannotAnswer
from lumiere.nlq.schema import SchemaIndex
from lumiere.services import warehouse
from tests.unit.nlq.test_column_names import CARS  # the same rows of Vega's cars
from tests.unit.test_builtin import ENGINE, Dataset, uploaded

TITANIC = pd.DataFrame(
    {
        "class": ["1st class"] * 4 + ["2nd class"] * 4 + ["3rd class"] * 4,
        "age": ["adults"] * 12,
        "sex": ["man", "women"] * 6,
        "survived": ["yes", "yes", "yes", "no", "yes", "yes", "no", "no", "yes", "no", "no", "no"],
    }
)
TV_CHANNEL = pd.DataFrame(
    {
        "series_name": ["Sky Radio", "Sky Music", "Music Box Italia", "MTV Hits", "MTV Classic"],
        "Country": ["Italy", "Italy", "Italy", "Italy", "Italy"],
        "Package_Option": ["Sky Famiglia", "Sky Famiglia", "Option", "Sky Famiglia", "Sky Famiglia"],
    }
)
SALARIES = pd.DataFrame(
    {
        "rank": ["Prof", "Prof", "AsstProf", "Prof", "Prof", "Prof", "AssocProf"],
        "sex": ["Male", "Male", "Male", "Male", "Female", "Female", "Female"],
        "salary": [139750, 173200, 79750, 115000, 129000, 137000, 74830],
    }
)
LA_RIOTS = pd.DataFrame(
    {
        "first_name": ["Cesar A.", "George", "Wilson", "Brian E.", "Vivian", "Carol", "Patrick", "Harry"],
        "age": [18.0, 42.0, 40.0, 30.0, 87.0, 42.0, 30.0, 56.0],
        "race": ["Latino", "Latino", "Latino", "Black", "Black", "Black", "White", "White"],
        "death_date": pd.to_datetime(
            [
                "1992-04-30",
                "1992-05-01",
                "1992-05-23",
                "1992-04-30",
                "1992-05-03",
                "1992-05-02",
                "1992-04-30",
                "1992-05-01",
            ]
        ),
        "neighborhood": ["Westlake", "Chinatown", "Westlake", "Compton", "Compton", "Compton", "Koreatown", "Westlake"],
        "type": [
            "Officer-involved shooting",
            "Not riot-related",
            "Homicide",
            "Officer-involved shooting",
            "Death",
            "Death",
            "Homicide",
            "Not riot-related",
        ],
    }
)
MSLEEP = pd.DataFrame(
    {
        "name": [
            "Cheetah",
            "Owl monkey",
            "Mountain beaver",
            "Cow",
            "Northern fur seal",
            "Vesper mouse",
            "Dog",
            "Roe deer",
        ],
        "vore": ["carni", "omni", "herbi", "herbi", "carni", None, "carni", "herbi"],
        "sleep_total": [12.1, 17.0, 14.4, 4.0, 8.7, 7.0, 10.1, 3.0],
        "sleep_rem": [None, 1.8, 2.4, 0.7, 1.4, None, 2.9, None],
        "bodywt": [50.0, 0.48, 1.35, 600.0, 20.49, 0.045, 14.0, 14.8],
    }
)
CEREAL = pd.DataFrame(
    {
        "name": ["100% Bran", "All-Bran", "Cheerios", "Corn Flakes", "Wheaties", "Grape-Nuts", "Raisin Bran"],
        "mfr": ["N", "K", "G", "K", "G", "P", "K"],
        "calories": [212.1, 212.1, 88.0, 100.0, 100.0, 440.0, 160.0],
        "fibre": [30.3, 27.3, 2.0, 1.0, 3.0, 12.0, 6.7],
        "sugars": [18.2, 15.2, 1.0, 2.0, 3.0, 12.0, 16.0],
    }
)
DIAMONDS = pd.DataFrame(
    {
        "carat": [0.23, 0.21, 0.23, 0.29, 0.31, 0.24, 1.01, 2.01],
        "cut": ["Ideal", "Premium", "Good", "Premium", "Good", "Very Good", "Ideal", "Premium"],
        "price": [326, 326, 327, 334, 335, 336, 5000, 18000],
    }
)
AIRQUALITY = pd.DataFrame(
    {
        "Ozone": [41, 36, 12, 18, None, 28],
        "Solar.R": [190, 118, 149, 313, None, 299],
        "Wind": [7.4, 8.0, 12.6, 11.5, 14.3, 14.9],
        "Month": [5, 5, 5, 8, 8, 8],
    }
)
ECONOMICS = pd.DataFrame(
    {
        "date": pd.to_datetime(["1982-09-30", "1982-10-31", "1982-11-30", "1982-12-31", "1983-01-31"]),
        "unemploy": [11463, 11868, 12051, 11893, 11420],
        "uempmed": [9.5, 9.7, 10.2, 10.4, 10.3],
    }
)


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Dataset]]:
    frames = {
        "titanic": TITANIC,
        "la_riots": LA_RIOTS,
        "msleep": MSLEEP,
        "uscereal": CEREAL,
        "cars": CARS,
        "diamonds": DIAMONDS,
        "airquality": AIRQUALITY,
        "economics": ECONOMICS,
        "salaries": SALARIES,
        "tv_channel": TV_CHANNEL,
    }
    yield from uploaded(tmp_path_factory, frames)


def _answer(dataset: Dataset, question: str) -> tuple[str, list[list[Any]], list[str]]:
    generated = ENGINE.generate(question, dataset.context())
    return generated.sql, warehouse.execute(dataset.source, generated.sql).rows, generated.notes


def _survival_rate(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby("class")["survived"].apply(lambda s: 100.0 * (s == "yes").mean())


def test_a_rate_of_a_yes_no_column_is_its_share_in_each_group(tables: dict[str, Dataset]) -> None:
    _, rows, notes = _answer(tables["titanic"], "survival rate for each class")
    assert dict(map(tuple, rows)) == pytest.approx(_survival_rate(TITANIC).to_dict())
    assert any("survival rate" in note for note in notes)


def test_groups_are_ranked_by_their_rate(tables: dict[str, Dataset]) -> None:
    _, rows, _ = _answer(tables["titanic"], "which class had the highest survival rate")
    assert [row[0] for row in rows] == [_survival_rate(TITANIC).idxmax()]
    _, rows, _ = _answer(tables["titanic"], "which class had the lowest survival rate")
    assert [row[0] for row in rows] == [_survival_rate(TITANIC).idxmin()]


def test_a_percentage_ranked_without_groups_is_refused(tables: dict[str, Dataset]) -> None:
    with pytest.raises(CannotAnswer):
        _answer(tables["titanic"], "which had a higher percentage? man or women?")


def test_the_event_each_row_records_counts_rows_not_a_value(tables: dict[str, Dataset]) -> None:
    """Every row has a death_date, so "deaths" are the rows even though `type` holds a value Death."""
    _, rows, _ = _answer(tables["la_riots"], "number of deaths by race")
    assert dict(map(tuple, rows)) == LA_RIOTS["race"].value_counts().to_dict()
    _, rows, _ = _answer(tables["la_riots"], "how many of the deaths were homicides?")
    assert rows == [[(LA_RIOTS["type"] == "Homicide").sum()]]
    sql, rows, _ = _answer(tables["la_riots"], "Which neighborhoods had more than 2 deaths?")
    counts = LA_RIOTS["neighborhood"].value_counts()
    assert "HAVING COUNT(*) > 2" in sql and sorted(r[0] for r in rows) == sorted(counts[counts > 2].index)


def test_only_a_filled_date_column_names_the_rows_event(tables: dict[str, Dataset]) -> None:
    info = tables["la_riots"].info
    schema = SchemaIndex.build(info)
    assert schema.names_row_event("deaths") and not schema.names_row_event("homicides")
    with_gaps = [replace(c, null_count=1) if c.name == "death_date" else c for c in info.columns]
    assert not SchemaIndex.build(replace(info, columns=with_gaps)).names_row_event("deaths")


def test_the_extreme_row_of_each_group_is_named(tables: dict[str, Dataset]) -> None:
    _, rows, _ = _answer(tables["cars"], "most powerful car from each origin")
    best = CARS.loc[CARS.groupby("Origin")["Horsepower"].idxmax()]
    assert {(r[0], r[1]) for r in rows} == set(zip(best["Origin"], best["Name"], strict=True))
    _, rows, _ = _answer(tables["uscereal"], "highest-calorie cereal from each manufacturer")
    best = CEREAL.loc[CEREAL.groupby("mfr")["calories"].idxmax()]
    assert {(r[0], r[1]) for r in rows} >= set(zip(best["mfr"], best["name"], strict=True))


def test_rows_without_names_give_the_extreme_value_per_group(tables: dict[str, Dataset]) -> None:
    sql, rows, _ = _answer(tables["diamonds"], "biggest diamond in carats for each cut")
    assert 'MAX("carat")' in sql
    assert dict(map(tuple, rows)) == pytest.approx(DIAMONDS.groupby("cut")["carat"].max().to_dict())


def test_a_column_said_as_a_verb_ranks_the_rows(tables: dict[str, Dataset]) -> None:
    _, rows, _ = _answer(tables["msleep"], "which animal sleeps the most?")
    assert rows == [[MSLEEP.loc[MSLEEP["sleep_total"].idxmax(), "name"]]]
    _, rows, _ = _answer(tables["msleep"], "which animal sleeps the longest in each vore")
    best = MSLEEP.dropna(subset=["vore"]).loc[lambda f: f.groupby("vore")["sleep_total"].idxmax()]
    assert {(r[0], r[1]) for r in rows if r[0] is not None} == set(zip(best["vore"], best["name"], strict=True))


def test_leaving_out_unknown_values_keeps_the_filled_rows(tables: dict[str, Dataset]) -> None:
    question = "average sleep_total for each vore, leaving out animals whose vore is unknown"
    sql, rows, _ = _answer(tables["msleep"], question)
    assert 'NOT "vore" IS NULL' in sql
    assert dict(map(tuple, rows)) == pytest.approx(MSLEEP.groupby("vore")["sleep_total"].mean().to_dict())
    _, rows, _ = _answer(tables["msleep"], "how many animals have a missing vore")
    assert rows == [[MSLEEP["vore"].isna().sum()]]


def test_a_unit_within_the_columns_values_is_its_own(tables: dict[str, Dataset]) -> None:
    _, rows, notes = _answer(tables["msleep"], "animals that sleep less than 4 hours a day")
    assert [r[0] for r in rows] == MSLEEP.loc[MSLEEP["sleep_total"] < 4, "name"].tolist()
    assert "I read 'hours' as the unit of sleep_total." in notes
    _, rows, _ = _answer(tables["uscereal"], "cereals with at most 120 calories and at least 3 grams of fiber")
    kept = CEREAL[(CEREAL["calories"] <= 120) & (CEREAL["fibre"] >= 3)]
    assert sorted(r[0] for r in rows) == sorted(kept["name"])
    _, rows, _ = _answer(tables["airquality"], "how many days had wind over 12 mph")
    assert rows == [[(AIRQUALITY["Wind"] > 12).sum()]]


def test_a_unit_outside_the_columns_values_is_refused(tables: dict[str, Dataset]) -> None:
    with pytest.raises(CannotAnswer, match="'hours'"):
        _answer(tables["msleep"], "animals that sleep less than 400 hours a day")
    with pytest.raises(CannotAnswer, match="'kilograms'"):
        _answer(tables["msleep"], "animals heavier than 20 kilograms")  # weights come in many units


def test_a_unit_before_of_names_the_column(tables: dict[str, Dataset]) -> None:
    sql, rows, _ = _answer(tables["msleep"], "average hours of sleep for each vore")
    assert 'AVG("sleep_total")' in sql
    expected = MSLEEP.groupby("vore")["sleep_total"].mean().to_dict()
    assert {k: v for k, v in rows if k is not None} == pytest.approx(expected)


def test_a_name_said_before_the_tables_noun_is_not_the_rows(tables: dict[str, Dataset]) -> None:
    """`uscereal` is us + cereal, so "cereals" are its rows, and "Post" in "Which Post cereals" is a
    maker this data spells P: refused, not dropped."""
    _, rows, _ = _answer(tables["uscereal"], "Which cereals have more than 10 grams of sugar?")
    assert sorted(r[0] for r in rows) == sorted(CEREAL.loc[CEREAL["sugars"] > 10, "name"])
    with pytest.raises(CannotAnswer, match="'Post'"):
        _answer(tables["uscereal"], "Which Post cereals have more than 10 grams of sugar?")


def test_a_one_letter_word_of_a_name_takes_the_word_after_its_neighbour(tables: dict[str, Dataset]) -> None:
    _, rows, _ = _answer(tables["airquality"], "average solar radiation in August")
    assert rows == [[pytest.approx(AIRQUALITY.loc[AIRQUALITY["Month"] == 8, "Solar.R"].mean())]]


def test_the_number_of_a_column_that_counts_is_the_column(tables: dict[str, Dataset]) -> None:
    _, rows, _ = _answer(tables["economics"], "what date had the highest number of unemployed people?")
    assert [str(rows[0][0])[:10]] == [str(ECONOMICS.loc[ECONOMICS["unemploy"].idxmax(), "date"].date())]


def test_an_abbreviated_name_is_not_extended_across_two_words(tables: dict[str, Dataset]) -> None:
    """`unemploy` is "unemployment" and "unemployed people", never "unemployment duration"."""
    with pytest.raises(CannotAnswer, match="'duration'"):
        _answer(tables["economics"], "longest median unemployment duration in weeks")
    _, rows, _ = _answer(tables["economics"], "average unemployment")
    assert rows == [[pytest.approx(ECONOMICS["unemploy"].mean())]]


def test_on_average_said_apart_from_a_difference_averages_it(tables: dict[str, Dataset]) -> None:
    sql, rows, _ = _answer(tables["salaries"], "On average, how much more do men earn than women?")
    assert sql.count("AVG(") == 2
    by_sex = SALARIES.groupby("sex")["salary"].mean()
    assert rows == [[pytest.approx(by_sex["Male"] - by_sex["Female"])]]


def test_words_that_spell_a_columns_whole_name_are_the_column(tables: dict[str, Dataset]) -> None:
    """Spider's tv_channel: `Package_Option` holds a value `Option`; "package options" is the column."""
    question = "What are the package options of the channels whose series name is Sky Radio?"
    sql, rows, _ = _answer(tables["tv_channel"], question)
    assert '"Package_Option"' in sql and "'Option'" not in sql
    assert [r[0] for r in rows] == ["Sky Famiglia"]
