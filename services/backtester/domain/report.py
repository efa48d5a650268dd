"""The backtest report: report.json (the numbers) and report.html (an offline, interactive page).

Pure: both are built in memory from the simulation; the store writes them.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from services.backtester.domain.metrics import drawdown
from services.backtester.domain.period import iso
from services.engine.fixed_hold import Simulation

MAX_LINE_POINTS = 20_000
"""Lines are decimated to about this many points each so the page stays a few MB; trade
markers are never dropped."""
REPORT_KEYS = (
    "run_id",
    "symbol",
    "model_version",
    "created_at_ms",
    "period",
    "model",
    "config",
    "summary",
    "warnings",
    "trades",
)
_PERCENT_KEYS = {
    "total_return",
    "max_drawdown",
    "win_rate",
    "avg_trade_return",
    "exposure",
    "buy_hold_return",
    "fees_paid",
    "slippage_paid",
}


@dataclass(frozen=True)
class RunInfo:
    """What was run, on which model and data: everything the report states besides results.

    `period` holds start_ms/end_ms (the requested half-open range), first_bar_ms, last_bar_ms
    and source ("test_range" or "request"); `model` the registry facts (feature_set_id,
    threshold, data and test ranges, label); `config` the resolved trading rule.
    """

    run_id: str
    symbol: str
    model_version: str
    created_at_ms: int
    period: dict[str, Any]
    model: dict[str, Any]
    config: dict[str, Any]
    warnings: tuple[str, ...] = field(default=())


def build_report(info: RunInfo, sim: Simulation, summary: dict[str, float]) -> dict[str, Any]:
    """The report.json document (JSON-able; times are int ms UTC)."""
    time_cols = [name for name, dtype in sim.trades.schema.items() if dtype == pl.Datetime]
    trades = sim.trades.with_columns(
        pl.col(name).dt.epoch("ms").alias(f"{name}_ms") for name in time_cols
    ).drop(time_cols)
    return {
        "run_id": info.run_id,
        "symbol": info.symbol,
        "model_version": info.model_version,
        "created_at_ms": info.created_at_ms,
        "period": dict(info.period),
        "model": dict(info.model),
        "config": dict(info.config),
        "summary": dict(summary),
        "warnings": list(info.warnings),
        "trades": trades.to_dicts(),
    }


def downsample_indices(values: np.ndarray, max_points: int = MAX_LINE_POINTS) -> np.ndarray:
    """Indices that keep the shape of a line: the min and max of each of ~max_points/2 equal
    buckets, plus the first and last point, in order. All indices when the line is short."""
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, (max_points - 2) // 2)
    size = math.ceil(n / buckets)
    padded = np.concatenate((values, np.full(buckets * size - n, values[-1])))
    grid = padded.reshape(buckets, size)
    base = np.arange(buckets) * size
    picks = np.concatenate((base + grid.argmin(axis=1), base + grid.argmax(axis=1), [0, n - 1]))
    result: np.ndarray = np.unique(np.minimum(picks, n - 1))
    return result


def render_html(info: RunInfo, sim: Simulation, summary: dict[str, float]) -> str:
    """A self-contained page (plotly.js inlined, works offline): price with entry/exit
    markers, equity and drawdown on a shared time axis, and the summary table."""
    figure = build_figure(sim, info)
    plot = str(figure.to_html(include_plotlyjs=True, full_html=False, default_height="900px"))
    title = html.escape(f"Backtest {info.run_id}")
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in info.warnings)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n"
        f"<p>{html.escape(info.symbol)} &middot; model {html.escape(info.model_version)}</p>\n"
        + (f'<ul class="warnings">{warnings}</ul>\n' if warnings else "")
        + '<div class="tables">\n'
        + _table("Summary", {k: _format(k, v) for k, v in summary.items()})
        + _table("Trading rule", {k: str(v) for k, v in info.config.items()})
        + _table("Period", {k: _format_period(k, v) for k, v in info.period.items()})
        + "</div>\n"
        + plot
        + "\n</body>\n</html>\n"
    )


def build_figure(sim: Simulation, info: RunInfo) -> go.Figure:
    """Price with every entry and exit marker, equity and drawdown, on one time axis."""
    curve = sim.equity
    times = curve["open_time"].to_numpy()
    close = curve["close"].to_numpy()
    equity = curve["equity"].to_numpy()
    under = drawdown(equity)
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        row_heights=[0.5, 0.3, 0.2],
        subplot_titles=("Close with entries and exits", "Equity (start = 1.0)", "Drawdown"),
    )
    for row, name, values in ((1, "close", close), (2, "equity", equity), (3, "drawdown", under)):
        keep = downsample_indices(values)
        fig.add_trace(
            go.Scattergl(x=times[keep], y=values[keep], mode="lines", name=name), row=row, col=1
        )
    trades = sim.trades
    returns = trades["net_return"].to_numpy()
    fig.add_trace(
        go.Scattergl(
            x=trades["entry_time"].to_numpy(),
            y=trades["entry_price"].to_numpy(),
            mode="markers",
            name="entry",
            marker={"symbol": "triangle-up", "color": "#2ca02c", "size": 9},
            text=[f"p={p:.3f}" for p in trades["probability"].to_list()],
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scattergl(
            x=trades["exit_time"].to_numpy(),
            y=trades["exit_price"].to_numpy(),
            mode="markers",
            name="exit",
            marker={"symbol": "triangle-down", "color": "#d62728", "size": 9},
            text=[f"net {r:+.3%}" for r in returns],
        ),
        row=1,
        col=1,
    )
    fig.update_layout(
        title=f"{info.symbol} backtest of {info.model_version}",
        hovermode="x unified",
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
    )
    fig.update_yaxes(tickformat=".1%", row=3, col=1)
    return fig


def _format(key: str, value: float) -> str:
    if key in _PERCENT_KEYS:
        return f"{value:.2%}"
    if float(value).is_integer():  # counts (trades, bars) read as counts, not 2.693e+04
        return f"{int(value):,}"
    return f"{value:.4g}"


def _format_period(key: str, value: Any) -> str:
    if key.endswith("_ms") and isinstance(value, int) and value > 0:
        return iso(value)
    return str(value)


def _table(caption: str, rows: dict[str, str]) -> str:
    body = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows.items()
    )
    return f"<table><caption>{html.escape(caption)}</caption>{body}</table>\n"


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}"
    ".tables{display:flex;gap:2rem;flex-wrap:wrap;align-items:flex-start}"
    "table{border-collapse:collapse;font-size:.9rem}caption{font-weight:600;text-align:left}"
    "th,td{border-bottom:1px solid #ddd;padding:.2rem .6rem;text-align:left}"
    "td{font-variant-numeric:tabular-nums}.warnings{color:#a60;font-weight:600}"
)
