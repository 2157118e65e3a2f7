"""Answers pinned to a dashboard: the user's own, or a workspace's (every member sees it; editors and
admins arrange it). A pin is drawn from its query's current rows, through the same guarded query
service as the answer itself, as its chart or, for a one-value result, as a big number."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from lumiere.charts.figure import saved_chart_payload
from lumiere.core.enums import QueryStatus
from lumiere.core.errors import Conflict, Invalid, NotFound, ServiceError
from lumiere.core.resultset import unit_affixes
from lumiere.db import saved_id
from lumiere.models import Pin, Query, User
from lumiere.models._base import iso_utc
from lumiere.services.ask import result_for_query
from lumiere.services.history import get_query
from lumiere.services.policy import Action, InSpace, authorize, visible_filter

MAX_PINS = 24  # per dashboard: each one runs its query when the dashboard opens
WIDTHS = (1, 2, 3)  # grid columns a pin spans: narrow to full width


@dataclass(frozen=True)
class PinView:
    """A pin as the dashboard and the API show it; `kind` says how it is drawn (after a refresh)."""

    id: int
    query_id: int
    question: str
    source_name: str
    position: int
    width: int
    workspace_id: int | None
    created_at: str
    kind: Literal["pending", "chart", "number", "error"] = "pending"
    figure: dict[str, Any] | None = None
    value: str = ""  # the big number, formatted
    label: str = ""  # what the number is (its column)
    error: str = ""
    notes: list[str] = field(default_factory=list)


def _get_pin(session: Session, user: User, pin_id: int, action: Action) -> Pin:
    pin = session.get(Pin, pin_id) if isinstance(pin_id, int) and not isinstance(pin_id, bool) else None
    missing = f"No pin with id {pin_id} on your dashboards."
    if pin is None:
        raise NotFound(missing)
    authorize(session, user, pin, action, missing=missing)
    return pin


def list_pins(session: Session, user: User, workspace_id: int | None = None) -> list[tuple[Pin, Query]]:
    """One dashboard's pins in order (the user's own, or a workspace's for its members), with their queries."""
    # Only answers still in the dashboard's space: one moved to another space leaves it (and its
    # question is not shown to people who may no longer see it).
    same_space = or_(
        and_(col(Pin.workspace_id).is_(None), col(Query.workspace_id).is_(None),
             col(Query.user_id) == col(Pin.user_id)),
        col(Query.workspace_id) == col(Pin.workspace_id),
    )
    rows = session.exec(
        select(Pin, Query)
        .join(Query, col(Query.id) == col(Pin.query_id))
        .where(visible_filter(session, Pin, user, workspace_id), same_space)
        .order_by(col(Pin.position), col(Pin.id))
    ).all()
    return [(pin, query) for pin, query in rows]


def may_arrange(session: Session, user: User, workspace_id: int | None) -> bool:
    """Whether the user may pin, move, resize and remove on this dashboard (a viewer only looks)."""
    try:
        authorize(session, user, InSpace(Pin, workspace_id), Action.CREATE)
    except ServiceError:
        return False
    return True


def pin_query(session: Session, user: User, query_id: int, *, width: int = 1) -> Pin:
    """Pins a successful answer to the dashboard of its space (a workspace's answer to the workspace's);
    pinning it again returns the pin already there."""
    query = get_query(session, user, query_id)
    if query.status != QueryStatus.OK:
        raise Invalid("Only an answer that ran can be pinned; fix the question or SQL and run it again.")
    _check_width(width)
    authorize(session, user, InSpace(Pin, query.workspace_id), Action.CREATE)
    same_space = visible_filter(session, Pin, user, query.workspace_id)
    existing = session.exec(select(Pin).where(same_space, col(Pin.query_id) == query.id)).first()
    if existing is not None:
        return existing
    count = session.exec(select(func.count()).select_from(Pin).where(same_space)).one()
    if count >= MAX_PINS:
        raise Conflict(f"A dashboard holds at most {MAX_PINS} pins; remove one before pinning another.")
    pin = Pin(user_id=saved_id(user), workspace_id=query.workspace_id, query_id=saved_id(query), position=count,
              width=width)
    session.add(pin)
    session.flush()
    return pin


def arrange_pin(session: Session, user: User, pin_id: int, *, position: int | None = None,
                width: int | None = None) -> Pin:
    """Moves a pin to `position` (0 first; past the end: last) and/or sets its width; the others close up."""
    pin = _get_pin(session, user, pin_id, Action.CHANGE)
    if width is not None:
        _check_width(width)
        pin.width = width
    if position is not None:
        if isinstance(position, bool) or not isinstance(position, int) or position < 0:
            raise Invalid("position is a whole number from 0 (first).", field="position")
        others = [other for other, _query in list_pins(session, user, pin.workspace_id) if other.id != pin.id]
        others.insert(min(position, len(others)), pin)
        for index, each in enumerate(others):
            each.position = index
            session.add(each)
    session.add(pin)
    session.flush()
    return pin


def unpin(session: Session, user: User, pin_id: int) -> None:
    pin = _get_pin(session, user, pin_id, Action.DELETE)
    session.delete(pin)
    session.flush()


def public_pin(pin: Pin, query: Query) -> PinView:
    return PinView(
        id=saved_id(pin), query_id=pin.query_id, question=query.question or query.sql, source_name=query.source_name,
        position=pin.position, width=pin.width, workspace_id=pin.workspace_id, created_at=iso_utc(pin.created_at),
    )


def draw_pin(session: Session, user: User, pin: Pin, query: Query) -> PinView:
    """The pin from its query's current rows: a one-value result as a number, else its chart; a query
    that no longer runs (source gone, data changed) says why instead."""
    view = public_pin(pin, query)
    try:
        _query, result = result_for_query(session, user, pin.query_id)
        if len(result.rows) == 1 and len(result.columns) == 1:
            column = result.columns[0]
            return _with(view, kind="number", value=format_value(result.rows[0][0], result.unit_of(column.name)),
                         label=column.name)
        chart = saved_chart_payload(query, result)
        return _with(view, kind="chart", figure=chart["figure"], notes=list(chart["notes"]))
    except ServiceError as error:
        return _with(view, kind="error", error=error.detail)


def refresh_pin(session: Session, user: User, pin_id: int) -> PinView:
    """One pin drawn again from the data (any member of its dashboard may look)."""
    pin = _get_pin(session, user, pin_id, Action.VIEW)
    query = get_query(session, user, pin.query_id)
    if query.workspace_id != pin.workspace_id:
        raise NotFound(f"No pin with id {pin_id} on your dashboards.")
    return draw_pin(session, user, pin, query)


def draw_dashboard(session: Session, user: User, workspace_id: int | None = None) -> list[PinView]:
    return [draw_pin(session, user, pin, query) for pin, query in list_pins(session, user, workspace_id)]


def format_value(value: Any, unit: str | None = None) -> str:
    """A single value for a big number: thousands separators, at most two decimals, its unit around it."""
    if isinstance(value, bool) or value is None:
        text = "—" if value is None else str(value)
    elif isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, float):
        text = f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    else:
        return str(value)
    prefix, suffix = unit_affixes(unit)
    return f"{prefix}{text}{suffix}"


def _with(view: PinView, **changes: Any) -> PinView:
    return PinView(**{**view.__dict__, **changes})


def _check_width(width: object) -> None:
    if width not in WIDTHS or isinstance(width, bool):
        raise Invalid("width is 1 (narrow), 2 or 3 (full width) columns.", field="width")

