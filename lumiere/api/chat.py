"""/api/chat: conversations about a source, whose follow-ups refine the previous answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query as QueryParam
from fastapi import Response
from pydantic import Field

from lumiere.api.deps import AskingUser, CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import (
    ChatExchangeOut,
    ChatMessageList,
    ChatSessionList,
    ChatSessionOut,
    IdPath,
    StrictModel,
    WorkspaceParam,
)
from lumiere.core.limits import MAX_CHAT_TITLE_CHARS
from lumiere.services import chat
from lumiere.services.chat import ChatExchange, ChatMessageView, ChatSessionView

router = Router(prefix="/api/chat", tags=["chat"])


class SendIn(StrictModel):
    session_id: int | None = Field(
        default=None, ge=1, le=2**53, description="The conversation to continue; leave out to start one"
    )
    source_id: int = Field(ge=1, le=2**53)
    message: str = Field(max_length=5000, description="1 to 1000 characters")


class RenameIn(StrictModel):
    title: str = Field(max_length=MAX_CHAT_TITLE_CHARS * 5, description="1 to 200 characters")


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such conversation or source (or not yours)"},
    422: {"description": "An empty or too long message, or a source other than the conversation's"},
}


@router.post("/send", response_model=ChatExchangeOut, responses=ERRORS)
def send(body: SendIn, user: AskingUser, session: DbSession) -> ChatExchange:
    return chat.send_message(
        session, user, source_id=body.source_id, message=body.message, session_id=body.session_id
    )


@router.get("/sessions", response_model=ChatSessionList)
def sessions(
    user: CurrentUser,
    session: DbSession,
    search: Annotated[str, QueryParam(max_length=MAX_CHAT_TITLE_CHARS)] = "",
    workspace_id: WorkspaceParam = None,
) -> dict[str, Any]:
    """One space's conversations, most recently active first; `{items, total}` like every list of the API."""
    items: list[ChatSessionView] = chat.list_sessions(session, user, search=search, workspace_id=workspace_id)
    return {"items": items, "total": len(items)}


@router.get("/history", response_model=ChatMessageList, responses=ERRORS)
def history(
    session_id: Annotated[int, QueryParam(ge=1, le=2**53)], user: CurrentUser, session: DbSession
) -> dict[str, Any]:
    """Oldest first."""
    items: list[ChatMessageView] = chat.history(session, user, session_id)
    return {"items": items, "total": len(items)}


@router.patch("/session/{session_id}", response_model=ChatSessionOut, responses=ERRORS)
def rename(session_id: IdPath, body: RenameIn, user: CurrentUser, session: DbSession) -> ChatSessionView:
    return chat.rename(session, user, session_id, body.title)


@router.delete("/session/{session_id}", status_code=204, responses=ERRORS)
def delete(session_id: IdPath, user: CurrentUser, session: DbSession) -> Response:
    chat.delete(session, user, session_id)
    return Response(status_code=204)
