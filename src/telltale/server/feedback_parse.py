"""Turn a feedback body into events, answering each malformed one by index and field.

The same per-item answers as ingestion (``server/parse.py``, whose small helpers this
reuses): NaN and Infinity are caught per item, every reason names the field and the fix,
and the good items of a batch are kept.
"""

from __future__ import annotations

import json
import math
from typing import Any

from telltale.feedback.event import FeedbackEvent, event_key, validate
from telltale.server.parse import BodyError, RecordError, _is_number, _json_type
from telltale.store.schema import MAX_ID_LEN
from telltale.wire import NonFinite, clean_text

_FIELDS = frozenset({"id", "ts", "label", "action", "value", "actor", "key"})


def parse_feedback_body(body: bytes) -> list[Any]:
    """The raw ``feedback`` list of ``{"feedback": [...]}``; BodyError when the shape is wrong."""
    try:
        doc = json.loads(body, parse_constant=NonFinite)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BodyError(f"the body is not valid JSON ({e}); send {{\"feedback\": [{{\"id\": ..., \"label\": ...}}, ...]}}") from None
    if not isinstance(doc, dict) or "feedback" not in doc:
        raise BodyError("the body must be a JSON object with a \"feedback\" list: {\"feedback\": [{\"id\": ..., \"label\": ...}, ...]}")
    items = doc["feedback"]
    if not isinstance(items, list):
        raise BodyError(f"\"feedback\" must be a list, got {_json_type(items)}")
    return items


def parse_feedback(raw: Any, index: int, service: str, now: float) -> FeedbackEvent | RecordError:
    """One event, or the first reason it cannot be stored."""
    if not isinstance(raw, dict):
        return RecordError(index, None, f"a feedback item must be a JSON object, got {_json_type(raw)}")
    bad = _first_nonfinite(raw, "")
    if bad is not None:
        path, token = bad
        return RecordError(index, path, f"{token} is not a valid JSON number; send null for a missing value")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        return RecordError(index, unknown[0], f"is not a feedback field; use {', '.join(sorted(_FIELDS))}")
    pid = raw.get("id")
    if pid is None:
        return RecordError(index, "id", "is missing; name the decision with the id the guard gave it (decision.id)")
    if not clean_text(pid, MAX_ID_LEN):
        return RecordError(index, "id", f"must be a non-empty string of at most {MAX_ID_LEN} characters (no NUL), got {_json_type(pid)}")
    ts = raw.get("ts", now)
    if not _is_number(ts):
        return RecordError(index, "ts", f"must be a number of epoch seconds (when the feedback was given), got {_json_type(ts)}")
    key = raw.get("key")
    if key is not None and not clean_text(key, 64):
        return RecordError(index, "key", f"must be a string of at most 64 characters, got {_json_type(key)}")
    label, action, value, actor = raw.get("label"), raw.get("action"), raw.get("value"), raw.get("actor")
    problem = validate(label, action, value, actor)
    if problem is not None:
        return RecordError(index, *problem)
    if not key:  # the item as sent: a replay of the same body gives the same key
        key = event_key(pid, {k: v for k, v in raw.items() if k != "id"})
    return FeedbackEvent(prediction_id=pid, service=service, ts=float(ts), label=label, action=action, value=value, actor=actor, key=key)


def _first_nonfinite(node: Any, path: str) -> tuple[str, str] | None:
    """The dotted path and token of the first NaN/Infinity in ``node``, or None."""
    if isinstance(node, NonFinite):
        return path, node.token
    if isinstance(node, float) and not math.isfinite(node):
        return path, repr(node)
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in children:
        found = _first_nonfinite(v, f"{path}[{k}]" if isinstance(k, int) else f"{path}.{k}" if path else str(k))
        if found:
            return found
    return None
