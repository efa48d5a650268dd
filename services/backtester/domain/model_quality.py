"""How good were the model's probabilities on the backtest period? Pure functions on arrays.

Rows whose label is missing (NaN or null) or whose probability is missing (NaN) are left out
of every figure. A figure that the data cannot define (AUC with one class only, anything on no
rows) is None (JSON null), never NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import lightgbm
import numpy as np

RELIABILITY_BINS = 10


def auc(labels: np.ndarray, probabilities: np.ndarray) -> float | None:
    """Area under the ROC curve, from ranks (Mann-Whitney U; tied probabilities share their
    average rank, so a tie between a positive and a negative counts a half)."""
    y, p = _valid(labels, probabilities)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = _average_ranks(p)
    u = float(ranks[y == 1].sum()) - positives * (positives + 1) / 2.0
    return u / (positives * negatives)


def brier_score(labels: np.ndarray, probabilities: np.ndarray) -> float | None:
    """Mean squared difference between probability and outcome (0 is perfect, 0.25 is p=0.5)."""
    y, p = _valid(labels, probabilities)
    return float(np.mean((p - y) ** 2)) if len(y) else None


def reliability_table(
    labels: np.ndarray, probabilities: np.ndarray, bins: int = RELIABILITY_BINS
) -> list[dict[str, float]]:
    """Predicted against observed by decile of p: the rows sorted by probability and cut into
    `bins` groups of (nearly) equal count; per group its count, the lowest, highest and mean p
    and the observed rate of label 1. Fewer rows than groups: one group per row; none (every
    signal gated out, or no label known): an empty table."""
    y, p = _valid(labels, probabilities)
    if not len(p):
        return []
    order = np.argsort(p, kind="stable")
    table = []
    for index, chunk in enumerate(np.array_split(order, min(bins, len(order)))):
        table.append(
            {
                "bin": float(index + 1),
                "count": float(len(chunk)),
                "p_min": float(p[chunk].min()),
                "p_max": float(p[chunk].max()),
                "mean_p": float(p[chunk].mean()),
                "observed_rate": float(y[chunk].mean()),
            }
        )
    return table


def precision_at_gate(labels: np.ndarray, fired: np.ndarray) -> dict[str, float | None]:
    """Of the bars where the engine's EV gate fired on a side (`fired`, bool per bar), the share
    whose label was 1: {"fired": bars fired, "labelled": of them with a label, "hits": label 1,
    "precision": hits / labelled}."""
    y = np.asarray(labels, dtype=np.float64)
    gate = np.asarray(fired, dtype=bool)
    known = gate & ~np.isnan(y)
    hits = int(np.sum(y[known] == 1.0))
    labelled = int(known.sum())
    return {
        "fired": float(gate.sum()),
        "labelled": float(labelled),
        "hits": float(hits),
        "precision": hits / labelled if labelled else None,
    }


def side_quality(
    labels: np.ndarray, probabilities: np.ndarray, fired: np.ndarray | None = None
) -> dict[str, Any]:
    """Every figure of one side's probabilities (`fired`: where its gate fired, if known)."""
    y, p = _valid(labels, probabilities)
    return {
        "rows": len(y),
        "base_rate": float(y.mean()) if len(y) else None,
        "mean_p": float(p.mean()) if len(p) else None,
        "auc": auc(labels, probabilities),
        "brier": brier_score(labels, probabilities),
        "reliability": reliability_table(labels, probabilities),
        "precision_at_gate": precision_at_gate(labels, fired) if fired is not None else None,
    }


def feature_importance(
    booster: lightgbm.Booster, names: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Total gain of every feature's splits, largest first, with its share of all gain."""
    gain = np.asarray(booster.feature_importance(importance_type="gain"), dtype=np.float64)
    features = list(names) if names is not None else list(booster.feature_name())
    total = float(gain.sum())
    order = np.argsort(-gain, kind="stable")
    return [
        {
            "feature": features[i],
            "gain": float(gain[i]),
            "share": float(gain[i]) / total if total > 0 else 0.0,
        }
        for i in order
    ]


def model_quality(
    sides: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]],
    booster: lightgbm.Booster | None = None,
    names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The report's `model_quality`: per side (e.g. "long", "short") its (labels,
    probabilities, fired) figures, and the booster's gain importance (empty without one)."""
    quality: dict[str, Any] = {side: side_quality(*arrays) for side, arrays in sides.items()}
    quality["feature_importance"] = (
        feature_importance(booster, names) if booster is not None else []
    )
    return quality


def _valid(labels: np.ndarray, probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=np.float64)  # a polars/numpy null arrives as NaN
    p = np.asarray(probabilities, dtype=np.float64)
    keep = ~(np.isnan(y) | np.isnan(p))
    return y[keep], p[keep]


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties given the mean of the ranks they span."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(values)]
    mean_rank = (starts + ends + 1) / 2.0  # ranks starts+1 .. ends, averaged
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks
