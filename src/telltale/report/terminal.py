"""The report's terminal summary (rich): one headline per finding with its message
wrapped beneath it (readable in an 80-column CI log), then the verdict."""

from __future__ import annotations

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
    mv = s["multivariate_auc"]
    tail = f"; domain classifier AUC {mv}" if mv is not None else ""
    if s["critical"]:
        console.print(f"[bold red]{s['critical']} critical[/], {s['warning']} warning findings from {s['checks_run']} checks{tail}")
    else:
        console.print(f"[green]nothing critical[/]: {s['warning']} warning findings from {s['checks_run']} checks{tail}")
