"""The "Meaning of columns" form's state without a browser: shown rows, saving only changed
columns through the semantics service, errors shown inline with nothing saved, reset."""

from __future__ import annotations

from lumiere.db import saved_id, session_scope
from lumiere.models import Source
from lumiere.services import semantics, sources
from lumiere.services.auth import issue_token, register_user
from lumiere.state.data_detail import SourceDetailState
from tests.helpers.page_state import page_state, settled
from tests.helpers.rows import present, stored


def _owner_with_sample():
    with session_scope() as session:
        user = register_user(session, email="meanings@example.com", password="correct horse", name="M")
        source_id = saved_id(sources.load_sample_dataset(session, user))
        view = semantics.source_semantics(session, user, source_id)
        session.expunge(user)
    return user, source_id, view


def _form(state, **changes: str) -> dict[str, str]:
    """What the browser submits: every field as shown, with some changed ("pop.unit" -> unit-<key>)."""
    form = {}
    for row in state.meaning_rows:
        for name in ("description", "synonyms", "unit", "value_text"):
            form[f"{name}-{row.key}"] = changes.get(f"{row.column}.{name}", getattr(row, name))
    return form


def test_saving_changes_only_the_edited_columns_and_reset_undoes_it(app_db):
    user, source_id, view = _owner_with_sample()
    state = page_state(SourceDetailState, issue_token(user).access_token, f"/data/{source_id}")
    settled(state.load())
    state._show_meanings(view)
    rows = {row.column: row for row in state.meaning_rows}
    assert rows["pop"].description == "Population" and not rows["pop"].edited

    settled(state.save_meanings(_form(state, **{"pop.unit": "people", "pop.synonyms": "inhabitants, headcount",
                                                "continent.value_text": "Americas = America, the Americas"})))
    assert state.meanings_error == ""
    rows = {row.column: row for row in state.meaning_rows}
    assert rows["pop"].edited and rows["pop"].unit == "people" and rows["pop"].synonyms == "inhabitants, headcount"
    assert rows["continent"].value_text == "Americas = America, the Americas"
    assert not rows["year"].edited
    with session_scope() as session:
        edits = present(stored(session, Source, source_id).semantics_json)
    assert set(edits["gapminder"]) == {"pop", "continent"}

    settled(state.reset_meaning(rows["pop"].key))
    assert not {row.column: row for row in state.meaning_rows}["pop"].edited


def test_a_bad_field_is_shown_and_nothing_is_saved(app_db):
    user, source_id, view = _owner_with_sample()
    state = page_state(SourceDetailState, issue_token(user).access_token, f"/data/{source_id}")
    settled(state.load())
    state._show_meanings(view)
    settled(state.save_meanings(_form(state, **{"pop.unit": "people", "year.value_text": "1952 means first"})))
    assert "as `stored = words`" in state.meanings_error and "of year" in state.meanings_error
    settled(state.save_meanings(_form(state, **{"pop.unit": "people", "country.description": "x" * 600})))
    assert "limit is 500" in state.meanings_error
    with session_scope() as session:
        assert stored(session, Source, source_id).semantics_json is None
    assert not any(row.edited for row in state.meaning_rows)
