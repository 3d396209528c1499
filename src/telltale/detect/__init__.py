"""Change detection that does not wait for a window to end (DESIGN.md, "Findings").

Every per-minute signal (null share per field, latency percentiles per stage, error
rate, cost and tokens per call, fallback rate, each guard's trigger rate) goes through
a sequential change detector: a bank of two-sided CUSUM charts whose threshold is
calibrated for one false alarm per signal a month of minutes, on robustly standardised
numbers or on binomial likelihood ratios for counts. ``Cusum`` and ``RateCusum`` speak
River's protocol (``update(x)``, then ``drift_detected``) and run vectorised over whole
arrays (``run(values)``); ``change_findings`` is what the monitor calls.
"""

from telltale.detect.calibrate import gaussian_threshold, llr_threshold, siegmund_arl
from telltale.detect.cusum import Cusum, RateCusum
from telltale.detect.detector import Alarm, Detector
from telltale.detect.findings import ARL0_MIN, LOOKBACK_S, change_findings, change_findings_many, span_start
from telltale.detect.signals import SIGNALS, Signal

__all__ = [
    "ARL0_MIN", "LOOKBACK_S", "SIGNALS", "Alarm", "Cusum", "Detector", "RateCusum", "Signal", "change_findings",
    "change_findings_many", "gaussian_threshold", "llr_threshold", "siegmund_arl", "span_start",
]
