"""The command palette's search on SQLite and PostgreSQL: what it finds, and never another user's things."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from lumiere import routes
from lumiere.core.errors import Invalid, NotFound
from lumiere.db import saved_id
from lumiere.models import ChatSession, Insight, Query, Source, User
from lumiere.services.palette import MAX_QUERY, PER_KIND, PaletteKind, search
from lumiere.services.workspaces import add_member, create_workspace
from tests.helpers.queries import make_user


def _things(session: Session, user: User, word: str, workspace_id: int | None = None) -> dict[str, int]:
    """One source, history entry, saved insight, unsaved insight and chat, all named with `word`."""
    owner = saved_id(user)
    source = Source(user_id=owner, workspace_id=workspace_id, name=f"{word} sales", kind="csv")
    session.add(source)
    session.flush()
    query = Query(user_id=owner, workspace_id=workspace_id, source_id=source.id, source_name=source.name,
                  question=f"Total {word} by region", sql="SELECT 1")
    session.add(query)
    session.flush()
    saved = Insight(user_id=owner, workspace_id=workspace_id, query_id=saved_id(query), text=f"{word} grew", saved=True)
    unsaved = Insight(user_id=owner, workspace_id=workspace_id, query_id=saved_id(query), text=f"{word} draft")
    chat = ChatSession(user_id=owner, workspace_id=workspace_id, source_id=source.id, title=f"About {word}")
    session.add_all([saved, unsaved, chat])
    session.commit()
    return {"source": source.id, "query": query.id, "chat": chat.id}  # type: ignore[dict-item]


def test_finds_each_kind_with_where_enter_goes_and_skips_unsaved_insights(db_session: Session) -> None:
    ann = make_user(db_session)
    ids = _things(db_session, ann, "Mango")
    found = search(db_session, ann, None, "  MANGO ")
    assert [(item.kind, item.label, item.url) for item in found] == [
        (PaletteKind.SOURCE, "Mango sales", routes.source_url(ids["source"])),
        (PaletteKind.INSIGHT, "Mango grew", routes.query_url(ids["query"])),
        (PaletteKind.HISTORY, "Total Mango by region", routes.query_url(ids["query"])),
        (PaletteKind.CHAT, "About Mango", routes.chat_url(ids["chat"])),
    ]
    assert found[2].detail == "History · Mango sales"


def test_pages_match_their_words_and_admin_pages_only_for_admins(db_session: Session) -> None:
    ann = make_user(db_session)
    ann.role = "user"  # the first account is an admin
    assert [item.url for item in search(db_session, ann, None, "upload")] == [routes.UPLOAD.path]
    assert [item.label for item in search(db_session, ann, None, "hist")] == ["History"]
    assert [item.url for item in search(db_session, ann, None, "shortcuts")] == [routes.HELP.path]
    assert routes.ADMIN.path not in {item.url for item in search(db_session, ann, None, "")}
    ann.role = "admin"
    assert routes.ADMIN.path in {item.url for item in search(db_session, ann, None, "admin")}


def test_another_users_things_never_appear(db_session: Session) -> None:
    ann, bob = make_user(db_session), make_user(db_session)
    _things(db_session, ann, "Mango")
    _things(db_session, bob, "Mango")
    _things(db_session, bob, "Papaya")
    mine = search(db_session, ann, None, "")
    assert not [item for item in mine if "Papaya" in item.label]
    assert len([item for item in search(db_session, ann, None, "mango") if item.kind == PaletteKind.SOURCE]) == 1
    assert search(db_session, ann, None, "papaya") == []


def test_a_workspace_shows_its_own_things_to_members_only(db_session: Session) -> None:
    ann, bob, eve = make_user(db_session), make_user(db_session), make_user(db_session)
    space = create_workspace(db_session, ann, "Team")
    add_member(db_session, ann, space.id, bob.email, "viewer")
    db_session.commit()
    _things(db_session, ann, "Kiwi", workspace_id=space.id)
    _things(db_session, bob, "Lime")  # bob's personal things stay out of the workspace
    in_space = {item.label for item in search(db_session, bob, space.id, "")}
    assert {"Kiwi sales", "About Kiwi"} <= in_space and "Lime sales" not in in_space
    assert "Kiwi sales" not in {item.label for item in search(db_session, bob, None, "")}
    with pytest.raises(NotFound):
        search(db_session, eve, space.id, "kiwi")


def test_wildcards_are_text_and_the_lists_are_bounded(db_session: Session) -> None:
    ann = make_user(db_session)
    for number in range(PER_KIND + 2):
        _things(db_session, ann, f"Fig{number}")
    assert [item for item in search(db_session, ann, None, "%") if item.kind != PaletteKind.PAGE] == []
    assert [item for item in search(db_session, ann, None, "_") if item.kind != PaletteKind.PAGE] == []
    sources = [item for item in search(db_session, ann, None, "fig") if item.kind == PaletteKind.SOURCE]
    assert len(sources) == PER_KIND and sources[0].label == f"Fig{PER_KIND + 1} sales"  # newest first
    with pytest.raises(Invalid):
        search(db_session, ann, None, "x" * (MAX_QUERY + 1))
