"""General mechanisms of the built-in engine (round 2), each on real plotly data uploaded through
the real ingest and queried through the guarded warehouse; every answer is checked with pandas."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import plotly.data
import pytest

from lumiere.core.engine import CannotAnswer
from tests.unit.test_builtin import ENGINE, Dataset, ask, close, scalar, upload, uploaded


def _gapminder_2007() -> pd.DataFrame:
    frame = plotly.data.gapminder()
    return frame[frame.year == 2007][["country", "continent", "lifeExp", "pop", "gdpPercap"]].reset_index(drop=True)


def _as_typed_by_hand(frame: pd.DataFrame) -> pd.DataFrame:
    """Population as a spreadsheet shows it: thousands separators, footnote marks, a dash for unknown."""
    typed = frame.copy()
    marks = ["", "[1]", "*", "", " (est.)", "†"]
    typed["population"] = [f"{value:,}{marks[i % len(marks)]}" for i, value in enumerate(frame["pop"])]
    typed.loc[3, "population"] = "\u2212"
    return typed.drop(columns=["pop"])


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Dataset]]:
    yield from uploaded(tmp_path_factory, {
        "tips": plotly.data.tips(),
        "gapminder": plotly.data.gapminder(),
        "countries": _gapminder_2007(),
        "census": _as_typed_by_hand(_gapminder_2007()),
        "iris": plotly.data.iris(),
        "stocks": plotly.data.stocks(),
        "medals": plotly.data.medals_wide(),
    })


def population_of(census: Dataset) -> pd.Series:
    """What the census's text column means, computed from the original numbers."""
    original = _gapminder_2007().set_index("country")["pop"].astype(float)
    unknown = census.frame.loc[census.frame.population == "\u2212", "country"]
    return original.drop(unknown)


# --------------------------------------------------------------------------- numbers stored as text
def test_numbers_stored_as_text_are_added_up_as_numbers(data):
    census = data["census"]
    assert census.info.columns[-1].kind == "text"  # the ingest keeps the column as typed
    assert close(scalar(census, "What is the total population?"), population_of(census).sum())
    assert close(scalar(census, "average population"), population_of(census).mean())


def test_numbers_stored_as_text_compare_and_sort_as_numbers(data):
    census = data["census"]
    population = population_of(census)
    _, rows = ask(census, "Which countries have a population over 100,000,000?")
    assert {row[0] for row in rows} == set(population[population > 100_000_000].index)
    _, rows = ask(census, "countries with a population between 1000000 and 2000000")
    assert {row[0] for row in rows} == set(population[population.between(1_000_000, 2_000_000)].index)
    _, rows = ask(census, "Which country has the lowest population?")
    assert rows[0][0] == population.idxmin()
    _, rows = ask(census, "What are the 3 countries with the largest population?")
    assert [row[0] for row in rows] == list(population.nlargest(3).index)


def test_numbers_stored_as_text_grouped(data):
    census = data["census"]
    continents = census.frame.set_index("country").continent
    population = population_of(census)
    expected = population.groupby(continents[population.index]).sum().sort_values(ascending=False)
    _, rows = ask(census, "total population by continent")
    assert [row[0] for row in rows] == list(expected.index)
    assert all(close(row[1], expected[row[0]]) for row in rows)


def test_a_cell_is_shown_as_stored(data):
    census = data["census"]
    _, rows = ask(census, "What is the population of France?")
    assert rows == [[census.frame.set_index("country").population["France"]]]


# --------------------------------------------------------------------------- sort wordings
def first_column(rows: list[list]) -> list:
    return [row[0] for row in rows]


