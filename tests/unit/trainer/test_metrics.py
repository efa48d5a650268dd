"""Metrics against hand-computed values and a brute-force pairwise AUC."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.errors import InvalidInput
from services.trainer.domain import metrics


def test_auc_counts_ordered_pairs() -> None:
    # positives .35, .8; negatives .1, .4: pairs won = (.35>.1), (.8>.1), (.8>.4) = 3 of 4
    assert metrics.auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75


def test_auc_counts_a_tie_as_half() -> None:
    # positives .5, .9; negatives .5, .2: (.5=.5) 0.5 + (.5>.2) + (.9>.5) + (.9>.2) = 3.5 of 4
    y = np.array([0, 1, 0, 1])
    assert metrics.auc(y, np.array([0.5, 0.5, 0.2, 0.9])) == 0.875
    assert metrics.auc(y, np.full(4, 0.3)) == 0.5


def test_auc_is_undefined_with_one_class() -> None:
    with pytest.raises(InvalidInput):
        metrics.auc(np.array([1, 1, 1]), np.array([0.1, 0.2, 0.3]))


def _pairwise_auc(y: np.ndarray, p: np.ndarray) -> float:
    pos, neg = p[y == 1], p[y == 0]
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


@settings(max_examples=200, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 6).map(lambda v: v / 6)),
        min_size=2,
        max_size=40,
    )
)
def test_auc_matches_brute_force_pair_counting(pairs: list[tuple[int, float]]) -> None:
    y = np.array([a for a, _ in pairs])
    p = np.array([b for _, b in pairs])
    if y.min() == y.max():
        return
    assert metrics.auc(y, p) == pytest.approx(_pairwise_auc(y, p), abs=1e-12)


def test_log_loss_by_hand() -> None:
    # -(ln 0.8 + ln 0.7) / 2 = (0.2231435513 + 0.3566749439) / 2
    assert metrics.log_loss(np.array([1, 0]), np.array([0.8, 0.3])) == pytest.approx(
        0.2899092476, abs=1e-9
    )


def test_log_loss_clips_certain_mistakes() -> None:
    assert metrics.log_loss(np.array([0]), np.array([0.0])) == pytest.approx(0.0, abs=1e-12)
    assert metrics.log_loss(np.array([1]), np.array([0.0])) == pytest.approx(
        -math.log(1e-15), rel=1e-9
    )


def test_threshold_metrics_by_hand() -> None:
    y = np.array([1, 1, 0, 0, 1, 0])
    p = np.array([0.9, 0.4, 0.6, 0.2, 0.55, 0.1])
    # calls at >= .55: rows 0, 2, 4 -> tp = 2 (0, 4), fp = 1 (2), fn = 1 (1); correct: 0,3,4,5
    assert metrics.at_threshold(y, p, 0.55) == {
        "precision": 2 / 3,
        "recall": 2 / 3,
        "accuracy": 4 / 6,
        "positive_rate": 3 / 6,
        "predicted_positive_rate": 3 / 6,
    }


def test_no_positive_calls_give_zero_precision_not_nan() -> None:
    result = metrics.at_threshold(np.array([1, 0]), np.array([0.1, 0.2]), 0.9)
    assert result["precision"] == 0.0 and result["recall"] == 0.0 and result["accuracy"] == 0.5


def test_labels_must_be_binary() -> None:
    with pytest.raises(InvalidInput, match="0 or 1"):
        metrics.log_loss(np.array([2, 0]), np.array([0.5, 0.5]))


def test_evaluate_combines_everything() -> None:
    result = metrics.evaluate(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]), 0.5)
    assert result["auc"] == 0.75
    assert set(result) == {
        "auc",
        "log_loss",
        "precision",
        "recall",
        "accuracy",
        "positive_rate",
        "predicted_positive_rate",
    }
