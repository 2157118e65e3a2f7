"""Learning from corrections: question keys, reuse with other values on real data, corrections, the guard, isolation."""

from __future__ import annotations

import pandas as pd
import plotly.data
import pytest
from sqlmodel import select

from lumiere.core.engine import CannotAnswer
from lumiere.core.enums import Engine, ExampleOrigin, Feedback
from lumiere.core.errors import Invalid, NotFound
from lumiere.db import saved_id
from lumiere.models import Query, QueryExample
from lumiere.services import examples, feedback
from lumiere.services.ask import ask_question, run_sql
from lumiere.services.examples import SlotKind, question_key, sql_literals
from lumiere.services.history import few_shot_examples
from lumiere.services.sqlguard import SqlRefused
from tests.helpers.queries import make_user, upload_frame

POPULATION_SQL = """SELECT SUM("pop") AS total_population FROM gapminder
WHERE "continent" = 'Asia' AND "year" = 2007"""
AVERAGE_SQL = """SELECT AVG("pop") AS average_population FROM gapminder
WHERE "continent" = 'Asia' AND "year" = 2007"""


def _population(continent: str, year: int, how: str = "sum") -> float:
    frame = plotly.data.gapminder()
    chosen = frame[(frame.continent == continent) & (frame.year == year)]["pop"]
    return float(chosen.sum() if how == "sum" else chosen.mean())


@pytest.fixture
def gapminder(db_session, tmp_path):
    user = make_user(db_session)
    source = upload_frame(db_session, user, plotly.data.gapminder(), "gapminder.csv", tmp_path)
    db_session.commit()
    return user, source


def _pairs(session) -> list[QueryExample]:
    return list(session.exec(select(QueryExample)))


# --- keys ----------------------------------------------------------------------------------------


def test_values_of_the_sql_become_typed_slots_so_other_values_share_the_key() -> None:
    literals = sql_literals("SELECT SUM(sales) FROM t WHERE region = 'Europe' AND year = 2020", "duckdb")
    assert literals == ["Europe", 2020]
    first = question_key("Sales in Europe in 2020?", literals)
    second = question_key("  sales in   ASIA in 2021 ", ["Asia", 2021])
    assert first.key == second.key == "sales in ⟨text⟩ in ⟨number⟩"
    assert [(slot.kind, slot.value, slot.literal) for slot in first.slots] == [
        (SlotKind.TEXT, "Europe", "Europe"),
        (SlotKind.NUMBER, "2020", 2020),
    ]


def test_quoted_text_and_numbers_are_slots_even_when_the_sql_does_not_use_them() -> None:
    key = question_key("Top 5 countries by 'gdp' in 2,007", [5])
    assert key.key == "top ⟨number⟩ countries by ⟨text⟩ in ⟨number⟩"
    assert [slot.literal for slot in key.slots] == [5, None, None]
    assert question_key("men's tips on Sun", ["Sun"]).key == "men's tips on ⟨text⟩"  # an apostrophe is no quote


# --- remembering and reusing on real data ------------------------------------------------------


def test_a_confirmed_question_answers_the_same_question_with_other_values(db_session, gapminder) -> None:
    user, source = gapminder
    asked = ask_question(db_session, user, source_id=saved_id(source), question="total population in Asia in 2007")
    assert asked.query.engine == Engine.BUILTIN and asked.result.rows == [[pytest.approx(_population("Asia", 2007))]]
    assert not _pairs(db_session)
    result = feedback.record_feedback(db_session, user, saved_id(asked.query), "up")
    assert result.query.feedback == Feedback.UP
    assert result.example is not None and result.example.origin == ExampleOrigin.CONFIRMED
    assert result.example.question_key == "total population in ⟨text⟩ in ⟨number⟩"

    answer = ask_question(db_session, user, source_id=saved_id(source), question="Total population in Europe in 1997?")

    assert answer.query.engine == Engine.USER
    assert answer.explanation.startswith("Reused the SQL you confirmed for “total population in Asia in 2007”")
    assert "Europe in place of Asia" in answer.explanation and "1997 in place of 2007" in answer.explanation
    assert answer.result.rows == [[pytest.approx(_population("Europe", 1997))]]
    assert "'Europe'" in answer.query.sql and "1997" in answer.query.sql and "Asia" not in answer.query.sql


def test_a_new_text_value_must_be_stored_in_the_data(db_session, gapminder) -> None:
    user, source = gapminder
    run_sql(db_session, user, source_id=saved_id(source), sql=POPULATION_SQL,
            question="total population in Asia in 2007")
    assert examples.recall(db_session, user, source, "total population in Atlantis in 1997") is None
    assert examples.recall(db_session, user, source, "total population in 1997 in 1997") is None  # no number for text
    lower = examples.recall(db_session, user, source, "total population in europe in 1952")
    assert lower is not None and "'Europe'" in lower.sql  # the value exactly as stored