@pytest.mark.parametrize(
    ("question", "column", "descending"),
    [
        ("Sort the countries by their life expectancy in ascending order", "lifeExp", False),
        ("countries sorted descending by population", "pop", True),
        ("Show country names ordered by population from highest to lowest", "pop", True),
        ("countries by descending life expectancy", "lifeExp", True),
        ("Rank the countries by gdp per capita", "gdpPercap", True),
        ("List each country with its population, most populous first", "pop", True),
        ("countries ordered by life expectancy, highest first", "lifeExp", True),
        ("List countries and their populations in descending order of population", "pop", True),
        ("list the countries by population, smallest first", "pop", False),
    ],
)
def test_sort_wordings_order_the_rows_they_name(data, question, column, descending):
    countries = data["countries"]
    _, rows = ask(countries, question)
    expected = countries.frame.sort_values(column, ascending=not descending).country
    assert first_column(rows) == list(expected)


def test_a_bare_direction_sorts_the_measure_shown(data):
    countries = data["countries"]
    _, rows = ask(countries, "List the life expectancy of countries in descending order")
    assert first_column(rows) == sorted(countries.frame.lifeExp, reverse=True)


def test_from_lowest_to_highest_with_a_filter(data):
    countries = data["countries"]
    _, rows = ask(countries, "List countries in Europe from the lowest to the highest life expectancy")
    europe = countries.frame[countries.frame.continent == "Europe"]
    assert first_column(rows) == list(europe.sort_values("lifeExp").country)


def test_ordering_groups_by_a_measure_groups_and_shows_it(data):
    countries = data["countries"]
    _, rows = ask(countries, "Order the continents by average life expectancy")
    expected = countries.frame.groupby("continent").lifeExp.mean().sort_values()
    assert first_column(rows) == list(expected.index)
    assert all(close(row[1], expected[row[0]]) for row in rows)


# --------------------------------------------------------------------------- superlatives
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which country's life expectancy is the highest?", lambda f: f.loc[f.lifeExp.idxmax(), "country"]),
        ("the country whose population is the largest", lambda f: f.loc[f["pop"].idxmax(), "country"]),
        ("Which country is the most populous?", lambda f: f.loc[f["pop"].idxmax(), "country"]),
        ("Which country has the lowest gdp per capita?", lambda f: f.loc[f.gdpPercap.idxmin(), "country"]),
    ],
)
def test_superlative_said_after_its_column(data, question, expected):
    countries = data["countries"]
    _, rows = ask(countries, question)
    assert len(rows) == 1 and rows[0][0] == expected(countries.frame)


def test_size_adjectives_and_people(data):
    countries = data["countries"]
    frame = countries.frame
    _, rows = ask(countries, "Name the 3 largest countries")  # no area column: the population
    assert first_column(rows) == list(frame.nlargest(3, "pop").country)
    _, rows = ask(countries, "Which 5 countries have the fewest people?")
    assert first_column(rows) == list(frame.nsmallest(5, "pop").country)
    assert scalar(countries, "How many people live in Europe?") == frame[frame.continent == "Europe"]["pop"].sum()


def test_a_superlative_next_to_totals_is_the_extreme_value(data):
    countries = data["countries"]
    asia = countries.frame[countries.frame.continent == "Asia"]
    _, rows = ask(
        countries,
        "What was the largest gdp per capita among Asian countries, and how many people lived there in total?",
    )
    assert len(rows) == 1 and sorted(rows[0]) == sorted([asia["pop"].sum(), asia.gdpPercap.max()])


def test_the_group_with_the_most_distinct_members(data):
    gap = data["gapminder"]
    _, rows = ask(gap, "Which continent has the most countries?")
    assert rows == [[gap.frame.groupby("continent").country.nunique().idxmax()]]  # the label asked for
    _, rows = ask(gap, "the continent with the most countries")
    assert rows[0] == [
        gap.frame.groupby("continent").country.nunique().idxmax(),
        gap.frame.groupby("continent").country.nunique().max(),
    ]


# --------------------------------------------------------------------------- demonyms
def test_nationality_adjectives_find_their_country(data):
    gap, medals = data["gapminder"], data["medals"]
    frame = gap.frame
    assert close(
        scalar(gap, "What was the French life expectancy in 2007?"),
        frame[(frame.country == "France") & (frame.year == 2007)].lifeExp.iloc[0],
    )
    assert scalar(gap, "How many Asian countries are there?") == frame[frame.continent == "Asia"].country.nunique()
    medal_frame = medals.frame
    assert (
        scalar(medals, "How many gold medals did the Canadians win?")
        == medal_frame[medal_frame.nation == "Canada"].gold.sum()
    )
    _, rows = ask(gap, "Which non-European countries had a life expectancy over 80 in 2007?")
    latest = frame[(frame.year == 2007) & (frame.continent != "Europe") & (frame.lifeExp > 80)]
    assert {row[0] for row in rows} == set(latest.country)


