"""Turn an ingestion body into records, answering each malformed one by index and field.

The fields, their kinds and their limits come from the record's one declaration
(``telltale.types.RECORD_FIELDS``); the limits on values inside a record from
``telltale.wire.RecordLimits``. Everything a hostile body could use to cost time or
memory is bounded before it is parsed or stored: nesting is measured before
``json.loads`` could recurse (``server/prescan.py``), integers of thousands of digits are
kept as text, and every string's length and Unicode is checked before the store hashes
it. Python's ``json`` accepts ``NaN`` and ``Infinity``, which are not JSON; they are
caught per record. One bad value never costs the good records beside it.
Nothing here imports the web framework: it is plain data in, plain data out.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, TypeGuard

from telltale.server.longstrings import cut_long_strings
from telltale.server.prescan import TOO_DEEP, cut_deep_records
from telltale.types import RECORD_FIELDS, PredictionRecord
from telltale.wire import DEFAULT_LIMITS, BigInt, LongText, NonFinite, RecordLimits, WireField, clean_text, ts_problem, value_problem

_FIELDS: dict[str, WireField] = dict(RECORD_FIELDS)


@dataclass(frozen=True, slots=True)
class RecordError:
    """Why the record at ``index`` was not stored; ``field`` is a dotted path or None."""

    index: int
    field: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class RecordWarning:
    """Something in the record at ``index`` that was not kept (an unknown ``key``), and why."""

    index: int
    key: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "key": self.key, "reason": self.reason}


class BodyError(ValueError):
    """The body as a whole is unusable (not JSON, no ``records`` list)."""


def parse_body(body: bytes, limits: RecordLimits = DEFAULT_LIMITS) -> list[Any]:
    """The raw ``records`` list of ``{"records": [...]}``; BodyError when the shape is wrong.

    A record nested deeper than ``limits.max_depth`` is replaced, before parsing, by a
    marker that ``parse_record`` answers as that record's error; a string value over
    ``limits.max_string_len`` is never built (``LongText`` stands in, holding its length).
    """
    body, unmark = cut_long_strings(body, limits.max_string_len)
    try:
        body = cut_deep_records(body, limits.max_depth)
    except ValueError as e:
        raise BodyError(str(e)) from None
    try:
        try:
            doc = json.loads(body, parse_constant=NonFinite, object_hook=unmark)
        except ValueError as e:
            if "integer string conversion" not in str(e):
                raise
            # an integer of thousands of digits: parse again, keeping long ones as text
            doc = json.loads(body, parse_constant=NonFinite, parse_int=_parse_int, object_hook=unmark)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BodyError(f"the body is not valid JSON ({e}); send {{\"records\": [{{...}}, ...]}}") from None
    except RecursionError:  # cannot happen after cut_deep_records; kept as a 4xx, never a 500
        raise BodyError(f"the body nests deeper than {limits.max_depth} levels (max_depth)") from None
    if not isinstance(doc, dict) or "records" not in doc:
        raise BodyError("the body must be a JSON object with a \"records\" list: {\"records\": [{...}, ...]}")
    records = doc["records"]
    if not isinstance(records, list):
        raise BodyError(f"\"records\" must be a list, got {_json_type(records)}")
    return records


def parse_record(raw: Any, index: int, service: str, now: float, limits: RecordLimits = DEFAULT_LIMITS) -> PredictionRecord | RecordError:
    """One record, or the first reason it cannot be stored (naming the field and the limit)."""
    if not isinstance(raw, dict):
        return RecordError(index, None, f"a record must be a JSON object, got {_json_type(raw)}")
    deep = raw.get(TOO_DEEP)
    if deep is not None:
        return RecordError(index, deep[1], f"nests {deep[0]} levels deep; the most is {limits.max_depth} (max_depth)")
    values: dict[str, Any] = {}
    for name, wf in RECORD_FIELDS:
        got = _field(raw, name, wf, service, now, limits)
        if isinstance(got, _No):
            return RecordError(index, got.path or name, got.reason)
        values[name] = got
    return PredictionRecord(**values)


def unknown_keys(raw: Any, index: int) -> list[RecordWarning]:
    """Keys of a posted record that are not record fields: dropped, each with a warning."""
    if not isinstance(raw, dict):
        return []
    out = []
    for key in raw:
        if key in _FIELDS or key == TOO_DEEP:
            continue
        name = key if isinstance(key, str) and len(key) <= 64 else f"{str(key)[:61]}..."
        close = difflib.get_close_matches(name, _FIELDS, n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]!r}?" if close else f"; the fields are {', '.join(_FIELDS)}"
        out.append(RecordWarning(index, name, f"is not a field of a prediction record and was not stored{hint}"))
    return out


@dataclass(frozen=True, slots=True)
class _No:
    """Why a field is refused; ``path`` when it is a value inside it (``inputs.x``)."""

    reason: str
    path: str | None = None


def _field(raw: dict[str, Any], name: str, wf: WireField, service: str, now: float, limits: RecordLimits) -> Any:
    """The field's value, converted, or why it is refused (``_No``)."""
    kind = wf.kind
    v = raw.get(name)
    if kind == "id":
        if v is None:
            return _No("is missing; every record needs a unique string id so a replay is stored once")
        if not clean_text(v, wf.max_len or 200):
            return _No(f"must be a non-empty string of at most {wf.max_len} characters (no NUL, valid Unicode), got {_json_type(v)}")
        return v
    if name == "service":
        svc = raw.get("service", service)
        if svc != service:
            where = f"/v1/services/{svc}/predictions" if clean_text(svc, 64) else "the URL of its own service"
            return _No(f"is {_short(svc)} but the URL names service {service!r}; post it to {where}")
        return service
    if kind == "time":
        if name == "ts" and "ts" not in raw:
            return now
        if v is None and name != "ts":
            return None
        if not _is_number(v):
            if isinstance(v, (BigInt, NonFinite)):
                return _No(value_problem(v, name, limits)[1])  # type: ignore[index]
            return _No(f"must be a number of epoch seconds{'' if name == 'ts' else ' or null'}, got {_json_type(v)}")
        bad_ts = ts_problem(float(v), now, limits)
        return _No(bad_ts) if bad_ts else float(v)
    if kind == "inputs":
        if not isinstance(v, dict):
            return _No("is missing" if v is None else f"must be an object of field values, got {_json_type(v)}")
        if len(v) > limits.max_inputs:
            return _No(f"has {len(v)} fields; the most is {limits.max_inputs} (max_inputs)")
        for key in v:
            if not clean_text(key, limits.max_name_len):
                return _No(f"field name {_json_type(key)} is empty, longer than {limits.max_name_len} characters or not text")
        problem = value_problem(v, name, limits, 2)
        return _No(problem[1], problem[0]) if problem else v
    if kind == "json":
        problem = value_problem(v, name, limits, 2)
        return _No(problem[1], problem[0]) if problem else v
    if kind == "number":
        if v is None:
            return None
        if not _is_number(v):
            if isinstance(v, (BigInt, NonFinite)):
                return _No(value_problem(v, name, limits)[1])  # type: ignore[index]
            return _No(f"must be a number or null, got {_json_type(v)}")
        problem = value_problem(v, name, limits)
        return _No(problem[1]) if problem else float(v)
    if kind == "count":
        if v is None:
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            if isinstance(v, BigInt):
                return _No(value_problem(v, name, limits)[1])  # type: ignore[index]
            return _No(f"must be a non-negative integer or null, got {_json_type(v)}")
        problem = value_problem(v, name, limits)
        return _No(problem[1]) if problem else v
    if kind == "text":
        if name == "source":
            v = raw.get("source", "model")
            if not clean_text(v, wf.max_len or 32):
                return _No(f"must be a short string such as \"model\" or \"rules\" (at most {wf.max_len} characters), got {_json_type(v)}")
            return v
        if v is not None and not clean_text(v, wf.max_len or limits.max_string_len, allow_empty=True):
            return _No(f"must be a string of at most {wf.max_len} characters (no NUL, valid Unicode) or null, got {_json_type(v)}")
        return v
    if kind == "text_map":
        return _text_map(name, v or {}, wf)
    if kind == "number_map":
        v = v or {}
        what = "stage name to milliseconds" if name == "stages" else "name to number"
        if not isinstance(v, dict) or not all(_is_number(x) for x in v.values()):
            return _No(f"must be an object of {what}")
        if len(v) > (wf.max_items or limits.max_items):
            return _No(f"has {len(v)} entries; the most is {wf.max_items}")
        if not all(clean_text(k, wf.key_len or limits.max_name_len) for k in v):
            return _No(f"names must be non-empty strings of at most {wf.key_len} characters")
        problem = value_problem(v, name, limits, 2)
        return _No(problem[1], problem[0]) if problem else {k: float(x) for k, x in v.items()}
    if kind == "text_list":
        v = v or []
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            return _No("must be a list of strings")
        if len(v) > (wf.max_items or limits.max_items):
            return _No(f"has {len(v)} items; the most is {wf.max_items}")
        problem = value_problem(v, name, limits, 2)
        return _No(problem[1], problem[0]) if problem else v
    if kind == "violations":
        return []  # the server checks the contract itself
    raise AssertionError(f"record field {name!r} has wire kind {kind!r}, which the parser does not know")  # pragma: no cover


