"""The pages show only the controls the policy allows in a workspace (a viewer: no add, save, move or
delete), move a source with the same service as PATCH /api/data/source/{id}, and name who asked or
saved a workspace's entries."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import select

from lumiere.db import saved_id, session_scope
from lumiere.models import Source, User
from lumiere.services import ask, insights, sources, workspaces
from lumiere.services.auth import issue_token, register_user
from lumiere.state.auth import PERSONAL
from lumiere.state.data import DataState
from lumiere.state.data_detail import SourceDetailState
from lumiere.state.history import HistoryState
from lumiere.state.insights import InsightsState
from tests.helpers.page_state import page_state, settled


@dataclass(frozen=True)
class Team:
    workspace: int
    elsewhere: int  # a workspace the editor is not in
    shared: int  # the team's source, added by the admin
    personal: int  # the editor's personal source
    tokens: dict[str, str]


@pytest.fixture
def team(app_db) -> Team:
    with session_scope() as session:
        people = {
            role: register_user(session, email=f"{role}@example.com", password="correct horse", name=role.title())
            for role in ("admin", "editor", "viewer")
        }
        made = workspaces.create_workspace(session, people["admin"], "Team")
        for role in ("editor", "viewer"):
            workspaces.add_member(session, people["admin"], made.id, f"{role}@example.com", role)
        elsewhere = workspaces.create_workspace(session, people["viewer"], "Viewer's own")
        shared = sources.load_sample_dataset(session, people["admin"], made.id)
        personal = sources.load_sample_dataset(session, people["editor"], None)
        personal.name = "gapminder (editor's copy)"  # a workspace holds one source of a name
        tokens = {role: issue_token(person).access_token for role, person in people.items()}
        return Team(made.id, elsewhere.id, saved_id(shared), saved_id(personal), tokens)


def _page(cls, team: Team, role: str, url: str, space: int | None):
    state = page_state(cls, team.tokens[role], url)
    state.workspace_choice = str(space) if space else ""
    state._authorized_user()  # as the top bar did on the page before: the switcher knows the user's spaces
    return state


def _space_of(source_id: int) -> int | None:
    with session_scope() as session:
        source = session.get(Source, source_id)
        assert source is not None
        return source.workspace_id


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_a_viewer_gets_no_edit_controls_and_an_editor_gets_them(team: Team, role: str) -> None:
    editor = role == "editor"
    detail = _page(SourceDetailState, team, role, f"/data/{team.shared}", team.workspace)
    settled(detail.load())
    assert detail.found and detail.can_change is editor and detail.can_delete is editor
    # Nowhere else to go: the editor did not add it (no taking it back) and is in no other workspace.
    assert detail.move_options == []
    data = _page(DataState, team, role, "/data", team.workspace)
    settled(data.load())
    assert data.loaded and data.can_add is editor
    personal = _page(DataState, team, role, "/data", None)
    settled(personal.load())
    assert personal.can_add  # everyone adds to their own space


def test_moving_a_source_uses_the_policy_and_shows_refusals(team: Team) -> None:
    state = _page(SourceDetailState, team, "editor", f"/data/{team.personal}", None)
    settled(state.load())
    assert state.space == PERSONAL
    assert [(option.value, option.name) for option in state.move_options] == [
        (PERSONAL, "Personal"),
        (str(team.workspace), "Team"),
    ]
    settled(state.move_to(str(team.elsewhere)))  # a workspace the editor is not in: 404, as the REST route
    assert f"No workspace with id {team.elsewhere}" in state.move_error and _space_of(team.personal) is None
    settled(state.move_to("not an id"))
    assert state.move_error and _space_of(team.personal) is None
    settled(state.move_to(str(team.workspace)))
    assert state.move_error == "" and state.space == str(team.workspace) and _space_of(team.personal) == team.workspace
    settled(state.move_to(PERSONAL))  # whoever added it takes it back
    assert _space_of(team.personal) is None and state.space == PERSONAL

    viewer = _page(SourceDetailState, team, "viewer", f"/data/{team.shared}", team.workspace)
    settled(viewer.load())
    assert viewer.move_options == []
    settled(viewer.move_to(str(team.elsewhere)))  # the select is hidden; the service refuses anyway: 403
    assert "viewer of Team" in viewer.move_error and _space_of(team.shared) == team.workspace


def test_lists_name_who_asked_and_saved_in_a_workspace(team: Team) -> None:
    with session_scope() as session:
        for role in ("viewer", "admin"):
            user = session.exec(select(User).where(User.email == f"{role}@example.com")).one()
            answer = ask.run_sql(session, user, source_id=team.shared, sql="SELECT COUNT(*) AS n FROM gapminder")
            insight = insights.create_insight(session, user, saved_id(answer.query))
            insights.set_saved(session, user, saved_id(insight), True)
    history = _page(HistoryState, team, "admin", "/history", team.workspace)
    settled(history.load())
    assert sorted(item.asked_by for item in history.items) == ["", "Viewer"]
    saved = _page(InsightsState, team, "admin", "/insights", team.workspace)
    settled(saved.load())
    assert sorted(item.saved_by for item in saved.saved_items) == ["", "Viewer"]
