"""Column names in words, from the SQL's select expressions or the names themselves."""

from __future__ import annotations

import pytest

from lumiere.core.labels import column_labels, words


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("avg_price", "Average price"),
        ("lifeExp", "Life expectancy"),
        ("gdpPercap", "GDP per capita"),
        ("total_bill", "Total bill"),
        ("n_orders", "Number of orders"),
        ("order_id", "Order ID"),
        ("sepal_length", "Sepal length"),
        ("GOOG", "GOOG"),
        ("count_star()", "count_star()"),
        ("", ""),
    ],
)
def test_names_read_as_words(name: str, label: str) -> None:
    assert words(name) == label


def test_select_expressions_name_the_columns() -> None:
    sql = (
        "SELECT region, AVG(price) AS avg_price, COUNT(*) AS n, COUNT(*) AS orders, SUM(x) AS revenue, "
        "ROUND(AVG(lifeExp), 1) AS avg_life, COUNT(DISTINCT city) AS n_city, SUM(total_bill) FROM t GROUP BY 1"
    )
    names = ["region", "avg_price", "n", "orders", "revenue", "avg_life", "n_city", "sum(total_bill)"]
    assert column_labels(sql, names) == {
        "region": "Region",
        "avg_price": "Average price",
        "n": "Number of rows",
        "orders": "Orders",  # an alias in its own words is kept
        "revenue": "Revenue",
        "avg_life": "Average life expectancy",
        "n_city": "Number of distinct city",
        "sum(total_bill)": "Total bill",  # unnamed expressions match by position
    }


def test_unreadable_sql_falls_back_to_the_names() -> None:
    assert column_labels("SELEC nonsense ((", ["avg_price"]) == {"avg_price": "Average price"}
    assert column_labels("", ["maxTemp"]) == {"maxTemp": "Highest temp"}
