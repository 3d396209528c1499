"""``telltale report``: data quality and drift of a current data set against a reference.

:mod:`telltale.report.build` computes (no rendering); :mod:`~telltale.report.terminal`,
:mod:`~telltale.report.html` and :mod:`~telltale.report.plots` only present its result.
"""

from telltale.report.build import Report, ReportUsageError, build_report, infer_spec, load_inputs
from telltale.report.rows import CheckRow

__all__ = ["CheckRow", "Report", "ReportUsageError", "build_report", "infer_spec", "load_inputs"]