def test_a_demonym_without_its_country_in_the_data_is_refused(data):
    with pytest.raises(CannotAnswer):
        ENGINE.generate("How many gold medals did the Brazilians win?", data["medals"].context())


# --------------------------------------------------------------------------- one column against another
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many days was GOOG higher than AAPL?", lambda f: (f.GOOG > f.AAPL).sum()),
        ("How many rows have AAPL greater than GOOG?", lambda f: (f.AAPL > f.GOOG).sum()),
        ("how many days was MSFT not above FB?", lambda f: (f.MSFT <= f.FB).sum()),
        ("number of days where AMZN is at least NFLX", lambda f: (f.AMZN >= f.NFLX).sum()),
    ],
)
def test_two_columns_of_the_same_row(data, question, expected):
    stocks = data["stocks"]
    assert scalar(stocks, question) == expected(stocks.frame)


def test_two_columns_listing_rows(data):
    iris = data["iris"]
    _, rows = ask(iris, "rows where petal width is less than sepal width")
    assert len(rows) == (iris.frame.petal_width < iris.frame.sepal_width).sum()


# --------------------------------------------------------------------------- differences, choices, yes or no
def in_2007(frame: pd.DataFrame, country: str, column: str) -> float:
    return float(frame[(frame.country == country) & (frame.year == 2007)][column].iloc[0])


def test_difference_between_two_named_rows(data):
    gap = data["gapminder"]
    frame = gap.frame
    generated, rows = ask(gap, "What is the difference in life expectancy between France and Germany in 2007?")
    assert rows == [[pytest.approx(abs(in_2007(frame, "France", "lifeExp") - in_2007(frame, "Germany", "lifeExp")))]]
    assert generated.chart_hint == {"type": "kpi", "x": None, "y": "difference"}
    china_minus_india = in_2007(frame, "China", "pop") - in_2007(frame, "India", "pop")
    assert scalar(gap, "How much larger was the population of China than India in 2007?") == china_minus_india
    assert scalar(gap, "How many fewer people did India have than China in 2007?") == china_minus_india


def test_difference_between_two_years_of_one_row(data):
    gap = data["gapminder"]
    france = gap.frame[gap.frame.country == "France"].set_index("year")["pop"]
    assert scalar(gap, "what was the difference in population of France between 1952 and 2007?") == abs(
        france[2007] - france[1952]
    )


def test_difference_between_extremes_and_between_columns(data):
    gap, iris = data["gapminder"], data["iris"]
    latest = gap.frame[gap.frame.year == 2007]
    assert close(
        scalar(gap, "What is the difference between the highest and lowest life expectancy in 2007?"),
        latest.lifeExp.max() - latest.lifeExp.min(),
    )
    _, rows = ask(iris, "difference between sepal length and sepal width")
    assert sorted(row[-1] for row in rows) == pytest.approx(
        sorted((iris.frame.sepal_length - iris.frame.sepal_width).abs())
    )


def test_difference_in_counted_rows(data):
    tips = data["tips"]
    frame = tips.frame
    assert (
        scalar(tips, "How many more rows are there for Saturday than Friday?")
        == (frame.day == "Sat").sum() - (frame.day == "Fri").sum()
    )


def test_which_of_two_named_rows(data):
    gap, medals = data["gapminder"], data["medals"]
    frame = gap.frame
    larger = "France" if in_2007(frame, "France", "pop") > in_2007(frame, "Germany", "pop") else "Germany"
    _, rows = ask(gap, "Which had the larger population in 2007, France or Germany?")
    assert rows == [[larger]]
    wins = medals.frame.set_index("nation").gold
    _, rows = ask(medals, "who won fewer gold medals, Canada or China?")
    assert rows == [[wins[["Canada", "China"]].idxmin()]]


