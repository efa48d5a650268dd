"""The study's best trials, re-fit without the holdout and scored on it, written as the files
a researcher trains and backtests from (research/study_files.py).

A candidate's own fit is the fold procedure on the whole time before the holdout (purged at
the holdout's start); its holdout figures come from the written model, read back and verified,
through research/period.trade_period: the path `trady backtest --from-tuning` takes, so both
give the same numbers. Candidates are ranked by fold score, never by the holdout.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from services.backtester.domain.config import BacktestConfig
from services.backtester.domain.rule_choice import resolve_rule
from services.common.files import write_bytes_atomic
from services.engine.metrics import flat_summary
from services.features.domain.relabel import label_from_definition
from services.research import study_files
from services.research.equity_curve import compact_curve
from services.research.period import restrict, trade_period
from services.research.signals import signal_plan
from services.research.walk_forward import Window, rows_in
from services.trainer.artifact import load_verified, write_artifact
from services.trainer.tuning.fit import WindowFit, fit_window, lightgbm_params, predict
from services.trainer.tuning.objective import StudySetup, iso, model_rounds
from services.trainer.tuning.space import TrialChoice
from services.trainer.tuning.study_data import LabelData, StudyData

MODEL_THRESHOLD = 0.5
"""Sidecars carry a threshold for the threshold mode; a tuned model trades by its EV rule."""


def best_trials(study: optuna.Study, count: int) -> list[optuna.trial.FrozenTrial]:
    """The top `count` complete trials by score (ties: the earlier trial first)."""
    done = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    complete = [
        t for t in done if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None
    ]
    return sorted(complete, key=lambda t: (-float(t.value or 0.0), t.number))[:count]


def write_candidate(
    trial: optuna.trial.FrozenTrial,
    rank: int,
    study_name: str,
    study_dir: Path,
    data: StudyData,
    setup: StudySetup,
) -> dict[str, Any]:
    """Fit, write and score one candidate; returns its summary document."""
    label = label_from_definition(trial.user_attrs["label"])
    backtest = BacktestConfig.model_validate(trial.user_attrs["backtest"])
    model_params = {
        k.split(".", 1)[1]: v for k, v in trial.params.items() if k.startswith("model.")
    }
    fixed = setup.tuning.space.model
    if fixed is not None:  # fixed entries of the model space are not optuna params
        model_params = {
            **{k: v for k, v in fixed.items() if not isinstance(v, list | dict)},
            **model_params,
        }
    choice = TrialChoice(model_params, label, backtest)
    labels = data.labels(label)
    holdout = data.walk.holdout
    tuning, training = setup.tuning, setup.training
    rounds, patience = model_rounds(choice, training)
    params = lightgbm_params(training.params, choice.model, setup.seed)
    fit = fit_window(
        data.x, labels.y, data.times, labels.horizon_ms,
        Window(int(data.times[0]), holdout.start_ms),
        params=params, num_boost_round=rounds, early_stopping_rounds=patience,
        valid_share=tuning.valid_share, calibration_share=tuning.calibration_share,
        calibration=tuning.calibration, feature_names=data.meta.feature_names,
    )  # fmt: skip
    gates = choice.gates
    sidecar = {
        "version": f"tuning:{study_name}:{trial.number}",
        "symbol": data.symbol,
        "feature_names": data.meta.feature_names,
        "feature_set_id": data.meta.feature_set_id,
        "label_name": "label",
        "label": labels.definition,
        "params": fit.params,
        "calibration": fit.calibrator.as_dict(),
        "rule": backtest.model_dump(mode="json"),
        "threshold": MODEL_THRESHOLD,
        "data_range": {"start_ms": int(data.times[0]), "end_ms": data.end_ms},
        "train_end_ms": holdout.start_ms,
        "test_range": {"start_ms": holdout.start_ms, "end_ms": holdout.end_ms},
        "tuning": {"study": study_name, "trial": trial.number},
    }
    folder = study_files.model_dir(study_dir, trial.number)
    files = write_artifact(
        folder, fit.booster.model_to_string(num_iteration=fit.best_iteration), sidecar
    )
    model = load_verified(files.model_path, files.sidecar_path, files.sha256, files.sidecar_sha256)
    plan = signal_plan(labels.definition, data.features_config)
    rule = resolve_rule(backtest, {}, horizon_bars=plan.horizon_bars, model_threshold=0.0)
    rows = restrict(labels.rows, holdout.start_ms, holdout.end_ms)
    run, _ = trade_period(rows, model, plan, rule, gates)
    metrics = flat_summary(run.result)
    train_config = {
        "features": data.features_config,
        "label": label.model_dump(mode="json"),
        "training": {
            "params": {k: v for k, v in params.items() if k != "seed"} | {"seed": setup.seed},
            "num_boost_round": rounds,
            "early_stopping_rounds": patience,
        },
        "backtest": backtest.model_dump(mode="json"),
        "tuning": {
            "study": study_name,
            "trial": trial.number,
            "calibration": tuning.calibration,
            "valid_share": tuning.valid_share,
            "calibration_share": tuning.calibration_share,
            "holdout_start": iso(holdout.start_ms),
            "holdout_end": iso(holdout.end_ms),
        },
    }
    config_file = study_files.train_config_path(study_dir, trial.number)
    write_bytes_atomic(config_file, study_files.dumps(train_config))
    summary = {
        "study": study_name,
        "trial": trial.number,
        "rank": rank,
        "symbol": data.symbol,
        "score": float(trial.value or 0.0),
        "params": dict(trial.params),
        "folds": trial.user_attrs.get("folds", []),
        "holdout": {
            "start": iso(holdout.start_ms),
            "end": iso(holdout.end_ms),
            "start_ms": holdout.start_ms,
            "end_ms": holdout.end_ms,
            "metrics": metrics,
            # Compact (research/equity_curve), for the walk-forward report's holdout line.
            "equity": compact_curve(run.result.equity, holdout.start_ms).as_dict(),
            **holdout_brier(fit, data, labels),
        },
        "label": labels.definition,
        "rule": backtest.model_dump(mode="json"),
        "calibration": fit.calibrator.as_dict(),
        "data": {
            "feature_set_id": data.meta.feature_set_id,
            "first": iso(int(data.times[0])),
            "end": iso(data.end_ms),
        },
        "model": {
            "dir": folder.name,
            "file": files.model_path.name,
            "sidecar": files.sidecar_path.name,
            "sha256": files.sha256,
            "sidecar_sha256": files.sidecar_sha256,
            "best_iteration": fit.best_iteration,
            "rows": fit.rows,
        },
        "train_config": {"file": config_file.name, "sha256": study_files.file_sha256(config_file)},
        "written_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    write_bytes_atomic(
        study_files.summary_path(study_dir, trial.number), study_files.dumps(summary)
    )
    return summary


def holdout_brier(fit: WindowFit, data: StudyData, labels: LabelData) -> dict[str, float | None]:
    """Brier score before and after calibration on the holdout rows a signal is decided on
    whose label is known within the data."""
    lo, hi = rows_in(data.times, data.walk.holdout)
    rows = np.flatnonzero(labels.decides[lo:hi]) + lo
    rows = rows[~np.isnan(labels.y[rows])]
    raw, calibrated = predict(fit, data.x[rows])
    y = labels.y[rows]
    if not y.size:
        return {"brier_raw": None, "brier_calibrated": None}
    return {
        "brier_raw": float(np.mean((raw - y) ** 2)),
        "brier_calibrated": float(np.mean((calibrated - y) ** 2)),
    }
