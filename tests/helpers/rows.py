"""Typed access to app-DB rows in tests: a row a test just stored is there, so mypy may treat it as present."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, SQLModel

Row = TypeVar("Row", bound=SQLModel)
Value = TypeVar("Value")


def present(value: Value | None) -> Value:
    """The value a test knows is set (a stored row, a parsed result); fails the test loudly if it is not."""
    assert value is not None, "expected a value, got None"
    return value


def stored(session: Session, model: type[Row], row_id: object) -> Row:
    """The row of `model` with this primary key, which the test has stored earlier."""
    return present(session.get(model, row_id))
