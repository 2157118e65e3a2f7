"""Limits on what a user may send, shared by the services that enforce them and the pages that
clip input to them."""

from __future__ import annotations

MAX_QUESTION_CHARS = 1000  # a question typed on the Ask page or sent to /api/ai/query
MAX_CHAT_MESSAGE_CHARS = 1000  # one chat message (the page's textarea and /api/chat/send)
MAX_CHAT_TITLE_CHARS = 200  # a conversation's title
