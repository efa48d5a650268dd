"""report.html: the walk-forward report as one offline page, rendered from report.json alone.

Pure (a string from the document). The shell, plotly.js inlined and the render mark on
<body>, is services/common/offline_page, the one the backtest report uses.
"""

from __future__ import annotations

import html
import math
from typing import Any

import plotly.graph_objects as go

from services.common.offline_page import PAGE_CSS, figure_scripts
from services.trainer.tuning.report.charts import equity_figure, history_figure, importance_figure
from services.trainer.tuning.report.data import FOLD_COLUMNS

_PERCENT = {"total_return", "max_drawdown", "win_rate", "oos_total_return", "holdout_return"}
_CSS = PAGE_CSS + (
    "h2{margin-top:2rem;font-size:1.15rem}section{margin-top:1rem}"
    "a{color:#1f77b4}.note{color:#666;font-size:.85rem}"
)


def equity_id(trial: int) -> str:
    return f"fig-equity-{trial}"


def render_html(report: dict[str, Any]) -> str:
    """The page: headline, plan and candidate tables, then per candidate its equity chart and
    fold table, then the optimisation history and the parameter importances."""
    title = html.escape(f"Walk-forward report: study {report['study']}")
    figures: dict[str, go.Figure] = {}
    sections = []
    for candidate in report["candidates"]:
        figures[equity_id(candidate["trial"])] = equity_figure(candidate)
        sections.append(_candidate_section(candidate))
    figures["fig-history"] = history_figure(report["history"])
    importances = report["importances"]
    if importances["values"]:
        figures["fig-importances"] = importance_figure(importances["values"])
    importance_note = (
        f'<p class="note">{html.escape(importances["note"])}</p>' if importances["note"] else ""
    )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in report["notes"])
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n<p>{_headline(report)}</p>\n"
        + (f'<ul class="warnings">{notes}</ul>\n' if notes else "")
        + '<div class="tables">\n'
        + _candidate_table(report["candidates"])
        + _plan_table(report["plan"])
        + "</div>\n"
        + "".join(sections)
        + '<h2>Optimisation history</h2>\n<div id="fig-history" class="plot"></div>\n'
        + "<h2>Parameter importances</h2>\n"
        + importance_note
        + ('<div id="fig-importances" class="plot"></div>\n' if importances["values"] else "")
        + figure_scripts(figures)
        + "</body>\n</html>\n"
    )


def _headline(report: dict[str, Any]) -> str:
    trials = report["trials"]
    states = ", ".join(f"{v} {k}" for k, v in trials.items() if k != "total")
    scoring = report["scoring"]
    rule = (
        f"score = mean(s) − {scoring.get('penalty_lambda')}·std(s) of the per-fold "
        f"{scoring.get('metric')}"
    )
    return html.escape(
        f"{report['symbol']} · {trials['total']} trials ({states}) · {rule} · "
        f"written {report['written_at']}"
    )


def _candidate_table(candidates: list[dict[str, Any]]) -> str:
    head = (
        "<tr><th>rank</th><th>trial</th><th>fold score</th><th>folds' return</th>"
        "<th>holdout return</th><th>holdout trades</th><th>holdout Sharpe</th>"
        "<th>holdout max drawdown</th></tr>"
    )
    rows = []
    for c in candidates:
        metrics = c["holdout"]["metrics"]
        cells = (
            _cell("score", c["score"]),
            _cell("oos_total_return", c["oos_total_return"]),
            _cell("total_return", metrics.get("total_return")),
            _cell("trades", metrics.get("trades")),
            _cell("sharpe", metrics.get("sharpe")),
            _cell("max_drawdown", metrics.get("max_drawdown")),
        )
        link = f'<a href="#candidate-{c["trial"]}">{c["trial"]}</a>'
        rows.append(
            f"<tr><td>{c['rank']}</td><td>{link}</td>"
            + "".join(f"<td>{html.escape(v)}</td>" for v in cells)
            + "</tr>"
        )
    return (
        "<table><caption>Candidates, ranked by fold score (the holdout ranks nothing)</caption>"
        f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>\n"
    )


def _plan_table(plan: dict[str, Any]) -> str:
    rows = [
        f"<tr><th>fold {f['fold']}</th><td>{html.escape(f['train_start'])}</td>"
        f"<td>{html.escape(f['train_end'])}</td><td>{html.escape(f['test_start'])}</td>"
        f"<td>{html.escape(f['test_end'])}</td></tr>"
        for f in plan["folds"]
    ]
    holdout = plan["holdout"]
    rows.append(
        f"<tr><th>holdout</th><td></td><td></td><td>{html.escape(holdout['start'])}</td>"
        f"<td>{html.escape(holdout['end'])}</td></tr>"
    )
    return (
        "<table><caption>Walk-forward plan (UTC)</caption><thead><tr><th></th>"
        "<th>train start</th><th>train end</th><th>test start</th><th>test end</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>\n"
    )


def _candidate_section(c: dict[str, Any]) -> str:
    head = "".join(f"<th>{html.escape(k)}</th>" for k in FOLD_COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(k, f.get(k)))}</td>" for k in FOLD_COLUMNS)
        + "</tr>"
        for f in c["folds"]
    )  # fmt: skip
    params = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(_cell(k, v))}</td></tr>"
        for k, v in sorted(c["params"].items())
    )
    notes = "".join(f'<p class="note">{html.escape(n)}</p>' for n in c["notes"])
    return (
        f'<section id="candidate-{c["trial"]}">\n'
        f"<h2>Rank {c['rank']}: trial {c['trial']} (fold score {_cell('score', c['score'])})"
        "</h2>\n"
        + notes
        + f'<div id="{equity_id(c["trial"])}" class="plot"></div>\n<div class="tables">\n'
        f"<table><caption>Folds</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
        "</table>\n"
        f"<table><caption>Parameters</caption>{params}</table>\n</div>\n</section>\n"
    )


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if not math.isfinite(value):
        return "–"
    if key in _PERCENT:
        return f"{value:.2%}"
    if isinstance(value, int) or (key in ("trades", "fold") and float(value).is_integer()):
        return f"{int(value):,}"
    return f"{value:.4g}"
