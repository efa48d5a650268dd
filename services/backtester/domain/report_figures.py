"""The report's Plotly figures, built to stay light on a year of 1m bars.

Lines are SVG (drawn from at most MAX_LINE_POINTS points, picked per bucket as its minimum
and maximum so spikes survive); trade markers are exact (one per entry and per exit, never
dropped) and WebGL, which draws tens of thousands of them at once.
Times are float Unix ms on date axes, and arrays are numpy (float32 where a price or ratio
needs no more), which plotly serialises as compact base64 typed arrays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from services.engine.metrics import drawdown
from services.engine.simulate import EngineResult
from services.research import equity_curve

MAX_LINE_POINTS = 10_000
HISTOGRAM_BINS = 60
SIDE_COLOURS = {"long": "#1a9850", "short": "#d73027"}
REASON_COLOURS = {
    "stop": "#d62728",
    "take_profit": "#2ca02c",
    "time": "#7f7f7f",
    "signal": "#ff7f0e",
    "end": "#9467bd",
}
_TEMPLATE = "plotly_white"
_MARGIN = {"l": 60, "r": 20, "t": 50, "b": 40}


def downsample_indices(values: np.ndarray, max_points: int = MAX_LINE_POINTS) -> np.ndarray:
    """The shared shape-keeping downsampling (research.equity_curve), at this page's size."""
    return equity_curve.downsample_indices(values, max_points)


def figures(result: EngineResult, quality: dict[str, Any]) -> dict[str, go.Figure]:
    """The page's figures by element id, in page order."""
    return {
        "fig-time": time_figure(result),
        "fig-returns": returns_histogram(result.trades),
        "fig-monthly": monthly_returns(result.equity),
        "fig-reliability": reliability_figure(quality),
    }


def time_figure(result: EngineResult) -> go.Figure:
    """Price with every entry (by side) and exit (by reason), equity with and without costs,
    and drawdown, on one shared time axis."""
    curve, trades = result.equity, result.trades
    times = curve["open_time"].dt.epoch("ms").to_numpy().astype(np.float64)
    net, gross = curve["equity"].to_numpy(), curve["equity_gross"].to_numpy()
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.05,
        row_heights=[0.5, 0.3, 0.2],
        subplot_titles=("Close, entries and exits", "Equity (start = 1.0)", "Drawdown"),
    )
    lines = (
        (1, "close", curve["close"].to_numpy(), "#444", "solid"),
        (2, "equity (with costs)", net, "#1f77b4", "solid"),
        (2, "equity (without costs)", gross, "#1f77b4", "dot"),
        (3, "drawdown (with costs)", drawdown(net), "#d62728", "solid"),
        (3, "drawdown (without costs)", drawdown(gross), "#d62728", "dot"),
    )
    for row, name, values, colour, dash in lines:
        keep = downsample_indices(values)
        fig.add_trace(
            go.Scatter(
                x=times[keep],
                y=values[keep].astype(np.float32),
                mode="lines",
                name=name,
                line={"color": colour, "dash": dash, "width": 1.2},
            ),
            row=row,
            col=1,
        )
    for trace in _marker_traces(trades):
        fig.add_trace(trace, row=1, col=1)
    fig.update_xaxes(type="date")
    fig.update_yaxes(tickformat=".1%", row=3, col=1)
    fig.update_layout(
        template=_TEMPLATE,
        height=900,
        margin=_MARGIN,
        hovermode="closest",
        legend={"orientation": "h", "y": -0.04},
    )
    return fig


def _marker_traces(trades: pl.DataFrame) -> list[go.Scattergl]:
    traces = []
    for side, symbol in (("long", "triangle-up"), ("short", "triangle-down")):
        rows = trades.filter(pl.col("side") == side)
        traces.append(
            go.Scattergl(
                x=rows["entry_time"].dt.epoch("ms").to_numpy().astype(np.float64),
                y=rows["entry_price"].to_numpy(),
                mode="markers",
                name=f"{side} entry",
                marker={"symbol": symbol, "color": SIDE_COLOURS[side], "size": 8},
                customdata=rows.select("probability", "expected_value")
                .to_numpy()
                .astype(np.float32),
                hovertemplate=f"{side} entry %{{x}}<br>price %{{y:,.2f}}<br>"
                "p %{customdata[0]:.3f} · EV %{customdata[1]:.3%}<extra></extra>",
            )
        )
    for reason in (*REASON_COLOURS, *sorted(set(trades["exit_reason"]) - set(REASON_COLOURS))):
        rows = trades.filter(pl.col("exit_reason") == reason)
        if rows.height == 0:
            continue
        traces.append(
            go.Scattergl(
                x=rows["exit_time"].dt.epoch("ms").to_numpy().astype(np.float64),
                y=rows["exit_price"].to_numpy(),
                mode="markers",
                name=f"exit: {reason}",
                marker={
                    "symbol": "circle",
                    "color": REASON_COLOURS.get(reason, "#17becf"),
                    "size": 7,
                    "line": {"width": 1, "color": "white"},
                },
                customdata=rows.select("net_return", "bars_held").to_numpy().astype(np.float32),
                hovertemplate=f"exit ({reason}) %{{x}}<br>price %{{y:,.2f}}<br>"
                "net %{customdata[0]:+.2%} · held %{customdata[1]:.0f} bars<extra></extra>",
            )
        )
    return traces


