"""/s/{token}: a shared answer for anyone with the link, no sign-in (the same service as GET /api/public/{token})."""

from __future__ import annotations

from typing import Any, get_args

import reflex as rx
from sqlmodel import Session

from lumiere.core.errors import NotFound, RateLimited, ServiceError
from lumiere.core.resultset import ColumnKind, ResultColumn
from lumiere.services import rate_limits
from lumiere.services.sharing import GONE, SharedAnswer, public_snapshot
from lumiere.state.display import short_time
from lumiere.state.result_table import ResultTableMixin
from lumiere.state.service_calls import anonymous_in_thread

LOADING, SHOWN, MISSING, LIMITED, FAILED = "loading", "shown", "missing", "limited", "failed"
COLUMN_KINDS: dict[str, ColumnKind] = {kind: kind for kind in get_args(ColumnKind)}


def _column(data: Any) -> ResultColumn:
    data = data if isinstance(data, dict) else {}
    kind = COLUMN_KINDS.get(str(data.get("kind")), "other")
    return ResultColumn(name=str(data.get("name", "")), type=str(data.get("type", "")), kind=kind,
                        unit=data.get("unit") or None)


class SharedAnswerState(ResultTableMixin, rx.State):
    """What the visitor sees; nothing here belongs to a signed-in user."""

    status: str = LOADING
    message: str = ""
    question: str = ""
    source_name: str = ""
    as_of: str = ""
    insight: str = ""
    chart_figure: dict[str, Any] = {}
    rows_note: str = ""

    @rx.var
    def has_chart(self) -> bool:
        return bool(self.chart_figure)

    def _client_address(self) -> str:
        return self.router.session.client_ip or "unknown"

    def _show(self, answer: SharedAnswer) -> None:
        self.status = SHOWN
        self.question = answer.question
        self.source_name = answer.source_name
        self.as_of = short_time(answer.ran_at)
        self.insight = answer.insight or ""
        chart = answer.chart or {}
        self.chart_figure = (chart.get("figure") or {}) if chart.get("type") not in ("table", None) else {}
        shown = len(answer.rows)
        self.rows_note = f"First {shown:,} of {answer.row_count:,} rows" if shown < answer.row_count else ""
        self._show_result([_column(column) for column in answer.columns], answer.rows, answer.row_count,
                          shown < answer.row_count, 0)

    @rx.event
    async def load(self):
        """Reads the snapshot (counted as a view), within the per-address limit of public links."""
        token = (self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1]
        self.status, self.message = LOADING, ""
        self.chart_figure = {}
        self._clear_result()
        address = self._client_address()

        def read(session: Session) -> SharedAnswer:
            rate_limits.enforce(address, rate_limits.PUBLIC_SHARE)
            return public_snapshot(session, token)

        try:
            answer = await anonymous_in_thread(read)
        except RateLimited as error:
            self.status, self.message = LIMITED, error.detail
            return
        except NotFound:
            self.status, self.message = MISSING, GONE
            return
        except ServiceError as error:
            self.status, self.message = FAILED, error.detail
            return
        self._show(answer)
