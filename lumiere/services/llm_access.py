"""Which LLM a request may use: the user's own key, else the server's while the plan's monthly
LLM budget lasts. Every service that would call an LLM asks here first."""

from __future__ import annotations

from sqlmodel import Session

from lumiere.llm.client import LlmClient, client_for_user
from lumiere.models import User
from lumiere.services.llm_keys import check_user_llm_host
from lumiere.services.usage import llm_budget_note


def llm_client(session: Session, user: User, notes: list[str] | None = None) -> LlmClient | None:
    """The client to use, or None for the built-in engine; when the budget is why, `notes` says so.
    A user's own base URL whose host resolves to a refused address is a 400 that says what to change."""
    client = client_for_user(user)
    if client is None or user.llm_api_key_encrypted:
        check_user_llm_host(user)
        return client
    note = llm_budget_note(session, user)
    if note is None:
        return client
    if notes is not None:
        notes.append(note)
    return None
