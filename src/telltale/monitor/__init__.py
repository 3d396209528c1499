"""The monitor: findings per window from minute profiles, and the memory of them.

- :mod:`telltale.monitor.windows`: one window's verdict, and the ad-hoc findings of any span;
- :mod:`telltale.monitor.tick`: the tick ``telltale serve`` runs every minute, storing
  findings with a lifecycle (``Store.findings``);
- :mod:`telltale.monitor.causes`: consequences grouped under their cause;
- :mod:`telltale.monitor.canary`: a canary against the primary;
- :mod:`telltale.monitor.incidents`: stored findings as incidents, cause first.
"""

from __future__ import annotations

from telltale.monitor.windows import BASELINE_S, MAX_WINDOWS, WindowedFindings, findings_for, window_findings

__all__ = ["BASELINE_S", "MAX_WINDOWS", "WindowedFindings", "findings_for", "window_findings"]
