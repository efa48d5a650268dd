"""Classification metrics of predicted probabilities against 0/1 labels (numpy only)."""

from __future__ import annotations

import numpy as np

from services.common.errors import InvalidInput

LOG_LOSS_EPS = 1e-15


def _labels(y_true: np.ndarray) -> np.ndarray:
    y = np.asarray(y_true, dtype=np.float64).ravel()
    if y.size and not np.all((y == 0.0) | (y == 1.0)):
        raise InvalidInput("labels must be 0 or 1")
    return y


def auc(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Area under the ROC curve via the rank-sum (Mann-Whitney U) statistic; tied scores get
    their average rank, i.e. a tied positive/negative pair counts one half.

    Raises InvalidInput when only one class is present (AUC is undefined then).
    """
    y = _labels(y_true)
    p = np.asarray(proba, dtype=np.float64).ravel()
    n_pos = int(y.sum())
    n_neg = int(y.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        raise InvalidInput("AUC needs both positive and negative labels in the evaluated period")
    _, inverse, counts = np.unique(p, return_inverse=True, return_counts=True)
    last_rank = np.cumsum(counts).astype(np.float64)  # ranks are 1-based
    average_rank = last_rank - (counts - 1) / 2.0
    ranks = average_rank[inverse]
    rank_sum = float(ranks[y == 1.0].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def log_loss(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Mean binary cross-entropy (natural log), probabilities clipped to [eps, 1 - eps]."""
    y = _labels(y_true)
    if y.size == 0:
        raise InvalidInput("log loss of no rows is undefined")
    p = np.clip(np.asarray(proba, dtype=np.float64).ravel(), LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def at_threshold(y_true: np.ndarray, proba: np.ndarray, threshold: float) -> dict[str, float]:
    """Precision, recall, accuracy with `proba >= threshold` as a positive call, plus the label
    base rate and the rate of positive calls. Precision (recall) is 0 with no positive calls
    (labels)."""
    y = _labels(y_true).astype(bool)
    if y.size == 0:
        raise InvalidInput("threshold metrics of no rows are undefined")
    called = np.asarray(proba, dtype=np.float64).ravel() >= threshold
    tp = int(np.sum(called & y))
    fp = int(np.sum(called & ~y))
    fn = int(np.sum(~called & y))
    return {
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "accuracy": float(np.mean(called == y)),
        "positive_rate": float(np.mean(y)),
        "predicted_positive_rate": float(np.mean(called)),
    }


def evaluate(y_true: np.ndarray, proba: np.ndarray, threshold: float) -> dict[str, float]:
    """Every metric above in one dict (keys: auc, log_loss, precision, recall, accuracy,
    positive_rate, predicted_positive_rate)."""
    return {
        "auc": auc(y_true, proba),
        "log_loss": log_loss(y_true, proba),
        **at_threshold(y_true, proba, threshold),
    }