def test_an_edited_sql_is_remembered_and_a_correction_replaces_the_pair(db_session, gapminder) -> None:
    user, source = gapminder
    edited = run_sql(db_session, user, source_id=saved_id(source), sql=POPULATION_SQL,
                     question="population in Asia in 2007")
    (pair,) = _pairs(db_session)
    assert pair.origin == ExampleOrigin.EDITED and pair.query_id == edited.query.id

    result = feedback.record_feedback(db_session, user, saved_id(edited.query), "down", AVERAGE_SQL)

    assert result.query.feedback == Feedback.DOWN and result.corrected is not None
    (pair,) = _pairs(db_session)
    assert pair.origin == ExampleOrigin.CORRECTED and "AVG" in pair.sql.upper()
    again = ask_question(db_session, user, source_id=saved_id(source), question="population in Oceania in 1952")
    assert again.explanation.startswith("Reused the SQL you corrected for “population in Asia in 2007”")
    assert again.result.rows == [[pytest.approx(_population("Oceania", 1952, "mean"))]]


def test_a_thumbs_down_forgets_the_pair_and_the_engine_answers_again(db_session, gapminder) -> None:
    user, source = gapminder
    edited = run_sql(db_session, user, source_id=saved_id(source), sql=POPULATION_SQL,
                     question="population in Asia in 2007")
    reused = ask_question(db_session, user, source_id=saved_id(source), question="population in Africa in 2002")
    assert reused.query.engine == Engine.USER
    feedback.record_feedback(db_session, user, saved_id(reused.query), "down")  # the reused answer was wrong
    assert not _pairs(db_session)
    assert db_session.get(Query, edited.query.id) is not None  # history stays
    try:
        answer = ask_question(db_session, user, source_id=saved_id(source), question="population in Asia in 2007")
    except CannotAnswer:
        return
    assert answer.query.engine == Engine.BUILTIN


def test_sql_the_guard_refuses_is_never_stored(db_session, gapminder) -> None:
    user, source = gapminder
    asked = run_sql(db_session, user, source_id=saved_id(source), sql=POPULATION_SQL,
                    question="population in Asia in 2007", learn_as=None)
    with pytest.raises(SqlRefused):
        examples.remember(db_session, user, asked.query, "DELETE FROM gapminder", ExampleOrigin.CORRECTED)
    with pytest.raises(SqlRefused):
        examples.remember(db_session, user, asked.query, "SELECT * FROM read_csv('/etc/passwd')",
                          ExampleOrigin.CORRECTED)
    with pytest.raises(SqlRefused):
        feedback.record_feedback(db_session, user, saved_id(asked.query), "down", "DROP TABLE gapminder")
    db_session.rollback()
    assert not _pairs(db_session)
    assert db_session.get(Query, asked.query.id).feedback is None


def test_bad_verdicts_and_misplaced_sql_are_refused(db_session, gapminder) -> None:
    user, source = gapminder
    asked = run_sql(db_session, user, source_id=saved_id(source), sql=POPULATION_SQL, question="p in Asia in 2007")
    for verdict in ("sideways", "", None, 1):
        with pytest.raises(Invalid, match="verdict must be"):
            feedback.record_feedback(db_session, user, saved_id(asked.query), verdict)
    with pytest.raises(Invalid, match="thumbs down"):
        feedback.record_feedback(db_session, user, saved_id(asked.query), "up", POPULATION_SQL)
    with pytest.raises(Invalid, match="empty"):
        feedback.record_feedback(db_session, user, saved_id(asked.query), "down", "  ")


def test_another_users_pairs_queries_and_sources_stay_theirs(db_session, gapminder, tmp_path) -> None:
    owner, source = gapminder
    asked = run_sql(db_session, owner, source_id=saved_id(source), sql=POPULATION_SQL,
                    question="total population in Asia in 2007")
    stranger = make_user(db_session)
    theirs = upload_frame(db_session, stranger, plotly.data.gapminder(), "gapminder.csv", tmp_path)

    assert examples.recall(db_session, stranger, theirs, "total population in Asia in 2007") is None
    with pytest.raises(NotFound):
        feedback.record_feedback(db_session, stranger, saved_id(asked.query), "up")
    with pytest.raises(NotFound):
        examples.list_examples(db_session, stranger, saved_id(source))
    (pair,) = _pairs(db_session)
    with pytest.raises(NotFound):
        examples.delete_example(db_session, stranger, saved_id(source), saved_id(pair))
    with pytest.raises(NotFound):
        examples.delete_example(db_session, stranger, saved_id(theirs), saved_id(pair))
    with pytest.raises(NotFound):
        examples.remember(db_session, stranger, asked.query, POPULATION_SQL, ExampleOrigin.CONFIRMED)
    items, total = examples.list_examples(db_session, owner, saved_id(source))
    assert total == 1 and items[0].question == "total population in Asia in 2007"
    examples.delete_example(db_session, owner, saved_id(source), items[0].id)
    assert not _pairs(db_session)


