"""The OpenAPI document as the server really answers.

FastAPI documents only 200 and its own 422 shape. Every ``/v1`` route here can also
answer 400, 401, 403, 404, 408, 413, 415, 429 and 503, and its 422 carries ``detail``
as a message (most routes) or as FastAPI's list of validation errors (a malformed query
parameter); all are documented with one :data:`ERROR` schema, and the bearer token as
the security scheme. Ingestion's records are documented field by field but validated by
the server record by record, so a bad record is an entry of ``errors`` in a 200 answer,
not a refusal of the batch: the schema says so instead of promising a 422.
"""

from __future__ import annotations

import copy
from typing import Any

ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"anyOf": [
            {"type": "string"},
            {"type": "array", "items": {"type": "object", "properties": {
                "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                "msg": {"type": "string"}, "type": {"type": "string"},
            }}},
        ]},
        "problems": {"type": "array", "items": {"type": "object"}, "description": "a spec's problems, by line and key"},
    },
}

_WHY = {
    "400": "The body is malformed (a bad Content-Length, corrupt gzip).",
    "401": "No bearer token, or one unknown, revoked or expired.",
    "403": "The token's scope does not cover this request, or a limit of the project is reached.",
    "404": "The service is not registered in the token's project.",
    "408": "The request body did not arrive in time.",
    "413": "The body (or the spec, or the inflated body) is over its size limit.",
    "415": "The body's Content-Encoding is not gzip, deflate or identity.",
    "422": "The request is not valid: `detail` says what, where and the limit.",
    "429": "The token is over its rate limit; retry after `Retry-After` seconds.",
    "503": "The server is at capacity or its store is down; retry after `Retry-After` seconds.",
}
_RETRY = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "string"}}}


def documented_openapi(app: Any) -> dict[str, Any]:
    if app.openapi_schema:
        cached: dict[str, Any] = app.openapi_schema
        return cached
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(title=app.title, version=app.version, routes=app.routes)
    components = doc.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer",
                                                "description": "a token from `telltale token create` (or the one `telltale serve` printed)"}}
    for path, ops in doc.get("paths", {}).items():
        for method, op in ops.items():
            if not path.startswith("/v1/"):
                continue
            op["security"] = [{"bearer": []}]
            responses = op.setdefault("responses", {})
            for status, why in _WHY.items():
                entry: dict[str, Any] = {"description": why, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                if status in ("429", "503"):
                    entry["headers"] = _RETRY
                responses[status] = entry
            if method == "post" and path.endswith("/predictions"):
                _records_per_record(op)
            if method == "put" and path.endswith("/spec"):
                op["requestBody"] = _SPEC_BODY
    _tighten(doc)
    doc.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
    doc["components"]["schemas"].pop("ValidationError", None)
    app.openapi_schema = doc
    return doc


def _tighten(doc: dict[str, Any]) -> None:
    """Bounds the routes enforce in code, written into the schema: a control mode is one
    of the known modes; a findings window is at least a minute."""
    from telltale.control import MODES

    body = doc["components"]["schemas"].get("ControlBody")
    if body is not None:
        body["properties"]["mode"]["enum"] = sorted(MODES)
    for ops in doc.get("paths", {}).values():
        for op in ops.values():
            for param in op.get("parameters", []):
                if param.get("name") == "window" and param.get("in") == "query":
                    param["schema"]["minimum"] = 60


def _records_per_record(op: dict[str, Any]) -> None:
    """Records are checked one by one (errors in the 200 answer): keep their fields as
    documentation, without promising that a batch with a bad record is refused."""
    try:
        body = op["requestBody"]["content"]["application/json"]["schema"]
        items = body["properties"]["records"]["items"]
    except (KeyError, TypeError):
        return
    fields = copy.deepcopy(items.get("properties", {}))
    body["properties"]["records"]["items"] = {
        "description": "a record: `id` and `inputs` required; each bad record is reported in `errors` (index, field, reason) and the rest are stored",
        "x-record-fields": fields,
    }


_SPEC_BODY = {
    "required": True,
    "content": {
        "application/yaml": {"schema": {"type": "string", "description": "the text of a telltale.yaml"}},
        "application/json": {"schema": {"type": "object", "description": "a spec as JSON (service, owner, inputs, ...)"}},
    },
}
