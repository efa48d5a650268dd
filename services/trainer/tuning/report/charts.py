"""The walk-forward report's Plotly figures, drawn from the report.json document alone (so the
page shows exactly what the JSON says).

Times are float Unix ms on date axes, as in the backtest report; curves are already compact
(at most a few hundred points per fold), so no further downsampling happens here.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

OOS_COLOUR = "#1f77b4"
HOLDOUT_COLOUR = "#ff7f0e"
BEST_COLOUR = "#2ca02c"
_TEMPLATE = "plotly_white"
_MARGIN = {"l": 60, "r": 20, "t": 50, "b": 40}


def equity_figure(candidate: dict[str, Any]) -> go.Figure:
    """The folds' out-of-sample equity stitched end to end, then the holdout, shaded and in
    its own colour. The holdout line continues from where the folds ended (its own return is
    in the hover), so the eye reads one path through time without taking it for the folds."""
    fig = go.Figure()
    segments = candidate["oos_equity"]
    times: list[float] = []
    values: list[float] = []
    folds: list[int] = []
    for segment in segments:
        times += [float(t) for t in segment["time_ms"]]
        values += segment["equity"]
        folds += [segment["fold"]] * len(segment["time_ms"])
    if segments:
        fig.add_trace(
            go.Scatter(
                x=times,
                y=values,
                customdata=folds,
                mode="lines",
                name="folds, out-of-sample, stitched",
                line={"color": OOS_COLOUR, "width": 1.5},
                hovertemplate="fold %{customdata}: %{y:.4f}<extra></extra>",
            )
        )
        for segment in segments:
            fig.add_vline(
                x=float(segment["time_ms"][0]),
                line={"color": "#999", "dash": "dot", "width": 1},
                annotation_text=f"fold {segment['fold']}",
                annotation_position="top left",
            )
    holdout = candidate.get("holdout_equity")
    if holdout and holdout["time_ms"]:
        start = values[-1] if values else 1.0
        x = [float(t) for t in holdout["time_ms"]]
        fig.add_vrect(
            x0=x[0],
            x1=x[-1],
            fillcolor=HOLDOUT_COLOUR,
            opacity=0.08,
            line_width=0,
            annotation_text="holdout (never seen by the study)",
            annotation_position="top right",
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[start * v for v in holdout["equity"]],
                customdata=[v - 1.0 for v in holdout["equity"]],
                mode="lines",
                name="holdout (candidate's own fit), from the folds' end",
                line={"color": HOLDOUT_COLOUR, "width": 1.8},
                hovertemplate="holdout: %{customdata:+.2%} since its start<extra></extra>",
            )
        )
    fig.add_hline(y=1.0, line={"color": "#ccc", "width": 1})
    fig.update_xaxes(type="date")
    fig.update_layout(
        template=_TEMPLATE,
        title=f"Trial {candidate['trial']}: equity out of sample (start = 1.0)",
        yaxis={"title": "equity"},
        height=380,
        margin=_MARGIN,
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def history_figure(history: list[dict[str, Any]]) -> go.Figure:
    """Each complete trial's score by trial number, and the best score so far."""
    complete = [row for row in history if row["value"] is not None]
    best = [row for row in history if row["best_so_far"] is not None]
    others = len(history) - len(complete)
    fig = go.Figure(
        [
            go.Scatter(
                x=[row["trial"] for row in complete],
                y=[row["value"] for row in complete],
                mode="markers",
                name="complete trial",
                marker={"color": OOS_COLOUR, "size": 7},
                hovertemplate="trial %{x}: %{y:.4f}<extra></extra>",
            ),
            go.Scatter(
                x=[row["trial"] for row in best],
                y=[row["best_so_far"] for row in best],
                mode="lines",
                line={"color": BEST_COLOUR, "shape": "hv"},
                name="best so far",
                hovertemplate="best after trial %{x}: %{y:.4f}<extra></extra>",
            ),
        ]
    )
    fig.update_layout(
        template=_TEMPLATE,
        title=f"Optimisation history ({len(complete)} complete, {others} pruned or failed)",
        # Trial numbers are integers: at most ~12 ticks, never between two trials.
        xaxis={"title": "trial", "tick0": 0, "dtick": max(1, math.ceil(len(history) / 12))},
        yaxis={"title": "fold score"},
        height=380,
        margin=_MARGIN,
    )
    return fig


def importance_figure(values: list[dict[str, Any]]) -> go.Figure:
    """Parameter importances as horizontal bars, the most important on top."""
    ordered = list(reversed(values))
    fig = go.Figure(
        go.Bar(
            x=[row["importance"] for row in ordered],
            y=[row["param"] for row in ordered],
            orientation="h",
            marker_color=OOS_COLOUR,
            hovertemplate="%{y}: %{x:.1%}<extra></extra>",
        )
    )
    fig.update_layout(
        template=_TEMPLATE,
        title="Parameter importances (optuna PED-ANOVA, shares summing to 1)",
        xaxis={"tickformat": ".0%"},
        height=160 + 24 * len(values),
        margin={**_MARGIN, "l": 200},
    )
    return fig
