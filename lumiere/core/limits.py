"""Limits on what a user may send, shared by the services that enforce them and the pages that
clip input to them."""

from __future__ import annotations

MAX_QUESTION_CHARS = 1000  # a question typed on the Ask page or sent to /api/ai/query
