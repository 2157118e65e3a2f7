"""API fixtures: a TestClient on the FastAPI app and helpers to make signed-in users."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

_counter = itertools.count(1)


@pytest.fixture
def client(app_db: str) -> TestClient:
    from lumiere.api import create_api

    return TestClient(create_api(), raise_server_exceptions=False)


@pytest.fixture
def make_user(client: TestClient) -> Callable[..., dict]:
    """Register and sign in a user; returns the user with `headers` for authenticated calls."""

    def make(email: str | None = None, password: str = "s3cret-pass", name: str = "Test User") -> dict:
        email = email or f"user{next(_counter)}@example.com"
        created = client.post("/api/auth/register", json={"email": email, "password": password, "name": name})
        assert created.status_code == 201, created.text
        login = client.post("/api/auth/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        return {**created.json(), "password": password, "token": token, "headers": {"Authorization": f"Bearer {token}"}}

    return make
