"""Thumbs up / thumbs down on an answer, and what Lumiere learns from it.

Up on an answer that ran stores its (question, SQL) pair for the source; down forgets the pair
that came from it; down with a corrected SQL runs that SQL the way /api/ai/sql does and, when it
runs, stores it as the question's pair in place of the old one. Kept apart from `examples` because
a correction runs through `ask`, which itself reads the stored pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from lumiere.core.enums import ExampleOrigin, Feedback, QueryStatus
from lumiere.core.errors import Invalid, NotFound
from lumiere.models import Query, QueryExample, User
from lumiere.services import examples
from lumiere.services.ask import Answer, run_sql
from lumiere.services.history import get_query, live_source_ids
from lumiere.services.policy import Action


@dataclass(frozen=True)
class FeedbackResult:
    query: Query  # the history entry the verdict is on, with its `feedback` set
    corrected: Answer | None = None  # the corrected SQL's answer (a new history entry), when one was given
    example: QueryExample | None = None  # the pair stored for the question, if one was


def parse_verdict(verdict: object) -> Feedback:
    if isinstance(verdict, str) and verdict.strip().lower() in tuple(Feedback):
        return Feedback(verdict.strip().lower())
    raise Invalid("verdict must be 'up' (the answer is right) or 'down' (it is wrong).", field="verdict")


def record_feedback(
    session: Session, user: User, query_id: int, verdict: object, corrected_sql: object = None
) -> FeedbackResult:
    """Stores the user's verdict on one of their history entries (another user's entry is a 404)."""
    query = get_query(session, user, query_id, Action.CHANGE)
    judged = parse_verdict(verdict)
    if corrected_sql is not None and not (isinstance(corrected_sql, str) and corrected_sql.strip()):
        raise Invalid("The corrected SQL is empty; write the SELECT that answers the question, or leave it out.",
                      field="sql")
    if judged == Feedback.UP:
        return _thumbs_up(session, user, query, corrected_sql)
    if corrected_sql is None:
        examples.forget(session, user, query)
        return FeedbackResult(query=_judged(session, query, Feedback.DOWN))
    return _correct(session, user, query, str(corrected_sql))


def _thumbs_up(session: Session, user: User, query: Query, corrected_sql: object) -> FeedbackResult:
    if corrected_sql is not None:
        raise Invalid("A corrected SQL goes with a thumbs down ('down'); a thumbs up keeps the SQL as it is.",
                      field="sql")
    if query.status != QueryStatus.OK:
        raise Invalid("Only an answer that ran can be marked right; this one failed. "
                      "Give a thumbs down with a corrected SQL instead.", field="verdict")
    example = None
    if query.question.strip() and query.sql.strip() and query.source_id in live_source_ids(session, user):
        origin = ExampleOrigin.CONFIRMED
        if examples.is_recalled_answer(query):  # the pair it reused keeps saying how it was taught
            reused = examples.pair_for_query(session, user, query)
            origin = ExampleOrigin(reused.origin) if reused is not None else origin
        try:
            example = examples.remember(session, user, query, query.sql, origin)
        except Invalid:
            example = None  # too long to key: the verdict is kept, nothing is learned
    return FeedbackResult(query=_judged(session, query, Feedback.UP), example=example)


def _correct(session: Session, user: User, query: Query, sql: str) -> FeedbackResult:
    """Runs the corrected SQL as /api/ai/sql does (a failure is recorded and raised, the verdict is not kept)."""
    if query.source_id is None or query.source_id not in live_source_ids(session, user):
        raise NotFound(f"The data source '{query.source_name}' of this query was deleted, so a correction cannot run.")
    stale = examples.pairs_from(session, user, query)
    answer = run_sql(
        session,
        user,
        source_id=query.source_id,
        sql=sql,
        question=query.question,
        learn_as=ExampleOrigin.CORRECTED,
    )
    example = examples.pair_for_query(session, user, answer.query) if query.question.strip() else None
    for pair in stale:  # a correction with the same key replaced its pair in place; others go
        if example is None or pair.id != example.id:
            session.delete(pair)
    return FeedbackResult(query=_judged(session, query, Feedback.DOWN), corrected=answer, example=example)


def _judged(session: Session, query: Query, verdict: Feedback) -> Query:
    query.feedback = verdict
    session.add(query)
    session.flush()
    return query
