"""Instructions per ``guard.predict`` on the plain hot path, a figure the machine's load
does not move. Run N calls after a warm-up under callgrind, twice, and subtract:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/guard_instructions.py 0
    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/guard_instructions.py 10000

per call = (Collected at 10000 - Collected at 0) / 10000. The spec matches
``bench/guard_overhead.py``'s: 20 fields (14 bounded floats, 3 ints, 3 categories), a
bulkhead, a retry policy, the output range gate; the recorder's ``submit`` does nothing.
"""

from __future__ import annotations

import sys

from telltale.guard import Guard
from telltale.record.memory import MemoryRecorder
from telltale.spec import spec_from_dict

inputs = {f"f{i}": {"type": "float", "range": [0, 100]} for i in range(14)}
inputs.update({f"i{i}": {"type": "int", "range": [0, 10]} for i in range(3)})
inputs.update({f"c{i}": {"type": "category", "categories": ["a", "b", "c"]} for i in range(3)})
spec = spec_from_dict({"service": "b", "owner": "me", "inputs": inputs, "output": {"type": "float", "range": [0, 1000]},
                       "fallback": [{"default": 1.0}], "guard": {"bulkhead": {"max_concurrent": 16, "max_wait_ms": 5},
                       "retry": {"max_attempts": 2}}})
rec = {**{f"f{i}": 1.5 for i in range(14)}, **{f"i{i}": 3 for i in range(3)}, **{f"c{i}": "a" for i in range(3)}}


class _Nowhere(MemoryRecorder):
    def submit(self, record):  # type: ignore[no-untyped-def]
        pass


g = Guard(spec, lambda r: r["f0"] * 2.0, recorder=_Nowhere())
for _ in range(2000):
    g.predict(rec)
for _ in range(int(sys.argv[1])):
    g.predict(rec)