def returns_histogram(trades: pl.DataFrame) -> go.Figure:
    """Trade returns with and without costs, on shared bins (pre-binned: the page carries the
    counts, not every trade)."""
    net, gross = trades["net_return"].to_numpy(), trades["gross_return"].to_numpy()
    both = np.concatenate((net, gross))
    edges = np.histogram_bin_edges(both if len(both) else np.zeros(1), bins=HISTOGRAM_BINS)
    centres, width = (edges[:-1] + edges[1:]) / 2.0, float(edges[1] - edges[0])
    fig = go.Figure()
    for name, values, colour in (("with costs", net, "#1f77b4"), ("without costs", gross, "#aaa")):
        counts, _ = np.histogram(values, bins=edges)
        fig.add_trace(
            go.Bar(x=centres, y=counts, width=width, name=name, marker_color=colour, opacity=0.7)
        )
    fig.update_layout(
        template=_TEMPLATE,
        barmode="overlay",
        title="Trade returns",
        xaxis={"tickformat": ".2%", "title": "return per trade"},
        yaxis={"title": "trades"},
        height=380,
        margin=_MARGIN,
    )
    return fig


def monthly_table(curve: pl.DataFrame) -> pl.DataFrame:
    """year, month and the net and gross return of each calendar month (UTC) with bars."""
    months = (
        curve.group_by_dynamic("open_time", every="1mo")
        .agg(pl.col("equity").last(), pl.col("equity_gross").last())
        .sort("open_time")
    )
    return months.select(
        pl.col("open_time").dt.year().alias("year"),
        pl.col("open_time").dt.month().alias("month"),
        (pl.col("equity") / pl.col("equity").shift(1, fill_value=1.0) - 1.0).alias("net"),
        (pl.col("equity_gross") / pl.col("equity_gross").shift(1, fill_value=1.0) - 1.0).alias(
            "gross"
        ),
    )


def monthly_returns(curve: pl.DataFrame) -> go.Figure:
    """A year x month heatmap of monthly returns with costs (hover: without costs too)."""
    table = monthly_table(curve)
    years = sorted(set(table["year"].to_list()))
    z = np.full((len(years), 12), np.nan)
    gross = np.full((len(years), 12), np.nan)
    for year, month, net_return, gross_return in table.iter_rows():
        z[years.index(year), month - 1] = net_return
        gross[years.index(year), month - 1] = gross_return
    text = [[f"{v:+.1%}" if math.isfinite(v) else "" for v in row] for row in z]
    limit = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 0.01
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
            y=[str(y) for y in years],
            text=text,
            texttemplate="%{text}",
            customdata=gross,
            colorscale="RdYlGn",
            zmid=0.0,
            zmin=-limit,
            zmax=limit,
            colorbar={"tickformat": ".0%"},
            hovertemplate="%{y} %{x}: %{z:+.2%} with costs, %{customdata:+.2%} without"
            "<extra></extra>",
        )
    )
    fig.update_layout(
        template=_TEMPLATE,
        title="Monthly returns (with costs)",
        height=140 + 60 * len(years),
        margin=_MARGIN,
        yaxis={"type": "category", "autorange": "reversed"},
    )
    return fig


def reliability_figure(quality: dict[str, Any]) -> go.Figure:
    """Observed rate against mean predicted probability per decile, per side, and the diagonal
    a calibrated model would follow."""
    fig = go.Figure(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="calibrated",
            line={"color": "#bbb", "dash": "dash"},
        )
    )
    for side, figures_ in quality.items():
        if not isinstance(figures_, dict) or not figures_.get("reliability"):
            continue
        table = figures_["reliability"]
        fig.add_trace(
            go.Scatter(
                x=[row["mean_p"] for row in table],
                y=[row["observed_rate"] for row in table],
                customdata=[row["count"] for row in table],
                mode="lines+markers",
                name=side,
                line={"color": SIDE_COLOURS.get(side, "#1f77b4")},
                hovertemplate=f"{side}: mean p %{{x:.3f}}, observed %{{y:.3f}}"
                " (%{customdata:.0f} bars)<extra></extra>",
            )
        )
    fig.update_layout(
        template=_TEMPLATE,
        title="Reliability (by decile of p)",
        xaxis={"title": "mean predicted p", "range": [0, 1]},
        yaxis={"title": "observed rate of label 1", "range": [0, 1]},
        height=380,
        margin=_MARGIN,
    )
    return fig