def _text_map(name: str, v: Any, wf: WireField) -> Any:
    what = "component name to version string" if name == "components" else "tag name to string"
    if not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values()):
        return _No(f"must be an object of {what}")
    if wf.max_items is not None and len(v) > wf.max_items:
        return _No(f"has {len(v)} entries; the most is {wf.max_items}")
    for k, x in v.items():
        if not clean_text(k, wf.key_len or 64):
            return _No(path=name, reason=f"name {_json_type(k)} must be a non-empty string of at most {wf.key_len} characters (no NUL, valid Unicode)")
        if not clean_text(x, wf.max_len or 256, allow_empty=True):
            return _No(path=f"{name}.{k}", reason=f"must be a string of at most {wf.max_len} characters (no NUL, valid Unicode), got {_json_type(x)}")
    return v


def _parse_int(text: str) -> int | BigInt:
    return BigInt(text) if len(text) > 64 else int(text)


def _is_number(v: Any) -> TypeGuard[float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"boolean {str(v).lower()}"
    if isinstance(v, (int, float)):
        return f"number {v!r}" if not isinstance(v, int) or v.bit_length() < 128 else "a very long integer"
    if isinstance(v, str):
        return f"string {_short(v) if v.isascii() or clean_text(v, len(v), allow_empty=True) else repr(v[:20])}"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, BigInt):
        return "an integer of too many digits"
    if isinstance(v, NonFinite):
        return v.token
    if isinstance(v, LongText):
        return repr(v)
    return type(v).__name__
