"""The prediction record on the wire: what each field may hold, and the limits on values.

``PredictionRecord`` (``telltale.types``) declares each field once, with a ``WireField``
in the field's metadata: its kind, its doc, its length limit. Everything that reads or
writes records over a boundary derives from that one declaration: ``to_dict`` /
``from_dict``, the HTTP parser (``server/parse.py``), the OpenAPI request body
(``server/ingest.py``), the sinks, the spill and the store's write check.

``RecordLimits`` bounds what any value inside a record may be (string length, nesting
depth, integer size, tag count), so a hostile or broken client costs bounded time and
memory, and whatever is stored can always be read back. The server takes them as
options; the store checks every record it is handed against the defaults.

This module imports nothing from telltale, so ``types.py`` can import it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

#: What a field holds on the wire.
#: ``id``: the record id; ``text``: a bounded string or null; ``number``: a finite number
#: or null; ``count``: a non-negative integer or null; ``json``: any JSON value within
#: the limits; ``inputs``: an object of field name to JSON value; ``text_map``: an
#: object of short name to string; ``number_map``: an object of name to number;
#: ``text_list``: a list of strings; ``violations``: computed by the receiver.
WireKind = Literal["id", "text", "number", "count", "time", "json", "inputs", "text_map", "number_map", "text_list", "violations"]


@dataclass(frozen=True, slots=True)
class WireField:
    """How one record field travels: its kind, the longest string it may hold, its doc.

    ``max_len`` bounds a ``text`` value (and the keys and values of a ``text_map``);
    ``max_items`` bounds a map's or list's length (else the record limits apply).
    ``computed`` marks a field the receiver recomputes (the server checks the contract
    itself), so a posted value is accepted and replaced, never warned about.
    """

    kind: WireKind
    doc: str
    max_len: int | None = None
    max_items: int | None = None
    key_len: int | None = None
    computed: bool = False


def wire(kind: WireKind, doc: str, **kw: Any) -> dict[str, WireField]:
    """Metadata for ``dataclasses.field``: ``field(default=None, metadata=wire("text", "..."))``."""
    return {"wire": WireField(kind, doc, **kw)}


#: Longest record id (ids are usually UUIDs; 200 leaves room for composite keys).
MAX_ID_LEN = 200
#: A few bounded labels per record: beyond these, tags are more likely a log than labels.
MAX_TAGS = 16
MAX_TAG_KEY_LEN = 64
MAX_TAG_VALUE_LEN = 256


@dataclass(frozen=True, slots=True)
class RecordLimits:
    """Bounds on every value inside one record (README "Limits on a record").

    - ``max_string_len``: characters in any string (an input, the output, a reason):
      64 Ki fits a long prompt; a longer value is more likely a mistake or an attack on
      the store's profile and is refused before any hashing.
    - ``max_depth``: nesting of objects and lists inside a record (the record itself is
      level 1); 32 covers any structured output seen in practice and keeps every later
      read far from Python's recursion limit.
    - ``max_int_digits``: digits of an integer; 20 holds any 64-bit value, signed or not.
    - ``max_inputs``: input fields per record; ``max_name_len``: characters of a field name.
    - ``max_items``: elements in one list or object anywhere in a record.
    - ``max_future_s``: how far past the receiver's clock a ``ts`` may lie (clock skew);
      a later one is refused, naming the likely unit mistake.
    """

    max_string_len: int = 65_536
    max_depth: int = 32
    max_int_digits: int = 20
    max_inputs: int = 1000
    max_name_len: int = 200
    max_items: int = 10_000
    max_future_s: float = 86_400.0

    def __post_init__(self) -> None:
        for name in ("max_string_len", "max_depth", "max_int_digits", "max_inputs", "max_name_len", "max_items"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"RecordLimits.{name} must be a positive integer, got {v!r}")
        if self.max_depth > 200:
            raise ValueError(f"RecordLimits.max_depth must be at most 200 (Python's recursion limit is near), got {self.max_depth}")
        if not (isinstance(self.max_future_s, (int, float)) and self.max_future_s >= 0):
            raise ValueError(f"RecordLimits.max_future_s must be >= 0 seconds, got {self.max_future_s!r}")


DEFAULT_LIMITS = RecordLimits()


class BigInt:
    """An integer literal with more digits than the limit, kept as its text (never ``int()``'d)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class NonFinite:
    """``NaN``, ``Infinity`` or ``-Infinity``: Python's json reads them, JSON has no such numbers."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token


class LongText:
    """A string over ``max_string_len`` found on the bytes (``server/longstrings.py``) and
    never built: only its length in characters is kept."""

    __slots__ = ("chars",)

    def __init__(self, chars: int) -> None:
        self.chars = chars

    def __repr__(self) -> str:
        return f"a string of {self.chars} characters"


def value_problem(node: Any, path: str, limits: RecordLimits, depth: int = 1, *, allow_nonfinite: bool = False) -> tuple[str, str] | None:
    """The first value in ``node`` that breaks ``limits``: (dotted path, reason), or None.

    Recursion stops at ``limits.max_depth``, so any input costs bounded stack.
    """
    if _plain(node, limits, allow_nonfinite):
        return None
    if isinstance(node, str):
        if len(node) > limits.max_string_len:
            return path, f"is a string of {len(node)} characters; the most is {limits.max_string_len} (max_string_len)"
        if not node.isascii() and not _utf8(node):
            return path, "holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), which is not text; send valid Unicode"
        return None
    if isinstance(node, bool) or node is None:
        return None
    if isinstance(node, int):
        digits = _digits(node)
        if digits > limits.max_int_digits:
            return path, f"is an integer of {digits} digits; the most is {limits.max_int_digits} (max_int_digits): send it as a string"
        return None
    if isinstance(node, float):
        if not allow_nonfinite and not math.isfinite(node):
            return path, f"{node!r} is not a valid JSON number; send null for a missing value"
        return None
    if isinstance(node, BigInt):
        return path, f"is an integer of {len(node.text.lstrip('-'))} digits; the most is {limits.max_int_digits} (max_int_digits): send it as a string"
    if isinstance(node, NonFinite):
        return path, f"{node.token} is not a valid JSON number; send null for a missing value"
    if isinstance(node, LongText):
        return path, f"is a string of {node.chars} characters; the most is {limits.max_string_len} (max_string_len)"
    if isinstance(node, (dict, list, tuple)):
        if depth > limits.max_depth:
            return _outer(path), f"nests deeper than {limits.max_depth} levels (max_depth)"
        if len(node) > limits.max_items:
            return path, f"has {len(node)} elements; the most is {limits.max_items} (max_items)"
        if isinstance(node, dict):
            for k, v in node.items():
                if k.__class__ is str and len(k) <= limits.max_string_len and k.isascii():
                    if _plain(v, limits, allow_nonfinite):
                        continue  # the common case, without building a path or a frame
                elif isinstance(k, str) and (len(k) > limits.max_string_len or (not k.isascii() and not _utf8(k))):
                    return path, f"has a key that is over {limits.max_string_len} characters or not valid Unicode"
                found = value_problem(v, f"{path}.{k}" if path else str(k), limits, depth + 1, allow_nonfinite=allow_nonfinite)
                if found:
                    return found
        else:
            for i, v in enumerate(node):
                if _plain(v, limits, allow_nonfinite):
                    continue
                found = value_problem(v, f"{path}[{i}]", limits, depth + 1, allow_nonfinite=allow_nonfinite)
                if found:
                    return found
        return None
    return None  # other Python objects (numpy scalars, dates) are the in-process encoder's business


_INT_FAST = 10**19  # any int of magnitude below this has at most 19 digits, within every sane limit


def _plain(v: Any, limits: RecordLimits, allow_nonfinite: bool) -> bool:
    """True for a scalar that certainly passes (checked inline, no recursion)."""
    c = v.__class__
    if c is float:
        return allow_nonfinite or math.isfinite(v)
    if c is str:
        return len(v) <= limits.max_string_len and v.isascii()
    if c is int:
        return -_INT_FAST < v < _INT_FAST and limits.max_int_digits >= 19
    return v is None or c is bool


def clean_text(v: Any, limit: int, *, allow_empty: bool = False) -> bool:
    """A string a database column can hold: at most ``limit`` characters, no NUL, valid Unicode."""
    if not isinstance(v, str) or len(v) > limit or (not v and not allow_empty) or "\x00" in v:
        return False
    return v.isascii() or _utf8(v)


def ts_problem(ts: float, now: float, limits: RecordLimits) -> str | None:
    """Why ``ts`` (epoch seconds) cannot be a decision time, naming the likely fix; None if it can."""
    if not math.isfinite(ts):
        return f"{ts!r} is not a valid JSON number"
    if ts <= now + limits.max_future_s:
        return None
    for factor, unit in ((1e3, "milliseconds"), (1e6, "microseconds"), (1e9, "nanoseconds")):
        if ts / factor <= now + limits.max_future_s:
            return f"is {ts:.17g}, which looks like {unit}: divide by {factor:.0f} to send epoch seconds"
    ahead = ts - now
    return (f"is {ts:.6g}, {ahead:.3g} s after the receiver's clock; the most is {limits.max_future_s:g} s ahead "
            "(max_future_s): send epoch seconds")


def _outer(path: str) -> str:
    """A deep path cut to its outer part: ``inputs.x[0][0]...`` 900 times says no more than ``inputs.x``."""
    cut = path.find("[0][0][0]")
    return path if cut < 0 else path[:cut]


def _utf8(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _digits(n: int) -> int:
    """Decimal digits of ``n``, without ever building its (possibly huge) string."""
    n = -n if n < 0 else n
    if n.bit_length() < 14_000:  # up to ~4200 digits: str() is exact, well within Python's limit, and cheap
        return len(str(n))
    return int(n.bit_length() * 0.30103) + 1  # log10(2), within one digit: far over any limit anyway