@pytest.mark.parametrize(
    ("question", "truth"),
    [
        (
            "Did France have a higher life expectancy than Germany in 2007?",
            lambda f: in_2007(f, "France", "lifeExp") > in_2007(f, "Germany", "lifeExp"),
        ),
        (
            "Did Germany have fewer people than France in 2007?",
            lambda f: in_2007(f, "Germany", "pop") < in_2007(f, "France", "pop"),
        ),
        (
            "Was there any country in Oceania with a life expectancy over 80?",
            lambda f: ((f.continent == "Oceania") & (f.lifeExp > 80)).any(),
        ),
        (
            "Is there a country in Africa with a life expectancy above 80 in 2007?",
            lambda f: ((f.continent == "Africa") & (f.lifeExp > 80) & (f.year == 2007)).any(),
        ),
        (
            "Was Japan the country with the highest life expectancy in 2007?",
            lambda f: f[f.year == 2007].set_index("country").lifeExp.idxmax() == "Japan",
        ),
        (
            "Was France the country with the highest life expectancy in 2007?",
            lambda f: f[f.year == 2007].set_index("country").lifeExp.idxmax() == "France",
        ),
        (
            "Is the average life expectancy in Europe above 70?",
            lambda f: f[f.continent == "Europe"].lifeExp.mean() > 70,
        ),
        (
            "Was the average life expectancy in Africa over 60 in 2007?",
            lambda f: f[(f.continent == "Africa") & (f.year == 2007)].lifeExp.mean() > 60,
        ),
    ],
)
def test_yes_no_questions_get_one_row(data, question, truth):
    gap = data["gapminder"]
    _, rows = ask(gap, question)
    assert len(rows) == 1 and rows[0][0] == ("yes" if truth(gap.frame) else "no")
    if len(rows[0]) == 2:  # "is there any ...": how many rows match, beside the answer
        assert (rows[0][1] > 0) == (rows[0][0] == "yes")


def test_rows_sharing_a_named_rows_value(data):
    countries = data["countries"]
    frame = countries.frame.set_index("country")
    _, rows = ask(countries, "Which countries are in the same continent as France?")
    expected = set(frame[frame.continent == frame.continent["France"]].index) - {"France"}
    assert {row[0] for row in rows} == expected
    assert (
        scalar(countries, "how many countries have the same continent as Egypt?")
        == (frame.continent == frame.continent["Egypt"]).sum() - 1
    )


