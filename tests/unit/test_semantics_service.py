"""The semantics service on both app databases: what is inferred from real data, how edits are
validated and stored (only the user's edits, all or nothing), reset, and isolation between users."""

from __future__ import annotations

import asyncio

import pandas as pd
import plotly.data
import pytest

from lumiere.core.errors import Invalid, NotFound
from lumiere.core.semantics import ValueMeaning
from lumiere.nlq.schema import split_identifier
from lumiere.services import semantics, sources
from lumiere.services.ask import build_context
from lumiere.services.auth import register_user
from lumiere.services.semantics import describe_name, infer_values, name_synonyms


@pytest.fixture
def users(db_session):
    first = register_user(db_session, email="m1@example.com", password="password-1", name="One")
    second = register_user(db_session, email="m2@example.com", password="password-2", name="Two")
    db_session.commit()
    return first, second


async def _chunks(data: bytes):
    yield data


def upload_frame(session, user, frame: pd.DataFrame, filename: str):
    data = frame.to_csv(index=False).encode()
    source = asyncio.run(sources.ingest_upload(session, user, filename=filename, chunks=_chunks(data)))
    session.commit()
    return source


@pytest.fixture
def tips(db_session, users):
    return upload_frame(db_session, users[0], plotly.data.tips(), "tips.csv")


def by_column(view: semantics.SemanticsView) -> dict[str, semantics.ColumnSemantics]:
    return {column.column: column for column in view.columns}


# --- inference -------------------------------------------------------------------------------------


def test_tips_is_prefilled_from_its_names_and_values(db_session, users, tips):
    columns = by_column(semantics.source_semantics(db_session, users[0], tips.id))
    frame = plotly.data.tips()
    assert list(columns) == list(frame.columns)
    assert not any(column.edited for column in columns.values())
    day = columns["day"]
    assert set(frame["day"].unique()) == {"Thur", "Fri", "Sat", "Sun"}
    assert {meaning.stored: meaning.words for meaning in day.values} == {
        "Thur": ("Thursday",), "Fri": ("Friday",), "Sat": ("Saturday",), "Sun": ("Sunday",)}
    # Female/Male are already everyday words: nothing to explain, and no guess about other columns.
    assert columns["sex"].values == () and columns["sex"].synonyms == ("gender",)
    assert columns["smoker"].values == () and columns["time"].values == ()
    assert columns["tip"].synonyms == ("gratuity",)
    assert columns["total_bill"].description == "Total bill"
    assert columns["size"].synonyms == ()  # "area" would be a wrong guess for a party's size
    assert columns["total_bill"].type == "DOUBLE" and all(column.unit == "" for column in columns.values())


def test_coded_pairs_and_month_abbreviations_are_read_only_when_certain(db_session, users):
    frame = pd.DataFrame({
        "gender": ["F", "M", "M", "F"],
        "initial": ["F", "M", "K", "F"],  # not exactly a pair: initials, not sexes
        "member": ["Y", "N", "Y", "Y"],
        "month": ["Jan", "Feb", "Mar", "May"],
        "person": ["Sat", "Ann", "Bob", "Sun"],  # names that happen to look like days
        "hh_size": [1, 2, 3, 4],
    })
    source = upload_frame(db_session, users[0], frame, "coded.csv")
    columns = by_column(semantics.source_semantics(db_session, users[0], source.id))
    assert {m.stored: m.words for m in columns["gender"].values} == {"F": ("female",), "M": ("male",)}
    assert columns["initial"].values == ()
    assert {m.stored: m.words for m in columns["member"].values} == {"Y": ("yes",), "N": ("no",)}
    assert {m.stored: m.words for m in columns["month"].values} == {
        "Jan": ("January",), "Feb": ("February",), "Mar": ("March",)}
    assert columns["person"].values == ()
    assert columns["hh_size"].description == ""  # `hh` is not a word we can spell out for certain


