"""`/api/openapi.json` is the whole contract: every body a route returns has a named schema, and
real responses match the published document key for key."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import pytest

from lumiere.models import User
from lumiere.services import sources
from lumiere.services.history import get_query, public_query

JSON_TYPES: dict[str, Any] = {  # Any: `isinstance` below checks the value, the code after reads it freely
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


@pytest.fixture
def document(client) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _mismatches(value: Any, schema: dict[str, Any], document: dict[str, Any], at: str = "body") -> list[str]:
    """Where `value` departs from `schema`; stricter than JSON Schema in one way: an object may only
    hold keys its schema names, unless the schema says it takes any key (additionalProperties)."""
    schema = _resolve(schema, document)
    if "anyOf" in schema:
        tries = [_mismatches(value, option, document, at) for option in schema["anyOf"]]
        return [] if any(not problems for problems in tries) else min(tries, key=len)
    problems: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{at}: {value!r} is not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        problems.append(f"{at}: {value!r} is not {schema['const']!r}")
    expected = schema.get("type")
    if expected is None:
        return problems
    is_bool = isinstance(value, bool)
    if not isinstance(value, JSON_TYPES[expected]) or (is_bool and expected in ("integer", "number")):
        return [*problems, f"{at}: {type(value).__name__} where the schema says {expected}"]
    if expected == "array":
        for index, item in enumerate(value):
            problems += _mismatches(item, schema.get("items", {}), document, f"{at}[{index}]")
    if expected == "object":
        properties = schema.get("properties", {})
        missing = set(schema.get("required", [])) - set(value)
        problems += [f"{at}: required key {key!r} is missing" for key in sorted(missing)]
        for key, item in value.items():
            if key in properties:
                problems += _mismatches(item, properties[key], document, f"{at}.{key}")
            elif not schema.get("additionalProperties") and properties:
                problems.append(f"{at}: key {key!r} is not in the schema")
    return problems


def _success_schema(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    responses = document["paths"][path][method]["responses"]
    (code,) = [code for code in responses if code.startswith("2")]
    return responses[code]["content"]["application/json"]["schema"]


def test_every_route_with_a_body_names_its_schema(document) -> None:
    with_body, files = [], []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if not code.startswith("2") or code == "204":
                    continue
                content = response.get("content", {})
                if "application/json" not in content:  # a file download names its media types instead
                    assert content and all("schema" in kind for kind in content.values()), f"{method} {path}"
                    files.append((method, path))
                    continue
                schema = content["application/json"].get("schema", {})
                assert schema.get("type") != "array", f"{method.upper()} {path}: a list is {{items, total}} (API.md)"
                resolved = _resolve(schema, document) if schema else {}
                assert "$ref" in schema and resolved.get("properties"), f"{method.upper()} {path} {code} has no schema"
                with_body.append((method, path))
    assert len(with_body) == 71
    assert sorted(files) == [("get", "/api/exports/{token}"), ("get", "/api/queries/{query_id}/export")]


def test_a_question_flow_matches_the_published_schemas(client, make_user, document) -> None:
    user = make_user()
    headers = user["headers"]
    source = client.post("/api/data/sample", headers=headers).json()
    table = source["tables"][0]["name"]
    question = {"source_id": source["id"], "question": "population by continent in 2007"}
    asked = client.post("/api/ai/query", json=question, headers=headers).json()
    written = client.post("/api/ai/sql", json={"source_id": source["id"], "sql": f"SELECT MAX(year) FROM {table}"},
                          headers=headers).json()
    explored = client.post("/api/ai/query", json={"source_id": source["id"], "question": "give me an overview"},
                           headers=headers).json()
    assert explored["exploration"], explored
    calls = [
        ("post", "/api/data/sample", client.post("/api/data/sample", headers=headers)),
        ("get", "/api/data/sources", client.get("/api/data/sources", headers=headers)),
        ("get", "/api/data/source/{source_id}", client.get(f"/api/data/source/{source['id']}", headers=headers)),
        ("get", "/api/data/source/{source_id}/preview",
         client.get(f"/api/data/source/{source['id']}/preview?limit=3", headers=headers)),
        ("get", "/api/data/source/{source_id}/profile",
         client.get(f"/api/data/source/{source['id']}/profile", headers=headers)),
        ("get", "/api/queries", client.get("/api/queries", headers=headers)),
        ("get", "/api/queries/{query_id}", client.get(f"/api/queries/{written['query_id']}", headers=headers)),
        ("post", "/api/queries/{query_id}/rerun",
         client.post(f"/api/queries/{asked['query_id']}/rerun", headers=headers)),
        ("post", "/api/ai/chart", client.post("/api/ai/chart", json={"query_id": asked["query_id"], "type": "pie"},
                                               headers=headers)),
        ("post", "/api/ai/insight",
         client.post("/api/ai/insight", json={"query_id": asked["query_id"]}, headers=headers)),
        ("get", "/api/insights", client.get("/api/insights", headers=headers)),
        ("get", "/api/data/source/{source_id}/semantics",
         client.get(f"/api/data/source/{source['id']}/semantics", headers=headers)),
        ("patch", "/api/data/source/{source_id}/semantics",
         client.patch(f"/api/data/source/{source['id']}/semantics", headers=headers, json={"columns": [
             {"table": table, "column": "pop", "unit": "people", "values": [{"stored": "x", "words": ["y"]}]}]})),
        ("get", "/api/auth/me", client.get("/api/auth/me", headers=headers)),
        ("post", "/api/queries/{query_id}/feedback",
         client.post(f"/api/queries/{asked['query_id']}/feedback", json={"verdict": "up"}, headers=headers)),
        ("get", "/api/data/source/{source_id}/examples",
         client.get(f"/api/data/source/{source['id']}/examples", headers=headers)),
    ]
    for body, path in ((asked, "/api/ai/query"), (written, "/api/ai/sql"), (explored, "/api/ai/query")):
        assert _mismatches(body, _success_schema(document, "post", path), document) == [], path
    for method, path, response in calls:
        assert response.status_code in (200, 201), (path, response.text)
        assert _mismatches(response.json(), _success_schema(document, method, path), document) == [], path
    assert written["engine"] == "user" and asked["engine"] == "builtin"


def test_the_checker_sees_a_wrong_type_a_missing_key_and_an_undeclared_one(client, make_user, document) -> None:
    me = client.get("/api/auth/me", headers=make_user()["headers"]).json()
    schema = _success_schema(document, "get", "/api/auth/me")
    assert _mismatches(me, schema, document) == []
    assert _mismatches({**me, "id": "7"}, schema, document) == ["body.id: str where the schema says integer"]
    assert _mismatches({key: me[key] for key in me if key != "plan"}, schema, document) == [
        "body: required key 'plan' is missing"
    ]
    assert _mismatches({**me, "secret": 1}, schema, document) == ["body: key 'secret' is not in the schema"]


def test_response_models_drop_nothing_the_services_send(client, make_user, db_session) -> None:
    """The models filter what they do not name: a key a service adds must be added to its schema too."""
    user = make_user()
    source_id = client.post("/api/data/sample", headers=user["headers"]).json()["id"]
    asked = client.post("/api/ai/query", json={"source_id": source_id, "question": "how many countries are there"},
                        headers=user["headers"]).json()
    account = db_session.get(User, user["id"])
    served_source = client.get(f"/api/data/source/{source_id}", headers=user["headers"]).json()
    served_query = client.get(f"/api/queries/{asked['query_id']}", headers=user["headers"]).json()
    sent_source = sources.public_source(sources.get_source(db_session, account, source_id), detail=True)
    sent_query = public_query(get_query(db_session, account, asked["query_id"]), source_exists=True)
    assert served_source == json.loads(json.dumps(sent_source))
    assert served_query == json.loads(json.dumps(asdict(sent_query)))
