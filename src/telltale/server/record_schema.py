"""The OpenAPI request body and answer of ``POST .../predictions``, derived from the record's fields.

Nothing is spelled here that ``PredictionRecord``'s declarations (``RECORD_FIELDS``) and
``RecordLimits`` do not already say: a field added to the record appears in the API
document with its doc and its limit.
"""

from __future__ import annotations

from typing import Any

from telltale.types import RECORD_FIELDS
from telltale.wire import DEFAULT_LIMITS, RecordLimits, WireField


def field_schema(name: str, wf: WireField, limits: RecordLimits) -> dict[str, Any]:
    """The JSON Schema of one record field."""
    kind = wf.kind
    doc = {"description": wf.doc}
    if kind == "id":
        return {"type": "string", "minLength": 1, "maxLength": wf.max_len, **doc}
    if kind == "text":
        return {"type": ["string", "null"] if name != "source" else "string", "maxLength": wf.max_len or limits.max_string_len, **doc}
    if kind == "time":
        return {"type": ["number", "null"], **doc,
                "description": f"{wf.doc}; at most {limits.max_future_s:g} s after the server's clock (milliseconds are refused)"}
    if kind == "number":
        return {"type": ["number", "null"], **doc}
    if kind == "count":
        return {"type": ["integer", "null"], "minimum": 0, **doc}
    if kind == "inputs":
        return {"type": "object", "maxProperties": limits.max_inputs, "propertyNames": {"maxLength": limits.max_name_len}, **doc}
    if kind == "json":
        return {**doc, "description": f"{wf.doc}; nested at most {limits.max_depth} levels, strings up to {limits.max_string_len} characters"}
    if kind == "text_map":
        return {"type": "object", "maxProperties": wf.max_items, "propertyNames": {"minLength": 1, "maxLength": wf.key_len},
                "additionalProperties": {"type": "string", "maxLength": wf.max_len}, **doc}
    if kind == "number_map":
        return {"type": "object", "maxProperties": wf.max_items, "additionalProperties": {"type": "number"}, **doc}
    if kind == "text_list":
        return {"type": "array", "maxItems": wf.max_items, "items": {"type": "string"}, **doc}
    return {**doc, "description": f"{wf.doc}; accepted and ignored"}


def record_schema(limits: RecordLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [n for n, wf in RECORD_FIELDS if wf.kind in ("id", "inputs")],
        "properties": {name: field_schema(name, wf, limits) for name, wf in RECORD_FIELDS},
        "description": "one prediction record; an unknown key is dropped with a warning in the answer",
    }


def batch_openapi(limits: RecordLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """``openapi_extra`` for the ingest route: the request body and the 200 answer."""
    answer = {
        "type": "object",
        "required": ["accepted", "duplicates", "errors", "warnings", "violations"],
        "properties": {
            "accepted": {"type": "integer", "description": "records newly stored"},
            "duplicates": {"type": "integer", "description": "records whose id the service had already stored"},
            "errors": {"type": "array", "items": {"type": "object", "required": ["index", "field", "reason"], "properties": {
                "index": {"type": "integer"}, "field": {"type": ["string", "null"]}, "reason": {"type": "string"}}}},
            "warnings": {"type": "array", "items": {"type": "object", "required": ["index", "key", "reason"], "properties": {
                "index": {"type": "integer"}, "key": {"type": "string"}, "reason": {"type": "string"}}}},
            "violations": {"type": "integer", "description": "contract violations found in the stored records"},
        },
    }
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["records"],
            "properties": {"records": {"type": "array", "items": record_schema(limits)}},
        }}}},
        "responses": {"200": {"description": "the batch is committed", "content": {"application/json": {"schema": answer}}}},
    }