def test_value_meanings_come_from_every_distinct_value_in_the_index(db_session, users):
    """plotly's stocks dates as a month column: the profile keeps 5 top values, the index all 12."""
    dates = pd.to_datetime(plotly.data.stocks().date)
    frame = pd.DataFrame({"month": dates.dt.strftime("%b"), "weekday": dates.dt.strftime("%a"),
                          "GOOG": plotly.data.stocks().GOOG})
    source = upload_frame(db_session, users[0], frame, "stocks.csv")
    profile = {c["name"]: c for c in source.profile_json["tables"][0]["columns"]}
    assert len(profile["month"]["top_values"]) < 12  # what inference had before
    columns = by_column(semantics.source_semantics(db_session, users[0], source.id))
    months = {m.stored: m.words for m in columns["month"].values}
    expected = {short: (full,) for short, full in zip(
        ["Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
        ["January", "February", "March", "April", "June", "July", "August", "September", "October",
         "November", "December"], strict=True)}
    assert set(frame.month) == {*expected, "May"}
    assert months == expected  # "May" is already its own name: nothing to explain
    assert {m.stored: m.words for m in columns["weekday"].values} == {"Mon": ("Monday",)}
    assert columns["GOOG"].values == ()


def test_a_rare_value_the_profile_never_saw_stops_a_day_reading(db_session, users):
    """The five most frequent values look like days, but the column holds names: with every
    distinct value known, no weekday meaning is guessed."""
    names = ["Sat"] * 9 + ["Sun"] * 8 + ["Mon"] * 7 + ["Fri"] * 6 + ["Wed"] * 5 + ["Ann", "Bob"]
    frame = pd.DataFrame({"nickname": names, "score": range(len(names))})
    source = upload_frame(db_session, users[0], frame, "nicknames.csv")
    profile = next(c for c in source.profile_json["tables"][0]["columns"] if c["name"] == "nickname")
    seen = {item["value"] for item in profile["top_values"]}
    assert seen == {"Sat", "Sun", "Mon", "Fri", "Wed"}
    assert infer_values(profile) != ()  # the samples alone would have read days
    columns = by_column(semantics.source_semantics(db_session, users[0], source.id))
    assert columns["nickname"].values == ()


def test_without_the_index_the_profile_samples_are_read():
    profile = {"kind": "text", "distinct_count": 2,
               "top_values": [{"value": "F", "count": 3}, {"value": "M", "count": 2}]}
    assert {m.stored for m in infer_values(profile, None)} == {"F", "M"}
    # every distinct value known: the pair is read even if the profile's count is an estimate
    assert {m.stored for m in infer_values({"kind": "text", "distinct_count": 3}, ["F", "M"])} == {"F", "M"}
    assert infer_values({"kind": "text"}, ["F", "M", "X"]) == ()
    # a value too long for the index may be missing from its list: fall back to the samples
    long_column = {"kind": "text", "max_length": 5000, "samples": ["Jan", "Feb"]}
    assert {m.stored for m in infer_values(long_column, ["Jan", "Feb", "Mar"])} == {"Jan", "Feb"}


def test_names_are_spelled_out_from_abbreviations_and_initialisms():
    def described(name: str) -> str:
        return describe_name(split_identifier(name))

    assert described("mpg") == "Miles per gallon"
    assert "fuel economy" in name_synonyms(["mpg"])
    assert described("wt") == "Weight"
    assert described("cust_id") == "Customer ID"
    assert described("temperature_max") == "Temperature maximum"
    assert described("duration_min") == ""  # minutes or minimum: left empty
    assert described("gdpPercap") == ""
    assert infer_values({"kind": "integer", "samples": [1, 2]}) == ()


def test_units_recorded_at_ingest_are_shown(db_session, users, tips):
    tips.details_json = {**tips.details_json, "units": {"total_bill": "$", "tip": 7}}
    db_session.add(tips)
    db_session.commit()
    columns = by_column(semantics.source_semantics(db_session, users[0], tips.id))
    assert columns["total_bill"].unit == "$" and columns["tip"].unit == ""


# --- editing ---------------------------------------------------------------------------------------


def test_an_edit_is_stored_cleaned_and_wins_over_inference(db_session, users, tips):
    view = semantics.update_semantics(db_session, users[0], tips.id, {"columns": [
        {"table": "tips", "column": "total_bill", "description": "  Bill before the tip, in dollars ",
         "synonyms": ["check", " Check ", "", "amount"], "unit": " $ ",
         "values": [{"stored": " x ", "words": ["ex", "EX", " "]}, {"stored": "y", "words": [""]}]},
        {"table": "tips", "column": "day", "values": [{"stored": "Thur", "words": ["Thursday", "thu"]}]},
    ]})
    db_session.commit()
    columns = by_column(view)
    bill = columns["total_bill"]
    assert bill.edited and bill.description == "Bill before the tip, in dollars"
    assert bill.synonyms == ("check", "amount") and bill.unit == "$"
    assert bill.values == (ValueMeaning(stored="x", words=("ex",)),)
    assert columns["day"].values == (ValueMeaning(stored="Thur", words=("Thursday", "thu")),)
    assert columns["day"].description == "Day"  # fields not sent stay inferred
    db_session.refresh(tips)
    assert set(tips.semantics_json) == {"tips"} and set(tips.semantics_json["tips"]) == {"total_bill", "day"}
    assert "description" not in tips.semantics_json["tips"]["day"]  # only what the user gave is stored
    again = by_column(semantics.source_semantics(db_session, users[0], tips.id))
    assert again["total_bill"] == bill
    engine_view = semantics.semantics_for_engine(tips).column("tips", "total_bill")
    assert engine_view is not None and engine_view.unit == "$"
    assert build_context(db_session, users[0], tips).semantics.column("tips", "day") == engine_view.__class__(
        table="tips", column="day", description="Day", synonyms=(), unit="",
        values=(ValueMeaning(stored="Thur", words=("Thursday", "thu")),))


def test_reset_and_replace(db_session, users, tips):
    semantics.update_semantics(db_session, users[0], tips.id, {"columns": [
        {"table": "tips", "column": "tip", "description": "Tip", "synonyms": ["gratuity", "extra"]},
        {"table": "tips", "column": "sex", "unit": "none"}]})
    view = semantics.update_semantics(db_session, users[0], tips.id, {"columns": [
        {"table": "tips", "column": "tip", "unit": "$"}, {"table": "tips", "column": "sex", "reset": True}]})
    columns = by_column(view)
    assert columns["tip"].edited and columns["tip"].unit == "$" and columns["tip"].synonyms == ("gratuity",)
    assert not columns["sex"].edited and columns["sex"].unit == ""
    view = semantics.update_semantics(db_session, users[0], tips.id, [{"table": "tips", "column": "tip",
                                                                       "reset": True}])
    assert not any(column.edited for column in view.columns)
    db_session.refresh(tips)
    assert tips.semantics_json is None


@pytest.mark.parametrize(("change", "message"), [
    ({"table": "tips", "column": "tips_total", "unit": "$"}, "tips.tips_total. Its columns are: tips.total_bill,"),
    ({"table": "other", "column": "tip", "unit": "$"}, "no column other.tip"),
    ({"table": "tips", "column": "tip", "description": "x" * 501}, "limit is 500"),
    ({"table": "tips", "column": "tip", "synonyms": [f"s{i}" for i in range(21)]}, "at most 20"),
    ({"table": "tips", "column": "tip", "synonyms": ["x" * 61]}, "limit is 60"),
    ({"table": "tips", "column": "tip", "unit": "u" * 21}, "limit is 20"),
    ({"table": "tips", "column": "tip", "values": [{"stored": str(i), "words": ["w"]} for i in range(201)]},
     "at most 200 value meanings"),
    ({"table": "tips", "column": "tip", "values": [{"stored": "s" * 201, "words": ["w"]}]}, "limit is 200"),
    ({"table": "tips", "column": "tip", "values": [{"stored": "s", "words": ["w" * 61]}]}, "limit is 60"),
    ({"table": "tips", "column": "tip", "description": "line\nbreak"}, "control characters"),
    ({"table": "tips", "column": "tip", "synonyms": ["zero\u200bwidth"]}, "control characters"),
    ({"table": "tips", "column": "tip", "synonyms": "gratuity"}, "must be a list"),
    ({"table": "tips", "column": "tip", "description": 5}, "must be text"),
    ({"table": "tips", "column": "tip", "colour": "red"}, "Unknown field"),
    ({"table": "tips", "column": "tip", "unit": "$", "reset": True}, "not both"),
    ({"table": "tips", "column": "tip"}, "Nothing to change for tip"),
])
def test_invalid_changes_save_nothing(db_session, users, tips, change, message):
    good = {"table": "tips", "column": "day", "description": "Day of the week"}
    with pytest.raises(Invalid) as refused:
        semantics.update_semantics(db_session, users[0], tips.id, {"columns": [good, change]})
    assert refused.value.status_code == 422 and message in refused.value.detail
    db_session.rollback()
    db_session.refresh(tips)
    assert tips.semantics_json is None


def test_a_column_sent_twice_is_refused(db_session, users, tips):
    with pytest.raises(Invalid, match="appears twice"):
        semantics.update_semantics(db_session, users[0], tips.id, {"columns": [
            {"table": "tips", "column": "tip", "unit": "$"}, {"table": "tips", "column": "tip", "unit": "€"}]})


def test_another_users_source_is_not_found(db_session, users, tips):
    other = users[1]
    with pytest.raises(NotFound):
        semantics.source_semantics(db_session, other, tips.id)
    with pytest.raises(NotFound):
        semantics.update_semantics(db_session, other, tips.id, {"columns": [
            {"table": "tips", "column": "tip", "unit": "$"}]})
    db_session.refresh(tips)
    assert tips.semantics_json is None


def test_page_text_fields_parse_to_the_same_patch():
    assert semantics.parse_list_text(" tip, gratuity ,") == ["tip", "gratuity", ""]
    assert semantics.parse_values_text("Mon = Monday; F = female, woman;") == [
        {"stored": "Mon ", "words": ["Monday"]}, {"stored": " F ", "words": ["female", "woman"]}]
    with pytest.raises(Invalid, match="no `=`"):
        semantics.parse_values_text("Mon Monday")
    assert semantics.values_text((ValueMeaning("Mon", ("Monday",)), ValueMeaning("F", ("female", "woman")))) == (
        "Mon = Monday; F = female, woman")
