"""Turn an ingestion body into records, answering each malformed one by index and field.

Python's ``json`` accepts ``NaN`` and ``Infinity``, which are not JSON; they are caught
here per record (not per body) so one bad value never costs the good records beside it.
Everything a record must carry is checked with a message naming the field and the fix.
Nothing here imports the web framework: it is plain data in, plain data out.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from telltale.store.schema import MAX_ID_LEN
from telltale.types import PredictionRecord

_OPTIONAL_NUMBERS = ("confidence", "latency_ms", "cost", "event_ts")
#: Most input fields one record may carry, and the longest name: beyond these a record
#: is more likely a mistake (or an attack on the profile's size) than a model's input.
MAX_INPUTS = 1000
MAX_NAME_LEN = 200
_OPTIONAL_STRINGS = {"model_version": 128, "segment": 200}


@dataclass(frozen=True, slots=True)
class RecordError:
    """Why the record at ``index`` was not stored; ``field`` is a dotted path or None."""

    index: int
    field: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "reason": self.reason}


class BodyError(ValueError):
    """The body as a whole is unusable (not JSON, no ``records`` list)."""


class _NonFinite:
    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token


def parse_body(body: bytes) -> list[Any]:
    """The raw ``records`` list of ``{"records": [...]}``; BodyError when the shape is wrong."""
    try:
        doc = json.loads(body, parse_constant=_NonFinite)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BodyError(f"the body is not valid JSON ({e}); send {{\"records\": [{{...}}, ...]}}") from None
    if not isinstance(doc, dict) or "records" not in doc:
        raise BodyError("the body must be a JSON object with a \"records\" list: {\"records\": [{...}, ...]}")
    records = doc["records"]
    if not isinstance(records, list):
        raise BodyError(f"\"records\" must be a list, got {_json_type(records)}")
    return records


def parse_record(raw: Any, index: int, service: str, now: float) -> PredictionRecord | RecordError:
    """One record, or the first reason it cannot be stored."""
    if not isinstance(raw, dict):
        return RecordError(index, None, f"a record must be a JSON object, got {_json_type(raw)}")
    bad = _first_nonfinite(raw, "")
    if bad is not None:
        path, token = bad
        return RecordError(index, path, f"{token} is not a valid JSON number; send null for a missing value")

    rid = raw.get("id")
    if rid is None:
        return RecordError(index, "id", "is missing; every record needs a unique string id so a replay is stored once")
    if not _clean_str(rid, MAX_ID_LEN):
        return RecordError(index, "id", f"must be a non-empty string of at most {MAX_ID_LEN} characters (no NUL), got {_json_type(rid)}")

    svc = raw.get("service", service)
    if svc != service:
        return RecordError(index, "service", f"is {svc!r} but the URL names service {service!r}; post it to /v1/services/{svc}/predictions")

    ts = raw.get("ts", now)
    if not _is_number(ts):
        return RecordError(index, "ts", f"must be a number of epoch seconds, got {_json_type(ts)}")

    inputs = raw.get("inputs")
    if not isinstance(inputs, dict):
        what = "is missing" if inputs is None else f"must be an object of field values, got {_json_type(inputs)}"
        return RecordError(index, "inputs", what)
    if len(inputs) > MAX_INPUTS:
        return RecordError(index, "inputs", f"has {len(inputs)} fields; the most is {MAX_INPUTS}")
    for name in inputs:
        if not _clean_str(name, MAX_NAME_LEN):
            return RecordError(index, "inputs", f"field name {_json_type(name)} is empty, longer than {MAX_NAME_LEN} characters or not text")

    for key in _OPTIONAL_NUMBERS:
        v = raw.get(key)
        if v is not None and not _is_number(v):
            return RecordError(index, key, f"must be a number or null, got {_json_type(v)}")
    for key, limit in _OPTIONAL_STRINGS.items():
        v = raw.get(key)
        if v is not None and not _clean_str(v, limit, allow_empty=True):
            return RecordError(index, key, f"must be a string of at most {limit} characters or null, got {_json_type(v)}")
    source = raw.get("source", "model")
    if not _clean_str(source, 32):
        return RecordError(index, "source", f"must be a short string such as \"model\" or \"rules\", got {_json_type(source)}")

    components = raw.get("components") or {}
    if not isinstance(components, dict) or not all(isinstance(v, str) for v in components.values()):
        return RecordError(index, "components", "must be an object of component name to version string")
    stages = raw.get("stages") or {}
    if not isinstance(stages, dict) or not all(_is_number(v) for v in stages.values()):
        return RecordError(index, "stages", "must be an object of stage name to milliseconds")
    reasons = raw.get("reasons") or []
    if not isinstance(reasons, list) or not all(isinstance(v, str) for v in reasons):
        return RecordError(index, "reasons", "must be a list of strings")

    return PredictionRecord(
        id=rid,
        service=service,
        ts=float(ts),
        inputs=inputs,
        output=raw.get("output"),
        confidence=_float_or_none(raw.get("confidence")),
        source=source,
        model_version=raw.get("model_version"),
        components=components,
        latency_ms=_float_or_none(raw.get("latency_ms")),
        stages={k: float(v) for k, v in stages.items()},
        cost=_float_or_none(raw.get("cost")),
        reasons=reasons,
        segment=raw.get("segment"),
        event_ts=_float_or_none(raw.get("event_ts")),
    )


def _first_nonfinite(node: Any, path: str) -> tuple[str, str] | None:
    """The dotted path of the first NaN/Infinity (or overflowing number) in ``node``."""
    if isinstance(node, _NonFinite):
        return path, node.token
    if isinstance(node, float) and not math.isfinite(node):
        return path, repr(node)
    if isinstance(node, dict):
        for k, v in node.items():
            found = _first_nonfinite(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found = _first_nonfinite(v, f"{path}[{i}]")
            if found:
                return found
    return None


def _clean_str(v: Any, limit: int, *, allow_empty: bool = False) -> bool:
    """A string a database column can hold: short enough, no NUL, valid Unicode."""
    if not isinstance(v, str) or len(v) > limit or (not v and not allow_empty) or "\x00" in v:
        return False
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape
        return False
    return True


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _float_or_none(v: Any) -> float | None:
    return None if v is None else float(v)


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"boolean {str(v).lower()}"
    if isinstance(v, (int, float)):
        return f"number {v!r}"
    if isinstance(v, str):
        r = repr(v)
        return f"string {r if len(r) <= 40 else r[:37] + '...'}"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__
