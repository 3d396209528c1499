"""The report's terminal summary (rich): one headline per finding with its message
wrapped beneath it (readable in an 80-column CI log), then the verdict."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from telltale.report.build import Report

_STYLE = {"critical": "bold red", "warning": "yellow"}


def print_summary(report: Report, console: Console) -> None:
    s = report.summary()
    console.print(f"reference {s['reference']['path']} ({s['reference']['rows']:,} rows), "
                  f"current {s['current']['path']} ({s['current']['rows']:,} rows); spec: {s['spec']}", markup=False, highlight=False)
    for f in report.findings:
        head = Text()
        head.append(f"{f.severity:<8}", style=_STYLE[f.severity])
        head.append(f" {f.kind}")
        if f.feature:
            head.append(f" {f.feature}", style="bold")
        if f.value is not None:
            head.append(f"  {f.statistic}={f.value:.4g}", style="dim")
        console.print(head)
        console.print(Padding(Text(f.message), (0, 0, 0, 9)))
    if report.performance is not None:
        for line in performance_lines(report.performance.to_dict()):
            console.print(line, markup=False, highlight=False)
    mv = s["multivariate_auc"]
    tail = f"; domain classifier AUC {mv}" if mv is not None else ""
    if s["critical"]:
        console.print(f"[bold red]{s['critical']} critical[/], {s['warning']} warning findings from {s['checks_run']} checks{tail}")
    else:
        console.print(f"[green]nothing critical[/]: {s['warning']} warning findings from {s['checks_run']} checks{tail}")


def performance_lines(p: dict[str, Any]) -> list[str]:
    """The performance block: per metric the reference's realized figure, then the current one, an estimate marked as such."""
    labels = p["labels"]
    if p["basis"] == "estimated":
        head = (f"performance ({p['target']}): ESTIMATED for current, which has no labels (confidence-based, calibrated on "
                f"the reference's {labels['reference']:,} labels; {p['estimated_predictions']:,} predictions)")
    else:
        head = f"performance ({p['target']}): realized on {labels['reference']:,} reference and {labels['current']:,} current labels"
    lines = [head]
    for name, m in p["metrics"].items():
        parts = [f"reference {_g(m['reference'])}"]
        if m["current"] is not None:
            parts.append(f"current {_g(m['current'])}")
        if "estimated" in m:
            se = f" ± {1.96 * m['estimated_se']:.3f}" if "estimated_se" in m else ""
            parts.append(f"current estimated {_g(m['estimated'])}{se}")
        if m["current"] is None and "estimated" not in m:
            continue  # a reference-only metric (log loss, ECE) with nothing to set beside it
        lines.append(f"  {name:<10} " + ", ".join(parts))
    if p["note"]:
        lines.append(f"  {p['note']}")
    return lines


def _g(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"
