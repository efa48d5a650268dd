"""The backtest report: report.json (the numbers) and report.html (an offline, interactive page).

Pure: both are built in memory from the engine's result and the figures computed from it; the
store writes them. The page is one self-contained file that works offline (the shell in
services/common/offline_page: plotly.js inlined gzip-compressed), which keeps a year of 1m bars
under ~5 MB where the plain library alone is 4.8 MB; it marks <body> when every plot has
rendered, which the benchmark reads.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from services.backtester.domain.period import iso
from services.backtester.domain.report_figures import figures
from services.common.offline_page import PAGE_CSS, figure_scripts
from services.engine.simulate import EngineResult

REPORT_KEYS = (
    "run_id",
    "symbol",
    "model_version",
    "created_at_ms",
    "period",
    "model",
    "config",
    "warnings",
    "summary",
    "robustness",
    "model_quality",
    "trades",
)
_PERCENT_KEYS = {
    "total_return",
    "cagr",
    "max_drawdown",
    "win_rate",
    "avg_trade_return",
    "expectancy",
    "avg_win",
    "avg_loss",
    "best_trade",
    "worst_trade",
    "exposure",
    "buy_hold_return",
    "buy_hold_return_gross",
    "fees_paid",
    "slippage_paid",
    "share",
    "mean_net_return",
    "mean_gross_return",
    "p5",
    "p50",
    "p95",
    "mean",
    "prob_loss",
    "share_beating",
    "strategy_total_return",
    "base_rate",
    "precision",
}
_DURATION_KEYS = {"avg_holding_ms", "max_drawdown_duration_ms"}


@dataclass(frozen=True)
class RunInfo:
    """What was run, on which model and data: everything the report states besides results.

    `period` holds start_ms/end_ms (the requested half-open range), first_bar_ms, last_bar_ms
    and source ("test_range" or "request"); `model` the registry facts (feature_set_id, data and
    test ranges, label); `config` the resolved trading rule.
    """

    run_id: str
    symbol: str
    model_version: str
    created_at_ms: int
    period: dict[str, Any]
    model: dict[str, Any]
    config: dict[str, Any]
    warnings: tuple[str, ...] = field(default=())


def build_report(
    info: RunInfo,
    result: EngineResult,
    summary: dict[str, Any],
    robustness: dict[str, Any],
    quality: dict[str, Any],
) -> dict[str, Any]:
    """The report.json document: strict JSON (no NaN; undefined values are null), times int ms.

    `summary` is services.engine.metrics.summarize(result), `robustness`
    services.engine.robustness.assess(result), `quality`
    services.backtester.domain.model_quality.model_quality(...).
    """
    return {
        "run_id": info.run_id,
        "symbol": info.symbol,
        "model_version": info.model_version,
        "created_at_ms": info.created_at_ms,
        "period": dict(info.period),
        "model": dict(info.model),
        "config": dict(info.config),
        "warnings": list(info.warnings),
        "summary": summary,
        "robustness": robustness,
        "model_quality": quality,
        "trades": trade_records(result.trades),
    }


def trade_records(trades: pl.DataFrame) -> list[dict[str, Any]]:
    """Every trade as a dict: Datetime columns as `<name>_ms` (int Unix ms), NaN as None."""
    columns = []
    for name, dtype in trades.schema.items():
        if isinstance(dtype, pl.Datetime):
            columns.append(pl.col(name).dt.epoch("ms").alias(f"{name}_ms"))
        elif dtype.is_float():
            columns.append(pl.col(name).fill_nan(None))
        else:
            columns.append(pl.col(name))
    return trades.select(columns).to_dicts()


def render_html(
    info: RunInfo,
    result: EngineResult,
    summary: dict[str, Any],
    robustness: dict[str, Any],
    quality: dict[str, Any],
) -> str:
    """The report page: headline facts, the tables, then the figures (see report_figures)."""
    title = html.escape(f"Backtest {info.run_id}")
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in info.warnings)
    plots = figures(result, quality)
    divs = "".join(f'<div id="{name}" class="plot"></div>\n' for name in plots)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{PAGE_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n<p>{html.escape(info.symbol)} &middot; model "
        f"{html.escape(info.model_version)} &middot; {_period_line(info.period)}</p>\n"
        + (f'<ul class="warnings">{warnings}</ul>\n' if warnings else "")
        + '<div class="tables">\n'
        + _tables(info, summary, robustness, quality)
        + "</div>\n"
        + divs
        + figure_scripts(plots)
        + "</body>\n</html>\n"
    )


def _tables(
    info: RunInfo, summary: dict[str, Any], robustness: dict[str, Any], quality: dict[str, Any]
) -> str:
    costs = _grid(
        "Performance",
        {"with costs": summary["with_costs"], "without costs": summary["without_costs"]},
    )
    by_side = {}
    for side in ("long", "short"):
        by_side[side] = summary[side]["with_costs"]
        by_side[f"{side}, no costs"] = summary[side]["without_costs"]
    sides = _grid("By side", by_side)
    reasons = _grid("Exit reasons", summary["exit_reasons"], transpose=True)
    boot, rand = robustness.get("bootstrap", {}), robustness.get("random_entries", {})
    robust_rows = {
        f"bootstrap total return {p}": boot.get("total_return", {}).get(p)
        for p in ("p5", "p50", "p95")
    }
    robust_rows |= {
        f"bootstrap max drawdown {p}": boot.get("max_drawdown", {}).get(p)
        for p in ("p5", "p50", "p95")
    }
    robust_rows |= {
        "bootstrap prob_loss": boot.get("prob_loss"),
        "bootstrap samples": boot.get("samples"),
        "random entries share_beating": rand.get("share_beating"),
        "random entries p50": rand.get("total_return", {}).get("p50"),
        "random entries p95": rand.get("total_return", {}).get("p95"),
        "random entries runs": rand.get("runs"),
        "strategy_total_return": rand.get("strategy_total_return"),
    }
    robust = _table("Robustness", {k: _format(k.split()[-1], v) for k, v in robust_rows.items()})
    sides_quality = {
        side: {
            "rows": q.get("rows"),
            "base_rate": q.get("base_rate"),
            "auc": q.get("auc"),
            "brier": q.get("brier"),
            "gate fired": (q.get("precision_at_gate") or {}).get("fired"),
            "precision": (q.get("precision_at_gate") or {}).get("precision"),
        }
        for side, q in quality.items()
        if isinstance(q, dict)
    }
    model = _grid("Model quality", sides_quality) if sides_quality else ""
    importance = quality.get("feature_importance") or []
    top = _table(
        "Feature importance (gain, top 15)",
        {row["feature"]: f"{row['share']:.1%}" for row in importance[:15]},
    )
    rule = _table("Trading rule", {k: str(v) for k, v in info.config.items()})
    period = _table("Period", {k: _format_period(k, v) for k, v in info.period.items()})
    return costs + sides + reasons + robust + model + (top if importance else "") + rule + period


def _grid(caption: str, columns: dict[str, dict[str, Any]], transpose: bool = False) -> str:
    """A table with one column per key of `columns` (rows: the union of their keys), or with
    one row per key when `transpose`."""
    if transpose:
        names = list(next(iter(columns.values()), {}))
        head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
        body = "".join(
            f"<tr><th>{html.escape(key)}</th>"
            + "".join(f"<td>{html.escape(_format(n, row.get(n)))}</td>" for n in names)
            + "</tr>"
            for key, row in columns.items()
        )
    else:
        head = "".join(f"<th>{html.escape(n)}</th>" for n in columns)
        keys = list(dict.fromkeys(k for col in columns.values() for k in col))
        body = "".join(
            f"<tr><th>{html.escape(k)}</th>"
            + "".join(f"<td>{html.escape(_format(k, col.get(k)))}</td>" for col in columns.values())
            + "</tr>"
            for k in keys
        )
    return (
        f"<table><caption>{html.escape(caption)}</caption>"
        f"<thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>\n"
    )


def _format(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if not isinstance(value, int | float):
        return str(value)
    if not math.isfinite(value):
        return "–"
    if key in _PERCENT_KEYS:
        return f"{value:.2%}"
    if key in _DURATION_KEYS:
        return _duration(float(value))
    if float(value).is_integer():  # counts (trades, bars) read as counts, not 2.693e+04
        return f"{int(value):,}"
    return f"{value:.4g}"


def _duration(ms: float) -> str:
    minutes = ms / 60_000.0
    if minutes < 120:
        return f"{minutes:.0f} min"
    if minutes < 2 * 1440:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


def _format_period(key: str, value: Any) -> str:
    if key.endswith("_ms") and isinstance(value, int) and value > 0:
        return iso(value)
    return str(value)


def _period_line(period: dict[str, Any]) -> str:
    first, last = period.get("first_bar_ms"), period.get("last_bar_ms")
    if isinstance(first, int) and isinstance(last, int) and first > 0:
        return html.escape(f"{iso(first)} to {iso(last)}")
    return ""


def _table(caption: str, rows: dict[str, str]) -> str:
    body = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows.items()
    )
    return f"<table><caption>{html.escape(caption)}</caption>{body}</table>\n"
