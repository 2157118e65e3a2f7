"""/api/settings/llm: the user's own OpenAI-compatible LLM (key, base URL, model) and its test.

The key goes in and never comes out: responses say `has_key` only. PUT changes the fields it is
given; DELETE forgets the key with its base URL and model (back to the server's LLM); POST
/test makes one tiny real request with the saved settings and reports `{ok, detail}` (200 either
way: a failed test is an answer, not an error).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import Response

from lumiere.api.deps import CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas_settings import LlmSettingsIn, LlmSettingsOut, LlmTestOut
from lumiere.services.llm_keys import check_llm_connection, clear_user_llm_key, llm_settings, update_llm_settings

router = Router(prefix="/api/settings", tags=["settings"])


@router.get("/llm", response_model=LlmSettingsOut)
def get_llm(user: CurrentUser) -> dict[str, Any]:
    return asdict(llm_settings(user))


@router.put("/llm", response_model=LlmSettingsOut)
def put_llm(body: LlmSettingsIn, user: CurrentUser, session: DbSession) -> dict[str, Any]:
    view = update_llm_settings(session, user, api_key=body.api_key, base_url=body.base_url, model=body.model)
    return asdict(view)


@router.delete("/llm", status_code=204, response_class=Response)
def delete_llm(user: CurrentUser, session: DbSession) -> Response:
    clear_user_llm_key(session, user)
    return Response(status_code=204)


@router.post("/llm/test", response_model=LlmTestOut)
def test_llm(user: CurrentUser, session: DbSession) -> dict[str, Any]:
    return asdict(check_llm_connection(session, user))
