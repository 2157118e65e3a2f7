"""Users, uploaded sources and recorded queries made through the services, for service tests."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import plotly.data
from sqlmodel import Session

from lumiere.models import Query, User
from lumiere.services.ask import run_sql
from lumiere.services.auth import register_user
from lumiere.services.ingest import StagedUpload
from lumiere.services.sources import register_upload

_emails = itertools.count(1)
TIPS_BY_DAY = 'SELECT "day", SUM(tip) AS tips FROM tips GROUP BY "day"'


def make_user(session: Session) -> User:
    return register_user(session, email=f"insight{next(_emails)}@example.com", password="password-1", name="Ann")


def upload_frame(session: Session, user: User, frame: pd.DataFrame, filename: str, folder: Path):
    """A CSV source ingested by the real upload path."""
    path = folder / f"{next(_emails)}-{filename}"
    frame.to_csv(path, index=False)
    staged = StagedUpload(path=path, filename=filename, size_bytes=path.stat().st_size, encoding="utf-8")
    return register_upload(session, user, staged)


def make_query(
    session: Session, user: User, folder: Path, sql: str = TIPS_BY_DAY, question: str = "Tips by day"
) -> Query:
    source = upload_frame(session, user, plotly.data.tips(), "tips.csv", folder)
    query = run_sql(session, user, source_id=source.id, sql=sql, question=question).query
    session.commit()  # the LLM client records its calls in its own session
    return query