# --------------------------------------------------------------------------- summary rows
@pytest.fixture(scope="module")
def europe(data, tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """Europe's countries in 2007, with the spreadsheet's last line summing them up."""
    frame = _gapminder_2007()
    countries = frame[frame.continent == "Europe"][["country", "pop", "lifeExp"]]
    total = pd.DataFrame({"country": ["Total"], "pop": [countries["pop"].sum()], "lifeExp": [None]})
    return upload(pd.concat([countries, total], ignore_index=True), "europe", tmp_path_factory.mktemp("europe"))


def test_a_total_row_is_left_out(data, europe):
    countries = europe.frame[europe.frame.country != "Total"]
    _, rows = ask(europe, "Which country has the largest population?")
    assert rows[0][0] == countries.loc[countries["pop"].idxmax(), "country"]
    assert scalar(europe, "What is the total population?") == countries["pop"].sum()
    assert scalar(europe, "How many countries are there?") == len(countries)
    generated = ENGINE.generate("How many countries are there?", europe.context())
    assert any("Total" in note for note in generated.notes)


def test_the_lines_under_an_election_result_are_left_out(tmp_path_factory):
    """A constituency's result as election tables print it: a line per candidate, then the turnout
    (every vote cast) and the winner's majority, in the same columns."""
    election = plotly.data.election()
    votes = election[["Coderre", "Bergeron", "Joly"]].sum()
    frame = pd.DataFrame({"Candidate": votes.index, "Votes": votes.to_numpy()})
    lines = pd.DataFrame({"Candidate": ["Majority", "Turnout"],
                          "Votes": [votes.max() - votes.drop(votes.idxmax()).max(), votes.sum()]})
    result = upload(pd.concat([frame, lines], ignore_index=True), "result", tmp_path_factory.mktemp("result"))
    _, rows = ask(result, "which candidate has the most votes?")
    assert rows[0][0] == votes.idxmax()
    assert scalar(result, "how many votes were cast in total?") == votes.sum()


def test_a_total_row_the_question_names_is_kept(data, europe):
    _, rows = ask(europe, "What is the population of Total?")
    assert rows == [[europe.frame["pop"].iloc[-1]]]


# --------------------------------------------------------------------------- text is not a measure
def test_how_many_total_counts_what_it_names(data):
    gapminder = data["gapminder"].frame
    assert scalar(data["gapminder"], "How many total countries are there?") == gapminder.country.nunique()
    in_europe = gapminder[gapminder.continent == "Europe"].country.nunique()
    assert scalar(data["gapminder"], "how many total countries are in Europe?") == in_europe


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("What is the total of country?", "'country' holds text, not numbers"),
        ("average continent", "'continent' holds text, not numbers"),
        ("countries whose continent is between 1990 and 2000", "'continent' holds text, so it cannot be compared"),
    ],
)
def test_text_is_never_added_up_or_compared_with_numbers(data, question, says):
    with pytest.raises(CannotAnswer) as refusal:
        ENGINE.generate(question, data["gapminder"].context())
    assert says in refusal.value.detail and refusal.value.suggestions


# --------------------------------------------------------------------------- compared with a named row
def test_rows_compared_with_a_named_row(data):
    countries = data["countries"]
    frame = countries.frame.set_index("country")
    _, rows = ask(countries, "Which countries have a higher life expectancy than France?")
    assert {row[0] for row in rows} == set(frame[frame.lifeExp > frame.lifeExp["France"]].index)
    _, rows = ask(countries, "countries with a population smaller than Chad")
    assert {row[0] for row in rows} == set(frame[frame["pop"] < frame["pop"]["Chad"]].index)
    assert (
        scalar(countries, "How many countries have a larger population than Germany?")
        == (frame["pop"] > frame["pop"]["Germany"]).sum()
    )


def test_a_named_row_with_several_rows_needs_the_year(data):
    gapminder = data["gapminder"]
    frame = gapminder.frame[gapminder.frame.year == 2007].set_index("country")
    _, rows = ask(gapminder, "which countries had a higher life expectancy than France in 2007?")
    assert {row[0] for row in rows} == set(frame[frame.lifeExp > frame.lifeExp["France"]].index)
    with pytest.raises(CannotAnswer) as refusal:
        ENGINE.generate("countries with a higher life expectancy than France", gapminder.context())
    assert "'France' has several rows" in refusal.value.detail


def test_count_units_name_their_column(data, tmp_path_factory):
    """`bronze medals` is the Bronze column; `medals` alone is the Total of a medal table."""
    table = plotly.data.medals_wide().rename(columns=str.title)
    table["Total"] = table.Gold + table.Silver + table.Bronze
    games = upload(table, "games", tmp_path_factory.mktemp("games"))
    by_nation = table.set_index("Nation")
    assert scalar(games, "How many bronze medals did China win?") == by_nation.Bronze["China"]
    assert scalar(games, "how many medals did South Korea win?") == by_nation.Total["South Korea"]
    _, rows = ask(games, "which nation has the most silver medals?")
    assert rows[0][0] == by_nation.Silver.idxmax()


def test_how_many_counts_the_rows_a_column_only_describes(tmp_path_factory):
    """`parties` over `party members`: the column's last word is what it adds up (members), so
    "how many parties" counts rows; "how many party members" still adds the column up."""
    table = plotly.data.tips().rename(columns={"size": "party members"})
    parties = upload(table, "tips", tmp_path_factory.mktemp("parties"))
    assert scalar(parties, "how many parties tipped more than 5") == (table.tip > 5).sum()
    assert scalar(parties, "how many parties were smokers") == (table.smoker == "Yes").sum()
    assert scalar(parties, "how many party members were there in total") == table["party members"].sum()


