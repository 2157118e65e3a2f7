"""Pinned answers on SQLite and PostgreSQL: pinning, arranging, drawing from the data, and who may do what."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from lumiere.core.enums import QueryStatus, WorkspaceRole
from lumiere.core.errors import Forbidden, Invalid, NotFound
from lumiere.db import saved_id
from lumiere.models import Query, Source, User, WorkspaceMember
from lumiere.services import pins
from lumiere.services.ask import run_sql
from lumiere.services.workspaces import create_workspace
from tests.helpers.queries import make_query, make_user


@pytest.fixture
def owner(db_session: Session) -> User:
    user = make_user(db_session)
    db_session.commit()
    return user


@pytest.fixture
def query(db_session: Session, owner: User, tmp_path) -> Query:
    return make_query(db_session, owner, tmp_path)


def _number_query(session: Session, user: User, query: Query) -> Query:
    assert query.source_id is not None
    return run_sql(session, user, source_id=query.source_id, sql="SELECT SUM(tip) AS tips FROM tips",
                   question="Total tips").query


def test_pinning_is_idempotent_and_drawn_as_a_chart_or_a_number(db_session, owner, query) -> None:
    first = pins.pin_query(db_session, owner, saved_id(query))
    assert pins.pin_query(db_session, owner, saved_id(query)).id == first.id
    total = _number_query(db_session, owner, query)
    pins.pin_query(db_session, owner, saved_id(total), width=2)
    drawn = pins.draw_dashboard(db_session, owner)
    assert [(view.kind, view.position, view.width) for view in drawn] == [("chart", 0, 1), ("number", 1, 2)]
    assert drawn[0].figure and drawn[0].figure["data"]
    assert drawn[1].value == "731.58" and drawn[1].label == "tips"


def test_moving_keeps_positions_dense_and_widths_are_checked(db_session, owner, query, tmp_path) -> None:
    made = [pins.pin_query(db_session, owner, saved_id(query))]
    for sql in ("SELECT COUNT(*) AS n FROM tips", "SELECT sex, COUNT(*) AS n FROM tips GROUP BY sex"):
        assert query.source_id is not None
        made.append(pins.pin_query(db_session, owner, saved_id(
            run_sql(db_session, owner, source_id=query.source_id, sql=sql).query)))
    pins.arrange_pin(db_session, owner, saved_id(made[2]), position=0, width=3)
    order = [(pin.id, pin.position) for pin, _query in pins.list_pins(db_session, owner)]
    assert order == [(made[2].id, 0), (made[0].id, 1), (made[1].id, 2)]
    pins.arrange_pin(db_session, owner, saved_id(made[2]), position=99)
    assert [pin.id for pin, _query in pins.list_pins(db_session, owner)][-1] == made[2].id
    with pytest.raises(Invalid):
        pins.arrange_pin(db_session, owner, saved_id(made[0]), width=4)
    with pytest.raises(Invalid):
        pins.arrange_pin(db_session, owner, saved_id(made[0]), position=-1)
    pins.unpin(db_session, owner, saved_id(made[0]))
    assert len(pins.list_pins(db_session, owner)) == 2


def test_a_failed_query_cannot_be_pinned_and_a_gone_source_says_so(db_session, owner, query) -> None:
    failed = Query(user_id=saved_id(owner), source_id=query.source_id, sql="SELECT nope", status=QueryStatus.ERROR)
    db_session.add(failed)
    db_session.flush()
    with pytest.raises(Invalid):
        pins.pin_query(db_session, owner, saved_id(failed))
    pin = pins.pin_query(db_session, owner, saved_id(query))
    source = db_session.get(Source, query.source_id)
    db_session.delete(source)
    db_session.flush()
    view = pins.refresh_pin(db_session, owner, saved_id(pin))
    assert view.kind == "error" and "deleted" in view.error


def test_others_cannot_see_a_personal_pin_and_workspace_viewers_only_look(db_session, owner, query) -> None:
    pin = pins.pin_query(db_session, owner, saved_id(query))
    stranger = make_user(db_session)
    with pytest.raises(NotFound):
        pins.refresh_pin(db_session, stranger, saved_id(pin))
    assert pins.list_pins(db_session, stranger) == []

    workspace = create_workspace(db_session, owner, "Team")
    db_session.add(WorkspaceMember(workspace_id=workspace.id, user_id=saved_id(stranger), role=WorkspaceRole.VIEWER))
    source = db_session.get(Source, query.source_id)
    assert source is not None
    source.workspace_id = query.workspace_id = workspace.id
    db_session.add_all([source, query])
    db_session.flush()
    with pytest.raises(Forbidden):
        pins.pin_query(db_session, stranger, saved_id(query))
    shared = pins.pin_query(db_session, owner, saved_id(query))
    assert shared.workspace_id == workspace.id and shared.id != pin.id
    assert pins.refresh_pin(db_session, stranger, saved_id(shared)).kind == "chart"
    assert [each.id for each, _query in pins.list_pins(db_session, stranger, workspace.id)] == [shared.id]
    assert not pins.may_arrange(db_session, stranger, workspace.id) and pins.may_arrange(db_session, owner, None)
    with pytest.raises(Forbidden):
        pins.arrange_pin(db_session, stranger, saved_id(shared), width=2)
    with pytest.raises(Forbidden):
        pins.unpin(db_session, stranger, saved_id(shared))


def test_an_answer_moved_to_another_space_leaves_the_dashboard(db_session, owner, query) -> None:
    pin = pins.pin_query(db_session, owner, saved_id(query))
    workspace = create_workspace(db_session, owner, "Team")
    query.workspace_id = workspace.id
    db_session.add(query)
    db_session.flush()
    assert pins.list_pins(db_session, owner) == []
    with pytest.raises(NotFound):
        pins.refresh_pin(db_session, owner, saved_id(pin))
