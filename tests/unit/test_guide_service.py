"""The dashboard's "Getting started" guide on SQLite and PostgreSQL: each step ticked from the user's
own data, and closing it is remembered on the account until the user menu brings it back."""

from __future__ import annotations

from sqlmodel import Session

from lumiere.core.enums import ChatRole
from lumiere.db import saved_id
from lumiere.models import ChatMessage, ChatSession, User
from lumiere.services.dashboard import getting_started, set_guide_dismissed
from lumiere.services.insights import create_insight, set_saved
from lumiere.services.sharing import create_share
from tests.helpers.queries import make_query, make_user


def _done(session: Session, user: User) -> dict[str, bool]:
    return {step.key: step.done for step in getting_started(session, user).steps}


def test_each_step_is_ticked_by_what_the_user_made(db_session, tmp_path) -> None:
    user = make_user(db_session)
    assert _done(db_session, user) == dict.fromkeys(("data", "ask", "insight", "chat", "share"), False)
    query = make_query(db_session, user, tmp_path)
    assert _done(db_session, user) == {"data": True, "ask": True, "insight": False, "chat": False, "share": False}

    insight = create_insight(db_session, user, saved_id(query))
    assert not _done(db_session, user)["insight"]  # written, not yet saved
    set_saved(db_session, user, saved_id(insight), True)
    assert _done(db_session, user)["insight"]

    chat = ChatSession(user_id=saved_id(user), title="tips")
    db_session.add(chat)
    db_session.flush()
    db_session.add_all([ChatMessage(session_id=saved_id(chat), role=ChatRole.USER, text="tips by day"),
                        ChatMessage(session_id=saved_id(chat), role=ChatRole.ASSISTANT, text="here")])
    db_session.flush()
    assert not _done(db_session, user)["chat"]  # one question is not a follow-up yet
    db_session.add(ChatMessage(session_id=saved_id(chat), role=ChatRole.USER, text="only on Sunday"))
    db_session.flush()
    assert _done(db_session, user)["chat"]

    create_share(db_session, user, saved_id(query))
    guide = getting_started(db_session, user)
    assert guide.complete and not guide.dismissed

    other = make_user(db_session)  # someone else's steps tick nothing for them
    assert not any(_done(db_session, other).values())


def test_closing_the_guide_is_remembered_and_can_be_undone(db_session) -> None:
    user = make_user(db_session)
    assert set_guide_dismissed(db_session, user, True).dismissed
    db_session.commit()
    reread = db_session.get(User, user.id)
    assert reread is not None and getting_started(db_session, reread).dismissed
    assert not set_guide_dismissed(db_session, reread, False).dismissed