def test_stored_pairs_come_first_among_the_llms_examples(db_session, gapminder) -> None:
    user, source = gapminder
    for year in (1952, 1957, 1962):
        run_sql(db_session, user, source_id=saved_id(source), sql=POPULATION_SQL.replace("2007", str(year)),
                question=f"plain history question {year}", learn_as=None)
    # history entries of origin 'sql' are not few-shot examples; a stored pair is, and comes first
    db_session.add(Query(user_id=saved_id(user), source_id=saved_id(source), question="rows per year",
                         sql='SELECT "year", COUNT(*) FROM gapminder GROUP BY 1'))
    db_session.flush()
    run_sql(db_session, user, source_id=saved_id(source), sql=POPULATION_SQL,
            question="total population in Asia in 2007")
    shots = few_shot_examples(db_session, user, saved_id(source))
    assert [shot.question for shot in shots] == ["total population in Asia in 2007", "rows per year"]


def test_the_same_question_reuses_its_sql_as_is(db_session, gapminder) -> None:
    user, source = gapminder
    sql = 'SELECT "country", "lifeExp" FROM gapminder WHERE "year" = 2007 ORDER BY "lifeExp" DESC LIMIT 3'
    run_sql(db_session, user, source_id=saved_id(source), sql=sql, question="Top 3 life expectancy in 2007")
    answer = ask_question(db_session, user, source_id=saved_id(source), question="top 5 life expectancy in 1952")
    frame = plotly.data.gapminder()
    expected = frame[frame.year == 1952].nlargest(5, "lifeExp")[["country", "lifeExp"]]
    assert [row[0] for row in answer.result.rows] == list(expected.country)
    assert pd.Series([row[1] for row in answer.result.rows]).tolist() == pytest.approx(list(expected.lifeExp))


def _prompt_section(prompt: str, name: str) -> str:
    return prompt.split(f'<data name="{name}">\n', 1)[1].split("\n</data>", 1)[0]


def test_with_an_llm_a_taught_question_skips_the_model_and_taught_pairs_lead_its_examples(
    db_session, gapminder, fake_llm
) -> None:
    user, source = gapminder
    fake_llm.reply_json({"sql": POPULATION_SQL, "explanation": "Asia's population in 2007."})
    first = ask_question(db_session, user, source_id=saved_id(source), question="total population in Asia in 2007")
    db_session.commit()  # the LLM client records its calls in its own session
    assert first.query.engine == Engine.LLM
    feedback.record_feedback(db_session, user, saved_id(first.query), "up")
    db_session.commit()

    again = ask_question(db_session, user, source_id=saved_id(source), question="total population in Africa in 1982")
    db_session.commit()
    assert again.query.engine == Engine.USER and len(fake_llm.chat_requests) == 1  # the model was not asked
    assert again.result.rows == [[pytest.approx(_population("Africa", 1982))]]

    fake_llm.reply_json({"sql": 'SELECT COUNT(*) AS n FROM gapminder', "explanation": "Rows."})
    ask_question(db_session, user, source_id=saved_id(source), question="how many rows")
    db_session.commit()
    shown = _prompt_section(fake_llm.chat_requests[-1].messages[1]["content"], "examples")
    assert shown.index("total population in Asia in 2007") < shown.index("total population in Africa in 1982")


def test_a_value_with_a_quote_is_a_literal_and_injected_text_is_never_reused(db_session, gapminder) -> None:
    user, source = gapminder
    sql = """SELECT "pop" FROM gapminder WHERE "country" = 'Kenya' AND "year" = 2007"""
    run_sql(db_session, user, source_id=saved_id(source), sql=sql, question="population of Kenya in 2007")

    quoted = ask_question(db_session, user, source_id=saved_id(source), question="population of Cote d'Ivoire in 1962")
    frame = plotly.data.gapminder()
    expected = frame[(frame.country == "Cote d'Ivoire") & (frame.year == 1962)]["pop"].tolist()
    assert quoted.query.engine == Engine.USER and [row[0] for row in quoted.result.rows] == expected
    for attack in ("population of Kenya' OR '1'='1 in 2007", "population of Kenya'; DROP TABLE gapminder; -- in 2007"):
        assert examples.recall(db_session, user, source, attack) is None
