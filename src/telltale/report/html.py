"""The report as one self-contained HTML file: inline CSS, plots as data URIs, no scripts,
no external assets, so it can be attached to a CI run or mailed as is."""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from pathlib import Path

from telltale.report.build import Report

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;color:#222;padding:0 1rem}
h1{font-size:1.4rem;margin-bottom:.2rem} h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
.meta{color:#555;font-size:.9rem} table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f6f6f6} td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.critical{color:#fff;background:#c0392b;border-radius:3px;padding:0 .35rem}
.warning{color:#222;background:#f1c40f;border-radius:3px;padding:0 .35rem}
.passed{color:#1e7e34} .skipped{color:#888}
.verdict{font-size:1.1rem;font-weight:600;margin:1rem 0} .plots{display:flex;flex-wrap:wrap;gap:1rem}
figure{margin:0;border:1px solid #eee;padding:.4rem} figcaption{font-size:.8rem;color:#555;max-width:36rem}
"""


def render_html(report: Report, plot: Callable[[str], str | None]) -> str:
    """The whole page. ``plot(feature)`` returns a data URI (or None when it cannot plot)."""
    s = report.summary()
    e = html.escape
    verdict = (f'<span class="critical">critical</span> {s["critical"]} critical, {s["warning"]} warning findings'
               if s["critical"] else f'{s["warning"]} warning findings, nothing critical' if s["warning"] else "no findings")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>telltale report</title>',
        f"<style>{_CSS}</style></head><body>",
        "<h1>telltale report</h1>",
        f'<p class="meta">reference <b>{e(s["reference"]["path"])}</b> ({s["reference"]["rows"]:,} rows) &middot; '
        f'current <b>{e(s["current"]["path"])}</b> ({s["current"]["rows"]:,} rows) &middot; spec: {e(s["spec"])}</p>',
        f'<p class="verdict">{verdict} &middot; {s["checks_run"]} checks ran</p>',
        "<h2>Findings</h2>",
        _findings_table(report),
        *_performance(report),
        "<h2>Flagged features: reference against current</h2>",
        _plots(report, plot),
        "<h2>Every check that ran</h2>",
        _checks_table(report),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_html(report: Report, path: str | Path, plot: Callable[[str], str | None]) -> None:
    Path(path).write_text(render_html(report, plot), encoding="utf-8")


def _findings_table(report: Report) -> str:
    if not report.findings:
        return "<p>No findings.</p>"
    e = html.escape
    rows = "".join(
        f'<tr><td><span class="{f.severity}">{f.severity}</span></td><td>{e(f.kind)}</td><td>{e(f.feature or "")}</td>'
        f'<td>{e(f.statistic)}</td><td class="num">{_num(f.value)}</td><td class="num">{_num(f.threshold)}</td><td>{e(f.message)}</td></tr>'
        for f in report.findings
    )
    return ("<table><thead><tr><th>severity</th><th>kind</th><th>feature</th><th>statistic</th><th>value</th>"
            f"<th>threshold</th><th>message</th></tr></thead><tbody>{rows}</tbody></table>")


def _performance(report: Report) -> list[str]:
    """The performance table: the reference's realized figure beside the current one, an estimate labelled as one."""
    if report.performance is None:
        return []
    e = html.escape
    p = report.performance.to_dict()
    est = p["basis"] == "estimated"
    caption = (f"current has no labels: its figures are <b>estimated</b> from the model's confidences (CBPE, calibrated on the "
               f"reference's {p['labels']['reference']:,} labels) over {p['estimated_predictions']:,} predictions" if est else
               f"realized on {p['labels']['reference']:,} reference and {p['labels']['current']:,} current labels")
    rows = []
    for name, m in p["metrics"].items():
        if m["current"] is None and "estimated" not in m:
            continue
        se = f" &plusmn; {1.96 * m['estimated_se']:.3f}" if "estimated_se" in m else ""
        estimated = f"{_num(m['estimated'])}{se}" if "estimated" in m else ""
        rows.append(f'<tr><td>{e(name)}</td><td class="num">{_num(m["reference"])}</td><td class="num">{_num(m["current"])}</td>'
                    f'<td class="num">{estimated}</td></tr>')
    note = f"<p>{e(p['note'])}</p>" if p["note"] else ""
    return [f"<h2>Performance ({e(p['target'])})</h2>", f'<p class="meta">{caption}</p>',
            '<table class="performance"><thead><tr><th>metric</th><th>reference (realized)</th><th>current (realized)</th>'
            f'<th>current (estimated)</th></tr></thead><tbody>{"".join(rows)}</tbody></table>{note}']


def _plots(report: Report, plot: Callable[[str], str | None]) -> str:
    figures = []
    for name in report.flagged_features:
        uri = plot(name)
        if uri is None:
            continue
        kinds = ", ".join(dict.fromkeys(f.kind for f in report.findings if f.feature == name))
        figures.append(f'<figure class="plot" data-feature="{html.escape(name)}"><img alt="{html.escape(name)}: reference against current" '
                       f'src="{uri}"><figcaption>{html.escape(name)}: {html.escape(kinds)}</figcaption></figure>')
    return f'<div class="plots">{"".join(figures)}</div>' if figures else "<p>No feature was flagged.</p>"


def _checks_table(report: Report) -> str:
    e = html.escape
    rows = "".join(
        f'<tr><td>{e(c.check)}</td><td>{e(c.feature or "")}</td><td><span class="{c.status}">{c.status}</span></td>'
        f'<td>{e(c.statistic or "")}</td><td class="num">{_num(c.value)}</td><td class="num">{_num(c.threshold)}</td><td>{e(c.detail)}</td></tr>'
        for c in report.checks
    )
    return ("<table><thead><tr><th>check</th><th>feature</th><th>status</th><th>statistic</th><th>value</th>"
            f"<th>threshold</th><th>detail</th></tr></thead><tbody>{rows}</tbody></table>")


def _num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    return f"{x:.4g}"
