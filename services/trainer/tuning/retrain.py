"""`train --from-tuning`: a candidate's configuration fit again, on more data.

The same fit procedure as the trial's folds and its own fit (fit.fit_window: trees, early
stopping, calibration, each part purged), over all data up to the study's holdout end, or
up to the newest bar with `through="now"`. The data the model was fit on now includes the
holdout, so the sidecar records `fit_end_ms` and a backtest over those bars warns that it is
in-sample; the trial's own model (`backtest --from-tuning`) is the out-of-sample figure.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from services.common.errors import Conflict
from services.features.domain.dataset import DatasetMeta
from services.features.domain.labels import LABEL
from services.research.study_files import TuningSummary
from services.research.walk_forward import MINUTE_MS, Window
from services.trainer.domain.training import TrainingOutcome
from services.trainer.tuning.fit import fit_window

TIME = "open_time"


def retrain(
    frame: pl.DataFrame,
    meta: DatasetMeta,
    summary: TuningSummary,
    config: dict[str, Any],
    through: str,
) -> tuple[TrainingOutcome, dict[str, Any]]:
    """(the outcome to register, the sidecar's extra keys) for a dataset built with the
    trial's features and label config."""
    expected = summary.document["data"]["feature_set_id"]
    if meta.feature_set_id != expected:
        raise Conflict(
            f"the features built now have feature set {meta.feature_set_id[:12]}, the study "
            f"tuned {expected[:12]}: the feature code or config changed since; tune again"
        )
    rows = frame.sort(TIME)
    times = rows.get_column(TIME).dt.epoch("ms").to_numpy().astype(np.int64)
    x = np.ascontiguousarray(rows.select(meta.feature_names).cast(pl.Float64).to_numpy())
    y = rows.get_column(LABEL).cast(pl.Float64).fill_null(np.nan).to_numpy()
    holdout_start, holdout_end = summary.holdout_ms
    end = holdout_end if through == "holdout_end" else int(times[-1]) + MINUTE_MS
    # From the study's first bar, as its folds and candidates: rows before it (e.g. an older
    # island of data the study was told to leave out) are not the trial's data.
    start = max(int(times[0]), summary.data_start_ms)
    training, tuning = config["training"], config["tuning"]
    horizon_ms = int(meta.label["horizon_steps"]) * MINUTE_MS
    fit = fit_window(
        x, y, times, horizon_ms, Window(start, end),
        params=dict(training["params"]),
        num_boost_round=int(training["num_boost_round"]),
        early_stopping_rounds=int(training["early_stopping_rounds"]),
        valid_share=float(tuning["valid_share"]),
        calibration_share=float(tuning["calibration_share"]),
        calibration=tuning["calibration"],
        feature_names=meta.feature_names,
    )  # fmt: skip
    importance = fit.booster.feature_importance(
        importance_type="gain", iteration=fit.best_iteration
    )
    holdout = summary.document["holdout"]["metrics"]
    metrics = {
        "fold_score": float(summary.document["score"]),
        "holdout_total_return": float(holdout["total_return"]),
        "holdout_sharpe": float(holdout["sharpe"]),
        "holdout_trades": float(holdout["trades"]),
        "best_iteration": float(fit.best_iteration),
        **{f"{part}_rows": float(count) for part, count in fit.rows.items()},
    }
    outcome = TrainingOutcome(
        model_text=fit.booster.model_to_string(num_iteration=fit.best_iteration),
        metrics=metrics,
        params=fit.params,
        feature_importance={
            f: float(v) for f, v in zip(meta.feature_names, importance, strict=True)
        },
        data_start_ms=start,
        data_end_ms=int(times[-1]) + MINUTE_MS,
        train_end_ms=end,
        test_start_ms=holdout_start,
        test_end_ms=holdout_end,
    )
    extra = {
        "calibration": fit.calibrator.as_dict(),
        "rule": dict(config["backtest"]),
        "fit_end_ms": end,
        "config": config,
        "tuning": {
            "study": summary.study,
            "trial": summary.trial,
            "summary": str(summary.path),
            "summary_sha256": summary.sha256,
            "through": through,
        },
    }
    return outcome, extra
