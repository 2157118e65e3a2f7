"""Sources and queries made through the REST API, for API and security tests."""

from __future__ import annotations

import pandas as pd
import plotly.data
from fastapi.testclient import TestClient

from lumiere.db import saved_id, session_scope
from lumiere.models import User
from lumiere.services.ask import run_sql
from tests.helpers.rows import stored

TIPS_BY_DAY_AND_TIME = 'SELECT "day", "time", SUM(tip) AS tips, COUNT(*) AS n FROM tips GROUP BY ALL'


def upload(client: TestClient, user: dict, frame: pd.DataFrame, filename: str) -> dict:
    response = client.post(
        "/api/data/upload",
        files={"file": (filename, frame.to_csv(index=False).encode(), "text/csv")},
        headers=user["headers"],
    )
    assert response.status_code == 201, response.text
    return response.json()


def make_query(client: TestClient, user: dict, sql: str = TIPS_BY_DAY_AND_TIME, question: str = "Tips by day") -> int:
    """A real source uploaded through the API, and a query on it recorded by the ask service."""
    source = upload(client, user, plotly.data.tips(), "tips.csv")
    with session_scope() as session:
        account = stored(session, User, user["id"])
        return saved_id(run_sql(session, account, source_id=source["id"], sql=sql, question=question).query)
