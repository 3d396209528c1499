"""Find strings too long to keep on the bytes, before ``json.loads`` builds them.

A 9 MB string in a record is refused anyway (``max_string_len``), but parsing it first
costs ``json.loads`` about 15 ms of CPU per 9 MB (and three times that on a busy
machine), all to build a value that is thrown away. So the body's bytes are looked at
first, in C-speed passes:

1. a string longer than the limit is a run of more than ``max_len`` bytes without a
   quote; such a run covers a whole aligned block of ``(max_len + 1) // 2`` bytes, so a
   body in which every block holds a quote (the normal case) stops here, after one
   NumPy comparison and one ``any`` per block;
2. otherwise escaped backslashes and quotes are blanked (same length, so positions
   hold), every remaining quote is a real one, and consecutive pairs are the strings;
3. each string value (not an object key) whose bytes exceed the limit is decoded once
   to count its characters exactly; when it really is too long it is replaced by a
   small marker object, which the parser's ``object_hook`` turns into a
   :class:`telltale.wire.LongText` holding only that count. The record's checks then
   name the field and the limit exactly as they do for a parsed string.

Anything odd (an odd number of quotes, invalid UTF-8) is left to ``json.loads`` to
refuse as before; keys are left alone (``max_string_len`` applies to them when parsed).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from typing import Any

import numpy as np

from telltale.wire import LongText

_QUOTE = 34
_WS = re.compile(rb"[ \t\r\n]*")


def cut_long_strings(body: bytes, max_len: int) -> tuple[bytes, Callable[[dict[str, Any]], Any] | None]:
    """``body`` with each string value over ``max_len`` characters replaced by a marker,
    and the ``object_hook`` that turns markers back into ``LongText`` (None: nothing cut)."""
    if len(body) <= max_len + 2 or not _has_quoteless_run(body, max_len):
        return body, None
    escapes = body.find(b"\\") >= 0
    ascii_body = body.isascii()  # json.dumps writes ASCII unless told otherwise
    clean = body.replace(b"\\\\", b"__").replace(b'\\"', b"__") if escapes else body
    quotes = np.flatnonzero(np.frombuffer(clean, np.uint8) == _QUOTE)
    if len(quotes) % 2:
        return body, None  # not JSON: json.loads says where
    opens, closes = quotes[0::2], quotes[1::2]
    mark = f"\x00telltale:long:{secrets.token_hex(8)}"
    marker = json.dumps(mark).encode()
    out: list[bytes] = []
    pos = 0
    for k in np.flatnonzero(closes - opens - 1 > max_len):
        o, c = int(opens[k]), int(closes[k])
        after = _WS.match(body, c + 1)
        if after is not None and body[after.end():after.end() + 1] == b":":
            continue  # an object key
        chars = _chars(body, o, c, escapes, ascii_body)
        if chars is None or chars <= max_len:
            continue
        out += [body[pos:o], b"{", marker, b":", str(chars).encode(), b"}"]
        pos = c + 1
    if not out:
        return body, None
    out.append(body[pos:])

    def unmark(d: dict[str, Any]) -> Any:
        if len(d) == 1 and mark in d:
            return LongText(d[mark])
        return d

    return b"".join(out), unmark


def _has_quoteless_run(body: bytes, max_len: int) -> bool:
    """True if some aligned block of ``(max_len + 1) // 2`` bytes holds no quote: the only
    way a run of more than ``max_len`` bytes without one (a string that long) can exist.
    One ``find`` (memchr) per block: it stops at the block's first quote."""
    block = max(1, (max_len + 1) // 2)
    for start in range(0, len(body) // block * block, block):
        if body.find(b'"', start, start + block) < 0:
            return True
    return False


def _chars(body: bytes, o: int, c: int, escapes: bool, ascii_body: bool) -> int | None:
    """Characters of the JSON string between quotes ``o`` and ``c`` (None: not valid)."""
    if escapes and body.find(b"\\", o, c) >= 0:
        try:
            return len(json.loads(body[o:c + 1]))
        except ValueError:  # json.loads refuses the whole body, saying where
            return None
    if ascii_body:
        return c - o - 1
    inner = np.frombuffer(body, np.uint8, count=c - o - 1, offset=o + 1)
    return len(inner) - int(np.count_nonzero((inner & 0xC0) == 0x80))  # UTF-8: continuation bytes
