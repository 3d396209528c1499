"""Realized performance: mergeable per-minute summaries of joined (prediction, label)
pairs, the metrics they give with confidence intervals, and windows of them."""

from telltale.performance.metrics import HIGHER_BETTER, METRICS, MetricValue, compute, wilson
from telltale.performance.summary import Pair, Summary

__all__ = ["HIGHER_BETTER", "METRICS", "MetricValue", "Pair", "Summary", "compute", "wilson"]
