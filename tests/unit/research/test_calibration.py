"""Calibration against scikit-learn (the independent implementation), and its stored form."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from services.common.errors import InvalidInput
from services.research.calibration import Calibrator, fit_calibrator


def _sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = np.round(rng.uniform(0.01, 0.99, n), 3)  # rounding makes ties, as tree outputs have
    y = (rng.uniform(size=n) < p**2).astype(np.float64)  # over-confident raw probabilities
    return p, y


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_isotonic_matches_scikit_learn(seed: int) -> None:
    p, y = _sample(2000, seed)
    ours = fit_calibrator("isotonic", p, y)
    theirs = IsotonicRegression(out_of_bounds="clip").fit(p, y)
    grid = np.concatenate([np.linspace(-0.1, 1.1, 997), p])
    np.testing.assert_allclose(ours.apply(grid), theirs.predict(grid), atol=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_platt_matches_an_unpenalised_logistic_fit_on_smoothed_targets(seed: int) -> None:
    p, y = _sample(3000, seed)
    ours = fit_calibrator("platt", p, y)
    z = np.log(p / (1 - p)).reshape(-1, 1)
    positives, negatives = y.sum(), y.size - y.sum()
    t_pos, t_neg = (positives + 1) / (positives + 2), 1 / (negatives + 2)
    # Smoothed targets as sample weights on duplicated rows: the same log loss.
    x2 = np.vstack([z, z])
    y2 = np.concatenate([np.ones(y.size), np.zeros(y.size)])
    target = np.where(y > 0.5, t_pos, t_neg)
    w2 = np.concatenate([target, 1 - target])
    lr = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(x2, y2, sample_weight=w2)
    assert ours.a == pytest.approx(lr.coef_[0, 0], rel=1e-6)
    assert ours.b == pytest.approx(lr.intercept_[0], rel=1e-6, abs=1e-8)


def test_calibration_improves_the_brier_score_of_overconfident_predictions() -> None:
    p, y = _sample(5000, 7)
    holdout_p, holdout_y = _sample(5000, 8)
    raw = np.mean((holdout_p - holdout_y) ** 2)
    for method in ("platt", "isotonic"):
        calibrated = fit_calibrator(method, p, y).apply(holdout_p)
        assert np.mean((calibrated - holdout_y) ** 2) < raw - 0.01


def test_nothing_to_learn_is_the_identity() -> None:
    p = np.array([0.2, 0.4, 0.6])
    assert fit_calibrator("platt", p, np.zeros(3)).method == "none"
    assert fit_calibrator("isotonic", p[:1], np.ones(1)).method == "none"
    assert fit_calibrator("none", p, np.array([0.0, 1.0, 1.0])).apply(p).tolist() == p.tolist()


def test_round_trip_through_the_sidecar_form_and_nan_stays_nan() -> None:
    p, y = _sample(500, 4)
    for method in ("platt", "isotonic", "none"):
        fitted = fit_calibrator(method, p, y)  # type: ignore[arg-type]
        again = Calibrator.from_dict(fitted.as_dict())
        probe = np.array([0.1, 0.5, np.nan, 0.9])
        np.testing.assert_array_equal(again.apply(probe), fitted.apply(probe))
        assert np.isnan(again.apply(probe)[2])


def test_a_bad_stored_calibration_is_named() -> None:
    with pytest.raises(InvalidInput, match="unknown calibration method 'magic'"):
        Calibrator.from_dict({"method": "magic"})
    with pytest.raises(InvalidInput, match="invalid calibration"):
        Calibrator.from_dict({"method": "isotonic", "x": [0.5, 0.1], "y": [0.2, 0.3]})
