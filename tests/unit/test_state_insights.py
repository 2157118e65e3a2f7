"""The saved insights page's state without a browser: "Email me" queues the insight to the user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lumiere.db import saved_id, session_scope
from lumiere.jobs import EmbeddedWorker, reset_job_queues
from lumiere.services import ask, insights, sources
from lumiere.services.auth import issue_token, register_user
from lumiere.state.insights import InsightsState
from tests.helpers.page_state import page_state, settled


@pytest.fixture
def saved(app_db) -> tuple[str, int, int]:
    """A user's token, one saved insight of theirs, and another user's insight id."""
    ids = []
    for email in ("reader@example.com", "other@example.com"):
        with session_scope() as session:
            user = register_user(session, email=email, password="correct horse", name="Reader")
            source_id = saved_id(sources.load_sample_dataset(session, user))
            question = "average life expectancy by continent"
            query = ask.ask_question(session, user, source_id=source_id, question=question)
            insight = insights.create_insight(session, user, saved_id(query.query))
            insights.set_saved(session, user, saved_id(insight), True)
            ids.append((issue_token(user).access_token, saved_id(insight)))
    return ids[0][0], ids[0][1], ids[1][1]


@pytest.fixture
def worker(app_db) -> Iterator[EmbeddedWorker]:
    reset_job_queues()
    running = EmbeddedWorker()
    running.start()
    yield running
    running.stop()
    reset_job_queues()


def test_email_me_sends_the_insight_to_the_users_own_address(saved, mail_settings, worker) -> None:
    token, mine, theirs = saved
    state = page_state(InsightsState, token, "/insights")
    settled(state.load())
    shown = settled(state.email_me(str(mine)))
    assert "reader@example.com" in str(shown)
    (received,) = mail_settings.wait_for(1)
    assert received.recipients == ["reader@example.com"]
    assert "life expectancy" in received.message.get_body(("plain",)).get_content().lower()
    assert "No insight" in str(settled(state.email_me(str(theirs))))
    assert "link" in str(settled(state.email_me("abc"))).lower()
    assert len(mail_settings.messages()) == 1


def test_without_smtp_email_me_says_email_is_not_configured(saved) -> None:
    token, mine, _ = saved
    state = page_state(InsightsState, token, "/insights")
    settled(state.load())
    assert "not configured" in str(settled(state.email_me(str(mine)))).lower()