def test_how_many_of_a_value_were_verbed_counts_rows(tmp_path_factory):
    """`how many WR were picked in round 3` over a draft with a Pick column: the rows with that value
    are counted; `picked` says what happened to them, it does not add the pick numbers up."""
    countries = _gapminder_2007().sort_values("gdpPercap", ascending=False).reset_index(drop=True)
    draft = pd.DataFrame({
        "Round": countries.index // 20 + 1,
        "Pick": countries.index + 5,
        "Player": countries.country,
        "Position": countries.continent,
    })
    picks = upload(draft, "draft", tmp_path_factory.mktemp("draft"))
    generated, rows = ask(picks, "how many Europe were picked in round 2?")
    assert "SUM" not in generated.sql
    assert rows == [[((draft.Round == 2) & (draft.Position == "Europe")).sum()]]


def test_a_coordinate_is_never_added_up(tmp_path_factory):
    """`how many locations` over a table with a centroid latitude counts the places (rows): a
    latitude is where a row is, not an amount."""
    table = plotly.data.carshare()
    places = upload(table, "carshare", tmp_path_factory.mktemp("carshare"))
    generated, rows = ask(places, "how many locations have more than 500 car hours")
    assert "centroid_lat" not in generated.sql
    assert rows == [[(table.car_hours > 500).sum()]]


def test_numbers_said_with_a_scale(data):
    frame = data["gapminder"].frame
    in_2007 = frame[frame.year == 2007]
    _, rows = ask(data["gapminder"], "Which countries had a population over 100 million in 2007?")
    assert {row[0] for row in rows} == set(in_2007[in_2007["pop"] > 100_000_000].country)
    _, rows = ask(data["gapminder"], "countries with gdp per capita above 30 thousand in 2007")
    assert {row[0] for row in rows} == set(in_2007[in_2007.gdpPercap > 30_000].country)


def test_named_values_with_many_rows_each_are_labelled(data):
    frame = data["gapminder"].frame
    generated, rows = ask(data["gapminder"], "compare life expectancy of France and Germany")
    assert generated.sql.startswith('SELECT "country", "lifeExp"')
    expected = frame[frame.country.isin(["France", "Germany"])][["country", "lifeExp"]]
    assert sorted(map(tuple, rows)) == sorted(expected.itertuples(index=False, name=None))


def test_values_compared_get_one_answer_each_values_listed_one_together(data):
    tips = data["tips"]
    frame = tips.frame
    weekend = frame[frame.day.isin(["Sat", "Sun"])]
    _, rows = ask(tips, "average tip for smokers vs non-smokers")
    assert {row[0]: row[1] for row in rows} == pytest.approx({
        smoker == "Yes": mean for smoker, mean in frame.groupby("smoker").tip.mean().items()
    })
    _, rows = ask(tips, "compare the average tip on Saturday and Sunday")
    assert dict(map(tuple, rows)) == pytest.approx(weekend.groupby("day").tip.mean().to_dict())
    assert close(scalar(tips, "average tip on Saturday and Sunday"), weekend.tip.mean())
    assert scalar(tips, "how many tables on Saturday or Sunday?") == len(weekend)
    assert close(scalar(tips, "total tips on Saturday and Sunday"), weekend.tip.sum())


def test_a_size_adjective_on_a_numeric_column_named_like_the_table(data):
    """In a table of tips, `the biggest tip` is the largest amount, not the largest party."""
    _, rows = ask(data["tips"], "what is the biggest tip?")
    assert rows == [[data["tips"].frame.tip.max()]]


def test_a_category_asked_for_is_listed_once(data):
    frame = data["iris"].frame
    _, rows = ask(data["iris"], "species with petal length above 5")
    assert sorted(row[0] for row in rows) == sorted(frame[frame.petal_length > 5].species.unique())


