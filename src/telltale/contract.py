"""The data contract compiled for the hot path: one record in, its violations out.

Used by the guard before every model call and by the server on every ingested record,
so the two can never disagree about what a valid record is. A valid record costs one
pass over the spec's fields and allocates nothing but the empty result.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from telltale.spec.model import ServiceSpec
from telltale.types import Violation

_FLOAT, _INT, _BOOL, _CATEGORY, _STRING, _TIMESTAMP, _TEXT, _VECTOR = range(8)
_CODES = {"float": _FLOAT, "int": _INT, "bool": _BOOL, "category": _CATEGORY, "string": _STRING, "timestamp": _TIMESTAMP,
          "text": _TEXT, "vector": _VECTOR}
_NUMERIC = (_FLOAT, _INT, _TIMESTAMP)
#: Fast-path classes: a value of the expected class inside the range passes at once.
_FAST_REAL, _FAST_INT, _FAST_CATEGORY = 1, 2, 3
_FAST = {_FLOAT: _FAST_REAL, _TIMESTAMP: _FAST_REAL, _INT: _FAST_INT, _CATEGORY: _FAST_CATEGORY}
_MISSING = object()


class Contract:
    """Checks records against a spec's ``inputs``.

    >>> from telltale.spec import parse_spec
    >>> spec = parse_spec("service: eta\\nowner: me\\ninputs:\\n  prep_time_s: {type: float, range: [0, 3600]}\\n")
    >>> [v.message for v in Contract(spec).check({"prep_time_s": 540000.0})]
    ['value 540000.0 is above the maximum 3600.0']
    """

    __slots__ = ("_fields", "_names", "_n", "_valid")

    def __init__(self, spec: ServiceSpec) -> None:
        fields = []
        for name, f in spec.inputs.items():
            lo = f.range.min if f.range and f.range.min is not None else -math.inf
            hi = f.range.max if f.range and f.range.max is not None else math.inf
            cats = frozenset(f.categories) if f.categories is not None else None
            code = _CODES[f.type]
            extra: int | None = None  # text: max UTF-8 bytes; vector: the dimension
            if code == _TEXT:
                lo = float(f.min_length) if f.min_length is not None else -math.inf
                hi = float(f.max_length) if f.max_length is not None else math.inf
                extra = f.max_bytes
            elif code == _VECTOR:
                extra = f.dim
            fields.append((name, code, _FAST.get(code, 0), lo, hi, cats, f.nullable, f.required, extra))
        self._fields = tuple(fields)
        self._names = frozenset(spec.inputs)
        self._n = len(fields)
        self._valid = _compile_valid(self._fields)

    def check(self, record: Mapping[str, Any]) -> list[Violation]:
        """Return every violation of ``record``; an empty list means it is valid."""
        if self._valid(record):  # the common case, decided by straight-line code
            return []
        out: list[Violation] = []
        present = 0
        get = record.get
        for name, code, fast, lo, hi, cats, nullable, required, extra in self._fields:
            v = get(name, _MISSING)
            if v is _MISSING:
                if not nullable:
                    out.append(Violation(name, "schema", "is missing", required))
                continue
            present += 1
            # the common case, a valid value of the expected class, decided in one test
            if fast == _FAST_REAL:
                if (v.__class__ is float or v.__class__ is int) and lo <= v <= hi:
                    continue
            elif fast == _FAST_INT:
                if v.__class__ is int and lo <= v <= hi:
                    continue
            elif fast == _FAST_CATEGORY:
                if v.__class__ is str and (cats is None or v in cats):
                    continue
            if v is None or (isinstance(v, float) and v != v):
                if not nullable:
                    out.append(Violation(name, "nulls", "is null but the contract says it is not nullable", required))
                continue
            if code in _NUMERIC:
                x = _as_number(v, code)
                if x is None:
                    out.append(Violation(name, "type", f"expected {_TYPE_NAMES[code]}, got {_describe(v)}", required))
                elif not (lo <= x <= hi):
                    if x != x or x in (math.inf, -math.inf):
                        out.append(Violation(name, "type", f"expected a finite number, got {x}", required))
                    elif x < lo:
                        out.append(Violation(name, "range", f"value {x!r} is below the minimum {lo!r}", required))
                    else:
                        out.append(Violation(name, "range", f"value {x!r} is above the maximum {hi!r}", required))
            elif code == _CATEGORY:
                if v.__class__ is not str:
                    out.append(Violation(name, "type", f"expected a category (string), got {_describe(v)}", required))
                elif cats is not None and v not in cats:
                    out.append(Violation(name, "category", f"unseen category {v!r}", required))
            elif code == _BOOL:
                if v.__class__ is not bool:
                    out.append(Violation(name, "type", f"expected a bool, got {_describe(v)}", required))
            elif code == _TEXT:
                if (bad := _text_problem(v, lo, hi, extra)) is not None:
                    out.append(Violation(name, bad[0], bad[1], required))
            elif code == _VECTOR:
                if (msg := _vector_problem(v, extra or 0)) is not None:
                    out.append(Violation(name, "type", msg, required))
            elif v.__class__ is not str:
                out.append(Violation(name, "type", f"expected a string, got {_describe(v)}", required))
        if present != len(record):
            for name in record:
                if name not in self._names:
                    out.append(Violation(name, "schema", "is not in the contract (unexpected field)", False))
        return out

    @staticmethod
    def blocking(violations: list[Violation]) -> list[Violation]:
        """The violations that must keep the record from the model (on required fields)."""
        return [v for v in violations if v.required]


def _compile_valid(fields: tuple[Any, ...]) -> Any:
    """Straight-line code that answers "certainly valid?" for one spec's fields.

    True only when the full check would find nothing; anything unusual (a null, a NaN, a
    numpy scalar, an ISO timestamp, an unexpected field) answers False and the full check
    decides, so the violations and their messages never depend on this shortcut. Generated
    once per contract: a loop over field tuples costs about twice as much per field.

    A plain ``dict`` (the usual record) is read by subscript, a missing required field
    ending the shortcut through ``KeyError``: about 40% cheaper than ``record.get`` calls.
    Other mappings are read with ``get``, since a subscript could call ``__missing__``
    (a ``defaultdict`` would grow, a ``Counter`` would answer 0).
    """
    ns: dict[str, Any] = {"_M": _MISSING, "_dict": dict, "_vec": _vector_ok, "_utf8": _utf8_len}
    by_key = ["def valid(record):", "    if record.__class__ is _dict:", "        try:"]
    by_get = ["    get = record.get"]
    always = 0
    for i, (name, code, _fast, lo, hi, cats, nullable, _required, extra) in enumerate(fields):
        ns[f"n{i}"], ns[f"lo{i}"], ns[f"hi{i}"], ns[f"c{i}"], ns[f"x{i}"] = name, lo, hi, cats, extra
        lo_, hi_ = _literal(lo) or f"lo{i}", _literal(hi) or f"hi{i}"
        if code in (_FLOAT, _TIMESTAMP):
            ok = f"(v.__class__ is float or v.__class__ is int) and {lo_} <= v <= {hi_}"
        elif code == _INT:
            ok = f"v.__class__ is int and {lo_} <= v <= {hi_}"
        elif code == _CATEGORY:
            ok = "v.__class__ is str" + (f" and v in c{i}" if cats is not None else "")
        elif code == _BOOL:
            ok = "v.__class__ is bool"
        elif code == _TEXT:
            ok = "v.__class__ is str"
            if lo != -math.inf or hi != math.inf:
                ok += f" and {lo_} <= len(v) <= {hi_}"
            if extra is not None:  # four bytes a character at most: most texts skip the encoding
                ok += f" and (len(v) * 4 <= x{i} or _utf8(v) <= x{i})"
        elif code == _VECTOR:
            ok = f"v.__class__ is list and len(v) == x{i} and _vec(v)"
        else:
            ok = "v.__class__ is str"
        if nullable:
            for lines, pad in ((by_key, "            "), (by_get, "    ")):
                lines.append(f"{pad}v = {'record.get' if lines is by_key else 'get'}(n{i}, _M)")
                lines.append(f"{pad}if v is not _M:")
                lines.append(f"{pad}    p += 1")
                lines.append(f"{pad}    if v is not None and not ({ok}):")
                lines.append(f"{pad}        return False")
        else:
            always += 1
            by_key.append(f"            v = record[n{i}]")
            by_key.append(f"            if not ({ok}):")
            by_key.append("                return False")
            by_get.append(f"    v = get(n{i}, _M)")
            by_get.append(f"    if not ({ok}):")
            by_get.append("        return False")
    by_key[2:2] = ["        p = 0"]
    by_key += ["        except KeyError:", "            return False", f"        return p + {always} == len(record)"]
    by_get[1:1] = ["    p = 0"]
    by_get.append(f"    return p + {always} == len(record)")
    exec("\n".join(by_key + by_get), ns)  # noqa: S102 (code built from the spec's field tuples only, names passed as data)
    return ns["valid"]


def _literal(x: Any) -> str | None:
    """A finite bound as source (a constant is cheaper to load than a name); else None."""
    if (x.__class__ is float or x.__class__ is int) and math.isfinite(x):
        return repr(x)  # repr round-trips a float exactly
    return None


def _utf8_len(s: str) -> int:
    """UTF-8 bytes of ``s`` (a lone surrogate, which cannot be encoded, counts its three bytes)."""
    return len(s.encode("utf-8", "surrogatepass"))


def _text_problem(v: Any, lo: float, hi: float, max_bytes: int | None) -> tuple[Literal["type", "range"], str] | None:
    """Why ``v`` breaks a text field's contract (the violation's kind and message), or None."""
    if v.__class__ is not str and not isinstance(v, str):
        return "type", f"expected text (a string), got {_describe(v)}"
    n = len(v)
    chars = f"{n} character{'' if n == 1 else 's'}"
    if n < lo:
        return "range", f"text of {chars} is shorter than min_length {int(lo)}"
    if n > hi:
        return "range", f"text of {chars} is longer than max_length {int(hi)}"
    if max_bytes is not None and n * 4 > max_bytes and (b := _utf8_len(v)) > max_bytes:
        return "range", f"text of {b} UTF-8 bytes is over max_bytes {max_bytes}"
    return None


def _vector_ok(v: list[Any]) -> bool:
    """True when every element is a plain float or int and their sum is finite (then each is)."""
    for x in v:
        if x.__class__ is not float and x.__class__ is not int:
            return False
    return math.isfinite(sum(v))


def _vector_problem(v: Any, dim: int) -> str | None:
    """Why ``v`` is not a vector of ``dim`` finite numbers, or None. Lists, tuples and
    one-dimensional NumPy arrays are vectors."""
    shape = getattr(v, "shape", None)
    if shape is not None and len(shape) != 1:
        return f"expected a vector of {dim} numbers, got an array of shape {tuple(shape)}"
    if not isinstance(v, (list, tuple)) and shape is None:
        return f"expected a vector (a list of {dim} numbers), got {_describe(v)}"
    if len(v) != dim:
        return f"expected a vector of {dim} numbers, got {len(v)}"
    for i, x in enumerate(v):
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            return f"element {i} is {_describe(x)}, not a number"
        if not math.isfinite(float(x)):
            return f"element {i} is {float(x)}: every element of a vector must be finite"
    return None


_TYPE_NAMES = {_FLOAT: "a number", _INT: "an integer", _TIMESTAMP: "a timestamp (epoch seconds or ISO 8601)"}


def _as_number(v: Any, code: int) -> float | None:
    cls = v.__class__
    if cls is float:
        return v if code != _INT or v.is_integer() or not math.isfinite(v) else None
    if cls is int:
        return v  # type: ignore[no-any-return]  # v is an int (its class was tested; a cast would cost on the hot path)
    if code == _TIMESTAMP:
        if isinstance(v, datetime):
            return v.timestamp()
        if cls is str:
            try:
                return datetime.fromisoformat(v).timestamp()
            except ValueError:
                return None
    if cls is not bool and isinstance(v, numbers.Real):  # numpy scalars and other real numbers
        f = float(v)
        return f if code != _INT or f.is_integer() else None
    return None


def _describe(v: Any) -> str:
    r = repr(v)
    return f"{type(v).__name__} {r if len(r) <= 40 else r[:37] + '...'}"
