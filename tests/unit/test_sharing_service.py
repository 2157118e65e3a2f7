"""Share links on real sources, on SQLite and PostgreSQL: the token is random and stored only as its
hash, the snapshot holds only the answer, expiry, revoking, view counts and the share_links limit."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from lumiere.config import get_settings
from lumiere.core.enums import QueryStatus, UsageMetric
from lumiere.core.errors import Invalid, LimitReached, NotFound
from lumiere.db import saved_id
from lumiere.models import Plan, Query, ShareLink, User
from lumiere.services import sharing, usage
from lumiere.services.ask import run_sql
from lumiere.services.insights import create_insight, set_saved
from lumiere.services.sharing import create_share, list_shares, public_snapshot, revoke_share, revoke_share_by_id
from tests.helpers.queries import make_query, make_user, upload_frame


@pytest.fixture
def owner(db_session: Session) -> User:
    user = make_user(db_session)
    db_session.commit()
    return user


@pytest.fixture
def query(db_session: Session, owner: User, tmp_path) -> Query:
    return make_query(db_session, owner, tmp_path)


def _link(session: Session, share_id: int) -> ShareLink:
    link = session.get(ShareLink, share_id)
    assert link is not None
    return link


def test_the_token_is_long_random_and_stored_only_as_its_hash(db_session, owner, query) -> None:
    made = [create_share(db_session, owner, saved_id(query)) for _ in range(3)]
    assert len({share.token for share in made}) == 3
    for share in made:
        assert len(share.token) >= 43  # 32 random bytes, URL-safe base64: 256 bits
        assert share.url == f"{get_settings().public_url}/s/{share.token}"
        link = _link(db_session, share.id)
        assert link.token_hash == hashlib.sha256(share.token.encode()).hexdigest()
        assert link.prefix == share.token[:8]
        stored = json.dumps(
            {key: str(value) for key, value in link.model_dump().items()}, default=str
        )
        assert share.token not in stored  # the row never holds the token itself


def test_the_snapshot_holds_only_the_answer(db_session, owner, query) -> None:
    share = create_share(db_session, owner, saved_id(query))
    shown = public_snapshot(db_session, share.token)
    assert shown.question == "Tips by day" and shown.source_name == "tips.csv"
    assert [column["name"] for column in shown.columns] == ["day", "tips"]
    assert shown.row_count == len(shown.rows) == 4
    assert shown.chart is not None and shown.chart["figure"]["data"]
    assert shown.insight and "Tips by day" in shown.insight  # composed from the facts (no insight saved)
    stored = json.dumps(_link(db_session, share.id).snapshot_json)
    for secret in (query.sql, "SELECT", "SUM(tip)", owner.email, owner.name, "total_bill", "smoker"):
        assert secret not in stored, secret


def test_a_saved_insight_is_the_snapshots_insight(db_session, owner, query) -> None:
    insight = create_insight(db_session, owner, saved_id(query))
    set_saved(db_session, owner, saved_id(insight), True)
    insight.text = "**Saturday** tips the most."
    db_session.add(insight)
    db_session.flush()
    share = create_share(db_session, owner, saved_id(query))
    assert public_snapshot(db_session, share.token).insight == "**Saturday** tips the most."


def test_the_snapshot_does_not_follow_the_data_and_keeps_the_first_rows(db_session, owner, tmp_path) -> None:
    frame = pd.DataFrame({"n": range(1500), "label": [f"row {i}" for i in range(1500)]})

    source = upload_frame(db_session, owner, frame, "numbers.csv", tmp_path)
    many = run_sql(db_session, owner, source_id=source.id, sql="SELECT n, label FROM numbers ORDER BY n",
                   question="every number").query
    share = create_share(db_session, owner, saved_id(many))
    shown = public_snapshot(db_session, share.token)
    assert len(shown.rows) == sharing.SNAPSHOT_ROWS and shown.row_count == 1500
    assert shown.rows[0] == [0, "row 0"]


def test_a_failed_or_foreign_query_cannot_be_shared(db_session, owner, query) -> None:
    stranger = make_user(db_session)
    with pytest.raises(NotFound):
        create_share(db_session, stranger, saved_id(query))
    with pytest.raises(NotFound):
        list_shares(db_session, stranger, saved_id(query))
    query.status = QueryStatus.ERROR
    db_session.add(query)
    db_session.flush()
    with pytest.raises(Invalid) as failed:
        create_share(db_session, owner, saved_id(query))
    assert failed.value.extra["field"] == "query_id"


@pytest.mark.parametrize("days", [0, 366, -3, 1.5, "7", True])
def test_expiry_is_1_to_365_days(db_session, owner, query, days) -> None:
    with pytest.raises(Invalid) as bad:
        create_share(db_session, owner, saved_id(query), days)
    assert bad.value.extra["field"] == "expires_in_days"


def test_an_expired_link_is_gone_and_stops_counting(db_session, owner, query) -> None:
    share = create_share(db_session, owner, saved_id(query), 1)
    assert share.expires_at is not None
    ends = datetime.fromisoformat(share.expires_at)
    assert timedelta(hours=23) < ends - datetime.now(UTC) <= timedelta(days=1)
    assert usage.current_used(db_session, saved_id(owner), UsageMetric.SHARE_LINKS) == 1
    past = datetime.now(UTC) - timedelta(seconds=1)
    db_session.execute(update(ShareLink).where(col(ShareLink.id) == share.id).values(expires_at=past))
    with pytest.raises(NotFound) as gone:
        public_snapshot(db_session, share.token)
    assert gone.value.detail == "This link has expired or was revoked."
    assert list_shares(db_session, owner)[0].expired is True
    create_share(db_session, owner, saved_id(query))  # the next link removes the expired one
    assert [view.expired for view in list_shares(db_session, owner)] == [False]
    assert usage.current_used(db_session, saved_id(owner), UsageMetric.SHARE_LINKS) == 1


def test_views_are_counted_and_revoking_works_at_once_by_token_or_id(db_session, owner, query) -> None:
    first = create_share(db_session, owner, saved_id(query))
    second = create_share(db_session, owner, saved_id(query))
    for _ in range(3):
        public_snapshot(db_session, first.token)
    db_session.expire_all()
    views = {view.id: view for view in list_shares(db_session, owner, saved_id(query))}
    assert views[first.id].view_count == 3 and views[first.id].last_viewed_at
    assert views[second.id].view_count == 0 and views[second.id].last_viewed_at is None
    stranger = make_user(db_session)
    with pytest.raises(NotFound):
        revoke_share(db_session, stranger, first.token)
    with pytest.raises(NotFound):
        revoke_share_by_id(db_session, stranger, second.id)
    revoke_share(db_session, owner, first.token)
    revoke_share_by_id(db_session, owner, second.id)
    for share in (first, second):
        with pytest.raises(NotFound):
            public_snapshot(db_session, share.token)
    assert db_session.exec(select(ShareLink)).all() == []
    assert usage.current_used(db_session, saved_id(owner), UsageMetric.SHARE_LINKS) == 0


def test_the_share_links_limit_and_its_give_back(db_session, owner, query) -> None:
    db_session.execute(update(Plan).where(col(Plan.name) == "free").values(share_links=2))
    made = [create_share(db_session, owner, saved_id(query)) for _ in range(2)]
    with pytest.raises(LimitReached) as over:
        create_share(db_session, owner, saved_id(query))
    assert over.value.status_code == 402 and over.value.extra["limit"] == 2 and over.value.extra["used"] == 2
    revoke_share(db_session, owner, made[0].token)
    assert usage.current_used(db_session, saved_id(owner), UsageMetric.SHARE_LINKS) == 1
    create_share(db_session, owner, saved_id(query))


def test_an_unknown_or_absurd_token_is_a_404(db_session) -> None:
    for token in ("", "nope", "x" * 5000):
        with pytest.raises(NotFound):
            public_snapshot(db_session, token)
