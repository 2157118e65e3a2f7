"""Charts of stored queries: the chart functions that read or save a query, and the LLM call
behind a chart proposal. Choosing, validating and drawing live in the pure `lumiere.charts`."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from lumiere.charts import THEMES, ChartSpec, chart_payload, choose_chart, fitting_spec, validate_override
from lumiere.charts.choice import chart_title
from lumiere.charts.overrides import OVERRIDE_FIELDS
from lumiere.charts.proposal import CHART_SYSTEM_PROMPT, proposal_request, spec_from_proposal
from lumiere.core.errors import Invalid, ServiceError
from lumiere.core.resultset import ResultSet
from lumiere.llm.client import LlmClient
from lumiere.llm.prompts import as_data, render_prompt
from lumiere.models import User
from lumiere.services.ask import result_for_query
from lumiere.services.llm_access import llm_client
from lumiere.services.policy import Action, may


def propose_chart(
    result: ResultSet, *, question: str, client: LlmClient, user_id: int | None = None
) -> ChartSpec | None:
    """The LLM's chart for this result, validated exactly like a user's override; None on any failure
    (unreachable, malformed, or a chart this result cannot have), so the caller falls back to `choose_chart`."""
    request = proposal_request(result, question)
    if request is None:
        return None
    prompt = render_prompt(
        "chart_generation_prompt",
        chart_types=request.chart_types,
        question=as_data(request.question),
        columns=as_data(request.columns),
        sample_rows=as_data(request.sample_rows),
    )
    try:
        spec = client.complete_json(
            purpose="chart",
            system=CHART_SYSTEM_PROMPT,
            prompt=prompt,
            user_id=user_id,
            validate=lambda answer: spec_from_proposal(result, answer),
        )
    except ServiceError:
        return None
    spec.title = chart_title(question, spec)
    return spec


def chart_for_query(
    session: Session, user: User, query_id: int, *, override: dict[str, Any] | None = None, theme: str = "light"
) -> dict[str, Any]:
    """The chart of a query the user may see, re-drawn from its current rows.

    An override ({type, x, y, color, title}, any subset) is validated and saved on the query so
    re-runs keep it; columns left out keep the current choice where it fits the type. Without
    one, the saved choice is reused while it still fits the result; else the LLM (when configured)
    or the result's shape picks one, and that is saved.
    """
    if theme not in THEMES:
        raise Invalid(f"theme must be one of: {', '.join(THEMES)}.", field="theme")
    wanted = {key: value for key, value in (override or {}).items() if key in OVERRIDE_FIELDS and value is not None}
    query, result = result_for_query(session, user, query_id)
    saved = fitting_spec(query.chart_json, result)
    if wanted:
        current = saved or choose_chart(result, question=query.question)
        chart_type, title = wanted.get("type", current.type), wanted.get("title")
        asked = {key: wanted.get(key) for key in ("x", "y", "color")}
        try:  # columns not given stay as they are, when they fit the new type
            kept = {key: asked[key] if key in wanted else getattr(current, key) for key in asked}
            spec = validate_override(result, type=chart_type, **kept, title=title)
        except Invalid:
            spec = validate_override(result, type=chart_type, **asked, title=title)
        if not (isinstance(title, str) and title.strip()):
            spec.title = chart_title(query.question, spec)
    elif saved is not None:
        spec = saved
    else:
        spec = _proposed(session, result, query.question, user) or choose_chart(result, question=query.question)
    # Kept for re-runs when the user may change the query (a workspace viewer redraws someone else's without saving).
    payload = chart_payload(spec, result, theme=theme)  # drawn before the write: a write holds the database's lock
    if query.chart_json != spec.to_dict() and may(session, user, query, Action.CHANGE):
        query.chart_json = spec.to_dict()
        session.add(query)
        session.flush()
    return payload


def _proposed(session: Session, result: ResultSet, question: str, user: User) -> ChartSpec | None:
    client = llm_client(session, user)
    if client is None:
        return None
    return propose_chart(result, question=question, client=client, user_id=user.id)

