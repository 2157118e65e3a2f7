"""Signing out in the browser revokes the token on the server, not only in localStorage."""

from __future__ import annotations

import pytest
import reflex as rx
from reflex.istate.data import RouterData

from lumiere.db import session_scope
from lumiere.services.auth import issue_token, register_user, user_from_token
from lumiere.services.errors import Unauthorized
from lumiere.state.auth import AuthState


def _auth_state(token: str) -> AuthState:
    root = rx.State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data({"pathname": "/dashboard", "asPath": "/dashboard", "query": {}, "headers": {}})
    state = root.get_substate(AuthState.get_full_name().split(".")[1:])
    state.token = token
    return state


def test_logout_revokes_the_token_and_keeps_other_sessions(app_db):
    with session_scope() as session:
        user = register_user(session, email="leaving@example.com", password="password-1", name="Leaving")
        this_browser, other_browser = issue_token(user).access_token, issue_token(user).access_token
    state = _auth_state(this_browser)
    state.logout()
    assert state.token == "" and state.user_id == 0
    with session_scope() as session, pytest.raises(Unauthorized, match="signed out"):
        user_from_token(session, this_browser)
    with session_scope() as session:
        assert user_from_token(session, other_browser).email == "leaving@example.com"
    _auth_state(this_browser).logout()  # a revoked token signs out quietly
