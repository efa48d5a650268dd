"""Fit one training window the way every tuned model is fit: trees on the oldest part, early
stopping on the next, calibration on the newest (walk_forward.inner_parts), each part purged
of rows whose label reaches past it. Trial folds, the candidates' own fits and the retrain of
`trady train --from-tuning` all call `fit_window`, so they cannot drift apart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import lightgbm
import numpy as np
import numpy.typing as npt

from services.common.errors import InvalidInput
from services.research.calibration import Calibrator, Method, fit_calibrator
from services.research.walk_forward import Window, inner_parts, usable_rows

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
MIN_FIT_ROWS = 50
MIN_VALID_ROWS = 20
FIXED_PARAMS: dict[str, Any] = {
    # Same data + seed -> the same trees, on any thread count: a study must replay exactly.
    "deterministic": True,
    "force_col_wise": True,
    # min_data_in_leaf changes from trial to trial; LightGBM's pre-filter would bake one in.
    "feature_pre_filter": False,
    "verbose": -1,
}


class UnfittableWindow(InvalidInput):
    """A window with too few labelled rows or one label class: a trial whose label makes this
    happen cannot be scored (the tuner prunes it; a retrain reports it)."""


@dataclass(frozen=True)
class WindowFit:
    booster: lightgbm.Booster
    best_iteration: int
    calibrator: Calibrator
    params: dict[str, Any]
    rows: dict[str, int]
    lightgbm_seconds: float
    """Time inside LightGBM: Dataset construction and boosting (the raw fit)."""


def lightgbm_params(base: dict[str, Any], sampled: dict[str, Any], seed: int) -> dict[str, Any]:
    """The training section's params, the trial's over them, then what reproducibility needs."""
    params = {"objective": "binary", "metric": "binary_logloss", **base, **sampled}
    for key in ("num_boost_round", "early_stopping_rounds"):
        params.pop(key, None)
    return {**params, **FIXED_PARAMS, "seed": seed}


def labelled(times: IntArray, y: FloatArray, horizon_ms: int, part: Window) -> IntArray:
    """Row indices in `part` (purged) whose label is known."""
    lo, hi = usable_rows(times, horizon_ms, part)
    index = np.arange(lo, hi, dtype=np.int64)
    return index[~np.isnan(y[lo:hi])]


def fit_window(
    x: FloatArray,
    y: FloatArray,
    times: IntArray,
    horizon_ms: int,
    window: Window,
    *,
    params: dict[str, Any],
    num_boost_round: int,
    early_stopping_rounds: int,
    valid_share: float,
    calibration_share: float,
    calibration: Method,
    feature_names: list[str],
) -> WindowFit:
    """Fit trees, stop early, calibrate. `y` is NaN where the label is unknown.

    Raises UnfittableWindow when a part has too few labelled rows or the fit part one class.
    """
    parts = inner_parts(window, valid_share, calibration_share if calibration != "none" else 0.0)
    fit_rows = labelled(times, y, horizon_ms, parts.fit)
    valid_rows = labelled(times, y, horizon_ms, parts.valid)
    calib_rows = (
        labelled(times, y, horizon_ms, parts.calibration)
        if parts.calibration is not None
        else np.empty(0, np.int64)
    )
    if fit_rows.size < MIN_FIT_ROWS or valid_rows.size < MIN_VALID_ROWS:
        raise UnfittableWindow(
            f"{fit_rows.size} labelled rows to fit and {valid_rows.size} to stop early on "
            f"(at least {MIN_FIT_ROWS} and {MIN_VALID_ROWS} needed)"
        )
    if np.unique(y[fit_rows]).size < 2:
        raise UnfittableWindow("the rows to fit on hold one label class only")
    started = time.perf_counter()
    train_set = lightgbm.Dataset(
        x[fit_rows], label=y[fit_rows], feature_name=feature_names, params={"verbose": -1}
    )
    valid_set = lightgbm.Dataset(x[valid_rows], label=y[valid_rows], reference=train_set)
    try:
        booster = lightgbm.train(
            params,
            train_set,
            num_boost_round=num_boost_round,
            valid_sets=[valid_set],
            valid_names=["valid"],
            callbacks=[
                lightgbm.early_stopping(
                    early_stopping_rounds, first_metric_only=True, verbose=False
                )
            ],
        )
    except lightgbm.basic.LightGBMError as exc:
        raise InvalidInput(f"LightGBM refused the trial's params or data: {exc}") from exc
    seconds = time.perf_counter() - started
    best = int(booster.best_iteration) or int(booster.current_iteration())
    calibrator = Calibrator()
    if calib_rows.size:
        raw = np.asarray(booster.predict(x[calib_rows], num_iteration=best), dtype=np.float64)
        calibrator = fit_calibrator(calibration, raw, y[calib_rows])
    return WindowFit(
        booster=booster,
        best_iteration=best,
        calibrator=calibrator,
        params={**params, "num_boost_round": num_boost_round, "best_iteration": best},
        rows={
            "fit": int(fit_rows.size),
            "valid": int(valid_rows.size),
            "calibration": int(calib_rows.size),
        },
        lightgbm_seconds=seconds,
    )


def predict(fit: WindowFit, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(raw, calibrated) P(label = 1) of the rows of `x`."""
    if x.shape[0] == 0:
        empty = np.empty(0, np.float64)
        return empty, empty
    raw = np.asarray(fit.booster.predict(x, num_iteration=fit.best_iteration), dtype=np.float64)
    return raw, fit.calibrator.apply(raw)
