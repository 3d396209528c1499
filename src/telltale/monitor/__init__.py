"""The monitor: findings per window from minute profiles, and the memory of them.

- :mod:`telltale.monitor.windows`: one window's verdict, and the ad-hoc findings of any span;
- :mod:`telltale.monitor.tick`: the tick ``telltale serve`` runs every minute, storing
  findings with a lifecycle (``Store.findings``);
- :mod:`telltale.monitor.causes`: consequences grouped under their cause;
- :mod:`telltale.monitor.canary`: a canary against the primary;
- :mod:`telltale.monitor.incidents`: stored findings as incidents, cause first.

The window functions load on first use (``__getattr__``), so that reading stored incidents
(``telltale findings`` on the lean install) does not import the statistics (SciPy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telltale.monitor.windows import BASELINE_S, MAX_WINDOWS, WindowedFindings, findings_for, window_findings

__all__ = ["BASELINE_S", "MAX_WINDOWS", "WindowedFindings", "findings_for", "window_findings"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from telltale.monitor import windows

        return getattr(windows, name)
    raise AttributeError(f"module 'telltale.monitor' has no attribute {name!r}")
