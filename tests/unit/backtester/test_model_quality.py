"""Model quality on hand-checkable arrays, AUC against scikit-learn's."""

from __future__ import annotations

import lightgbm
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from services.backtester.domain.model_quality import (
    auc,
    brier_score,
    feature_importance,
    model_quality,
    precision_at_gate,
    reliability_table,
)


def test_auc_from_ranks_with_ties_and_nulls() -> None:
    assert auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5  # a tie counts a half
    labels = np.array([0, 1, np.nan, 1, 0])
    probs = np.array([0.2, 0.9, 0.99, np.nan, 0.3])
    assert auc(labels, probs) == 1.0  # the null label and the missing p are left out
    assert auc(np.array([1, 1]), np.array([0.2, 0.3])) is None  # one class: undefined
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 2000)
    p = np.round(rng.random(2000) * 0.5 + 0.3 * y, 2)  # many ties
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p))


def test_brier_and_reliability_by_decile() -> None:
    assert brier_score(np.array([1, 0]), np.array([0.8, 0.4])) == pytest.approx((0.04 + 0.16) / 2)
    assert brier_score(np.array([np.nan]), np.array([0.5])) is None
    p = np.arange(100) / 100
    y = (p >= 0.5).astype(float)
    table = reliability_table(y, p)
    assert len(table) == 10 and all(row["count"] == 10 for row in table)
    assert table[0]["mean_p"] == pytest.approx(0.045) and table[0]["observed_rate"] == 0.0
    assert table[-1]["p_max"] == 0.99 and table[-1]["observed_rate"] == 1.0
    assert len(reliability_table(np.array([1.0, 0.0]), np.array([0.2, 0.7]))) == 2


def test_precision_at_the_gate_ignores_unlabelled_bars() -> None:
    labels = np.array([1, 0, 1, np.nan, 1])
    fired = np.array([True, True, False, True, False])
    assert precision_at_gate(labels, fired) == {
        "fired": 3.0,
        "labelled": 2.0,
        "hits": 1.0,
        "precision": 0.5,
    }
    assert precision_at_gate(labels, np.zeros(5, bool))["precision"] is None


def test_feature_importance_is_the_boosters_gain_largest_first() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 3))
    y = (x[:, 1] + 0.1 * rng.normal(size=500) > 0).astype(int)
    booster = lightgbm.train(
        {"objective": "binary", "verbose": -1, "num_leaves": 4},
        lightgbm.Dataset(x, y, feature_name=["a", "b", "c"]),
        num_boost_round=10,
    )
    rows = feature_importance(booster)
    assert rows[0]["feature"] == "b"
    assert sum(row["share"] for row in rows) == pytest.approx(1.0)
    gains = dict(zip(booster.feature_name(), booster.feature_importance("gain"), strict=True))
    assert all(row["gain"] == pytest.approx(gains[row["feature"]]) for row in rows)
    quality = model_quality({"long": (y, rng.random(500), None)}, booster)
    assert quality["feature_importance"] == rows
    assert quality["long"]["rows"] == 500 and quality["long"]["precision_at_gate"] is None