def test_a_percentage_is_compared_with_percentages_as_stored(tmp_path_factory):
    """`over 20%` compares with a column of percentages as stored (20), with one of fractions as
    0.2, and `20 percent` is the same number said in words, not a share of the rows. A column of
    other amounts (`tip`, in dollars) is no percentage: refused, not compared with 20."""
    table = plotly.data.tips()
    table["tip_pct"] = (table.tip / table.total_bill * 100).round(2)
    table["tip_share"] = (table.tip / table.total_bill).round(4)
    tipping = upload(table, "tipping", tmp_path_factory.mktemp("tipping"))
    assert scalar(tipping, "how many bills had a tip pct above 20%") == (table.tip_pct > 20).sum()
    assert scalar(tipping, "how many bills had a tip pct above 20 percent") == (table.tip_pct > 20).sum()
    generated, rows = ask(tipping, "how many bills had a tip share over 20 per cent")
    assert "0.2" in generated.sql
    assert rows == [[(table.tip_share > 0.2).sum()]]
    with pytest.raises(CannotAnswer, match="percentage"):
        ENGINE.generate("how many customers tipped over 20%", tipping.context())


def test_the_most_of_an_amount_ranks_groups_by_its_total(data):
    """`which day had the most tips`: how much was tipped on each day in all, not the average tip;
    a measure also said by a verb (`tipped the most tips`) is not a second group key."""
    frame = data["tips"].frame
    for question in ("which day had the most tips", "which day tipped the most tips"):
        generated, rows = ask(data["tips"], question)
        assert "GROUP BY \"day\" ORDER" in generated.sql
        assert rows == [[frame.groupby("day").tip.sum().idxmax()]]
    _, rows = ask(data["tips"], "which day had the highest tip on average")
    assert rows[0][0] == frame.groupby("day").tip.mean().idxmax()


def test_how_many_of_an_amount_with_cents_counts_the_rows(data):
    """`how many bills had a tip above 3` over `total_bill` (16.99, 10.34 …): amounts with cents are
    no number of things, so the bills are the rows counted; a count asked of someone still adds up."""
    frame = data["tips"].frame
    generated, rows = ask(data["tips"], "how many bills had a tip above 3")
    assert "SUM" not in generated.sql
    assert rows == [[(frame.tip > 3).sum()]]
    paid_by_women = frame[frame.sex == "Female"].total_bill.sum()
    assert close(scalar(data["tips"], "how many total bill did women pay"), paid_by_women)


def test_calendar_groups_and_peaks(data, tmp_path_factory):
    """`which month had the highest average MSFT` over weekly dates ranks months, not dates; `when
    did NFLX peak` is the date of its highest value (the verb was skipped and every value listed);
    `which peak hour has the most car hours` adds the hours up per hour of the day."""
    stocks = data["stocks"].frame.assign(date=lambda f: pd.to_datetime(f.date))
    _, rows = ask(data["stocks"], "which month had the highest average MSFT")
    best_month = stocks.groupby(stocks.date.dt.to_period("M")).MSFT.mean().idxmax()
    assert str(rows[0][0]).startswith(str(best_month))
    _, rows = ask(data["stocks"], "when did NFLX peak")
    assert str(rows[0][0]).startswith(str(stocks.loc[stocks.NFLX.idxmax(), "date"].date()))
    table = plotly.data.carshare()
    places = upload(table, "carshare", tmp_path_factory.mktemp("carshare_hours"))
    _, rows = ask(places, "which peak hour has the most car hours")
    assert rows == [[table.groupby("peak_hour").car_hours.sum().idxmax()]]


