"""One trial: sample, then for each walk-forward fold fit the training window, calibrate,
and trade the test window with the EV engine; the fold scores combine into the trial's score.

The score (documented in docs/tuning.md): fold k's s_k is its metric (the engine's Sharpe
by default, annualised from daily returns) minus trade_penalty * max(0, 1 - trades_k /
min_trades); the trial's is mean(s) - penalty_lambda * std(s). After each fold the partial
score is reported, so the pruner stops a hopeless trial early. Nothing here reads a row at or
after the holdout's start: training rows are purged before each test window, and the last
test window ends where the holdout begins.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna

from services.backtester.domain.config import BacktestConfig
from services.backtester.domain.rule_choice import resolve_rule
from services.engine.metrics import flat_summary
from services.features.domain.config import ForwardReturnLabel, PullbackLabel
from services.research.equity_curve import EquityCurve, compact_curve
from services.research.rule_run import run_rule
from services.research.signals import signal_plan
from services.research.walk_forward import Fold, rows_in
from services.trainer.domain.config import TrainingConfig
from services.trainer.tuning.config import ScoreConfig, TuningConfig
from services.trainer.tuning.fit import UnfittableWindow, fit_window, lightgbm_params, predict
from services.trainer.tuning.space import TrialChoice, choose
from services.trainer.tuning.study_data import LabelData, StudyData

MIN_DRAWDOWN = 0.01
"""return_over_drawdown divides by at least a 1% drawdown, so a lucky flat fold is not inf."""


@dataclass(frozen=True)
class StudySetup:
    """What every trial of one study shares besides the data."""

    tuning: TuningConfig
    training: TrainingConfig
    label: ForwardReturnLabel | PullbackLabel
    backtest: BacktestConfig
    seed: int


def fold_score(figures: dict[str, float], score: ScoreConfig) -> float:
    trades = figures["trades"]
    if score.metric == "sharpe":
        value = figures["sharpe"]
    elif score.metric == "total_return":
        value = figures["total_return"]
    else:
        value = figures["total_return"] / max(abs(figures["max_drawdown"]), MIN_DRAWDOWN)
    shortfall = max(0.0, 1.0 - trades / score.min_trades) if score.min_trades else 0.0
    return float(value - score.trade_penalty * shortfall)


def combine(scores: list[float], score: ScoreConfig) -> float:
    values = np.asarray(scores, dtype=np.float64)
    return float(values.mean() - score.penalty_lambda * values.std())


def model_rounds(choice: TrialChoice, training: TrainingConfig) -> tuple[int, int]:
    return (
        int(choice.model.get("num_boost_round", training.num_boost_round)),
        int(choice.model.get("early_stopping_rounds", training.early_stopping_rounds)),
    )


def objective(trial: optuna.Trial, data: StudyData, setup: StudySetup) -> float:
    started = time.perf_counter()
    choice = choose(trial, setup.tuning.space, setup.label, setup.backtest)
    labels = data.labels(choice.label)
    trial.set_user_attr("label", labels.definition)
    trial.set_user_attr("backtest", choice.backtest.model_dump(mode="json"))
    folds: list[dict[str, Any]] = []
    curves: list[dict[str, Any]] = []
    lightgbm_seconds = 0.0
    for fold in data.walk.folds:
        try:
            figures, curve, seconds = score_fold(fold, data, labels, choice, setup)
        except UnfittableWindow as exc:
            trial.set_user_attr("pruned_because", f"fold {fold.index}: {exc}")
            raise optuna.TrialPruned(str(exc)) from exc
        lightgbm_seconds += seconds
        folds.append(figures)
        curves.append(curve.as_dict())
        trial.set_user_attr("folds", folds)
        # Recorded per fold, so a pruned trial's fits count in the overhead benchmark too.
        trial.set_user_attr("lightgbm_seconds", round(lightgbm_seconds, 4))
        partial = combine([f["score"] for f in folds], setup.tuning.score)
        trial.report(partial, fold.index)
        if trial.should_prune():
            trial.set_user_attr("pruned_because", f"fold {fold.index}: below the median")
            raise optuna.TrialPruned()
    # Stored once, for complete trials only (only they can become candidates): the report
    # stitches a candidate's folds from these without re-fitting anything.
    trial.set_user_attr("fold_equity", curves)
    trial.set_user_attr("seconds", round(time.perf_counter() - started, 4))
    return combine([f["score"] for f in folds], setup.tuning.score)


def score_fold(
    fold: Fold, data: StudyData, labels: LabelData, choice: TrialChoice, setup: StudySetup
) -> tuple[dict[str, Any], EquityCurve, float]:
    """(the fold's figures, its out-of-sample equity, compact, seconds inside LightGBM)."""
    tuning, training = setup.tuning, setup.training
    rounds, patience = model_rounds(choice, training)
    fit = fit_window(
        data.x,
        labels.y,
        data.times,
        labels.horizon_ms,
        fold.train,
        params=lightgbm_params(training.params, choice.model, setup.seed),
        num_boost_round=rounds,
        early_stopping_rounds=patience,
        valid_share=tuning.valid_share,
        calibration_share=tuning.calibration_share,
        calibration=tuning.calibration,
        feature_names=data.meta.feature_names,
    )
    lo, hi = rows_in(data.times, fold.test)
    decides = np.flatnonzero(labels.decides[lo:hi]) + lo
    raw, calibrated = predict(fit, data.x[decides])
    probabilities = np.full(hi - lo, np.nan)
    probabilities[decides - lo] = calibrated
    plan = signal_plan(labels.definition, data.features_config)
    rule = resolve_rule(choice.backtest, {}, horizon_bars=plan.horizon_bars, model_threshold=0.0)
    run = run_rule(labels.rows.slice(lo, hi - lo), probabilities, plan, rule, choice.gates)
    figures = flat_summary(run.result)
    # Brier on the test rows whose label is known and ends inside the test window.
    known = ~np.isnan(labels.y[decides]) & (
        data.times[decides] + labels.horizon_ms < fold.test.end_ms
    )
    y = labels.y[decides][known]
    out: dict[str, Any] = {
        "fold": fold.index,
        "train_start": iso(fold.train.start_ms),
        "train_end": iso(fold.train.end_ms),
        "test_start": iso(fold.test.start_ms),
        "test_end": iso(fold.test.end_ms),
        "score": fold_score(figures, tuning.score),
        "trades": int(figures["trades"]),
        "sharpe": figures["sharpe"],
        "total_return": figures["total_return"],
        "max_drawdown": figures["max_drawdown"],
        "win_rate": figures["win_rate"],
        "best_iteration": fit.best_iteration,
        "rows": fit.rows,
        "brier_raw": _brier(raw[known], y),
        "brier_calibrated": _brier(calibrated[known], y),
    }
    return out, compact_curve(run.result.equity, fold.test.start_ms), fit.lightgbm_seconds


def _brier(p: np.ndarray, y: np.ndarray) -> float | None:
    return float(np.mean((p - y) ** 2)) if y.size else None


def iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")
