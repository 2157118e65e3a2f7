"""A public link exposes only its answer: not the SQL, not the owner, not the source's other columns
or rows, not the owner's other queries; and its token is not guessable from what the server keeps."""

from __future__ import annotations

import json

import pandas as pd

from lumiere.db import saved_id, session_scope
from lumiere.models import ShareLink, User
from lumiere.services.ask import run_sql
from tests.api.conftest import client, make_user  # noqa: F401 - the API fixtures, requested by name below
from tests.helpers.api import upload
from tests.helpers.rows import stored

SECRET_EMAIL = "ceo.private@example.com"
SECRET_NAME = "Margaret Hidden-Owner"
SQL = "SELECT region, SUM(revenue) AS revenue FROM accounts WHERE region <> 'Moon' GROUP BY region ORDER BY region"


def test_a_public_link_shows_only_the_answer(client, make_user) -> None:  # noqa: F811
    owner = make_user(email=SECRET_EMAIL, name=SECRET_NAME)
    frame = pd.DataFrame({
        "region": ["North", "South", "North", "Moon"],
        "revenue": [10.0, 20.0, 30.0, 99.0],
        "ssn": ["SSN-111-22-3333", "SSN-444-55-6666", "SSN-777-88-9999", "SSN-000-00-0000"],
        "password_hint": ["hint-alpha", "hint-beta", "hint-gamma", "hint-delta"],
    })
    source = upload(client, owner, frame, "accounts.csv")
    with session_scope() as session:
        account = stored(session, User, owner["id"])
        shared_id = saved_id(run_sql(session, account, source_id=source["id"], sql=SQL, question="Revenue by region")
                             .query)
        run_sql(session, account, source_id=source["id"], sql="SELECT ssn FROM accounts", question="Other question")
    created = client.post(f"/api/queries/{shared_id}/share", json={}, headers=owner["headers"]).json()
    response = client.get(f"/api/public/{created['token']}")
    assert response.status_code == 200
    text = response.text
    body = response.json()
    assert [column["name"] for column in body["columns"]] == ["region", "revenue"]
    assert body["rows"] == [["North", 40.0], ["South", 20.0]]
    forbidden = [
        SECRET_EMAIL, SECRET_NAME, "SELECT", "SUM(", "accounts WHERE", "ssn", "SSN-", "password_hint", "hint-",
        "Moon", "99.0", "Other question", "token_hash", "user_id", "query_id",
    ]
    for secret in forbidden:
        assert secret not in text, secret
    with session_scope() as session:
        link = session.query(ShareLink).one()
        assert created["token"] not in json.dumps(link.model_dump(), default=str)
        assert link.token_hash != created["token"] and len(link.token_hash) == 64


def test_a_token_cannot_be_guessed_from_its_prefix_or_hash(client, make_user) -> None:  # noqa: F811
    owner = make_user()
    source = upload(client, owner, pd.DataFrame({"a": [1, 2]}), "a.csv")
    with session_scope() as session:
        account = stored(session, User, owner["id"])
        answer = run_sql(session, account, source_id=source["id"], sql="SELECT a FROM a", question="a")
        query_id = saved_id(answer.query)
    token = client.post(f"/api/queries/{query_id}/share", headers=owner["headers"]).json()["token"]
    with session_scope() as session:
        link = session.query(ShareLink).one()
        prefix, digest = link.prefix, link.token_hash
    for guess in (prefix, digest, token[:-1], token + "x", token.upper() if token != token.upper() else token.lower()):
        assert client.get(f"/api/public/{guess}").status_code == 404, guess
    assert client.get(f"/api/public/{token}").status_code == 200
