"""Feedback on decisions: labels that arrive late and in any order, what people did with
the output, and what the two say about the model (realized performance, trust).

``guard.feedback(id, label=..., action=...)`` sends from the guard's process;
``telltale.feedback.connect(target)`` gives a :class:`FeedbackClient` for any other;
``POST /v1/services/{service}/feedback`` takes batches over HTTP. The monitor calls
:func:`performance_findings` and :func:`trust_findings` per window.
"""

from typing import Any

from telltale.feedback.client import FeedbackClient, connect
from telltale.feedback.event import ACTIONS, FeedbackEvent

__all__ = ["ACTIONS", "FeedbackClient", "FeedbackEvent", "connect", "performance_findings", "trust_findings"]


def __getattr__(name: str) -> Any:  # the findings load the spec and numpy: only when asked for
    if name == "performance_findings":
        from telltale.performance.findings import performance_findings

        return performance_findings
    if name == "trust_findings":
        from telltale.feedback.trust import trust_findings

        return trust_findings
    raise AttributeError(f"module 'telltale.feedback' has no attribute {name!r}")