def test_a_value_that_also_names_a_number_column(data, tmp_path_factory):
    """In plotly's election, `Joly` is a column of votes and a value of `winner`. `how many votes did
    Joly get` read as a value added up the totals of the districts Joly won: refused now, naming
    both readings; `the Joly column` is the column; `districts won by Joly` stays the value; and a
    `sum of` that found nothing to add up is refused, not dropped."""
    table = plotly.data.election()
    election = upload(table, "election", tmp_path_factory.mktemp("election"))
    with pytest.raises(CannotAnswer, match="both a column of numbers"):
        ENGINE.generate("how many votes did Joly get", election.context())
    assert scalar(election, "sum of the Joly column") == table.Joly.sum()
    _, rows = ask(election, "districts won by Joly")
    assert sorted(row[0] for row in rows) == sorted(table[table.winner == "Joly"].district)
    with pytest.raises(CannotAnswer, match="sum of"):
        ENGINE.generate("sum of Saturday", data["tips"].context())


def test_a_change_between_two_years(data):
    """`how much did China's population grow between 1952 and 2007`: the later year's figure minus
    the earlier's (the earlier minus the later for `drop`), or that as a percentage of the earlier;
    with `by year` the change is the series; without two years the verb is refused, not dropped."""
    frame = data["gapminder"].frame.set_index(["country", "year"])
    china, zimbabwe = frame.loc["China"], frame.loc["Zimbabwe"]
    gapminder = data["gapminder"]
    grown = china.loc[2007, "pop"] - china.loc[1952, "pop"]
    assert scalar(gapminder, "how much did China's population grow between 1952 and 2007") == grown
    assert close(scalar(gapminder, "by what percent did China's population grow from 1952 to 2007"),
                 100 * grown / china.loc[1952, "pop"])
    dropped = zimbabwe.loc[1992, "lifeExp"] - zimbabwe.loc[2002, "lifeExp"]
    assert close(scalar(gapminder, "how much did life expectancy in Zimbabwe drop between 1992 and 2002"), dropped)
    _, rows = ask(gapminder, "did the life expectancy of Zimbabwe fall between 1992 and 2002")
    assert rows == [["yes"]]
    by_year = data["gapminder"].frame.pivot(index="country", columns="year", values="lifeExp")
    fell = by_year[2002] - by_year[2007]
    _, rows = ask(gapminder, "countries whose life expectancy dropped between 2002 and 2007")
    assert {row[0] for row in rows} == set(fell[fell > 0].index)
    _, rows = ask(gapminder, "which country's life expectancy grew the most between 1952 and 2007")
    assert rows[0][0] == (by_year[2007] - by_year[1952]).idxmax()
    generated, rows = ask(gapminder, "how did life expectancy change by year")
    assert "GROUP BY" in generated.sql and len(rows) == 12
    with pytest.raises(CannotAnswer, match="change"):
        ENGINE.generate("how much did GOOG change from the first week to the last week", data["stocks"].context())


def test_a_correlation_between_two_measures(data):
    """`correlation between tip and total bill`: Pearson's r, per group when asked (`by day and
    time`), over the rows a filter keeps; with no second number column the word is refused."""
    frame = data["tips"].frame
    assert close(scalar(data["tips"], "correlation between tip and total bill"), frame.tip.corr(frame.total_bill))
    smokers = frame[frame.smoker == "Yes"]
    assert close(scalar(data["tips"], "how correlated are tip and total bill for smokers"),
                 smokers.tip.corr(smokers.total_bill))
    _, rows = ask(data["tips"], "correlation between tip and total bill for each sex")
    expected = frame.groupby("sex")[["tip", "total_bill"]].corr().xs("tip", level=1).total_bill
    assert {row[0]: row[1] for row in rows} == pytest.approx(expected.to_dict())
    with pytest.raises(CannotAnswer, match="correlation"):
        ENGINE.generate("correlation between tip and day", data["tips"].context())


def test_a_calendar_span_after_of_names_no_column(data):
    """`which time of day has the most customers` over tips' `time` and `day`: the time of day
    (Lunch, Dinner), not every time-and-day pair."""
    frame = data["tips"].frame
    generated, rows = ask(data["tips"], "which time of the day has the most customers")
    assert '"day"' not in generated.sql
    assert rows == [[frame.time.value_counts().idxmax()]]
    _, rows = ask(data["tips"], "average tip by time of day")
    assert dict(map(tuple, rows)) == pytest.approx(frame.groupby("time").tip.mean().to_dict())
