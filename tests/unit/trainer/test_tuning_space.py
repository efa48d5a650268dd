"""The search space: fixed / categorical / range entries, defaults per label kind, gates
switched by the trial, invalid samples named; and the documented score."""

from __future__ import annotations

import optuna
import pytest

from services.backtester.domain.config import BacktestConfig
from services.common.errors import InvalidInput
from services.features.domain.config import ForwardReturnLabel, PullbackLabel
from services.trainer.tuning.config import ScoreConfig, SpaceConfig, parse_tuning
from services.trainer.tuning.objective import combine, fold_score
from services.trainer.tuning.space import choose


def _study() -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))


def test_defaults_for_forward_return_sample_the_rules_levels() -> None:
    trial = _study().ask()
    choice = choose(trial, SpaceConfig(), ForwardReturnLabel(), BacktestConfig())
    names = set(trial.params)
    assert {"model.learning_rate", "label.horizon_steps", "rule.k_tp", "rule.ev_margin"} <= names
    assert {"trend_gate", "regime_gate"} <= names
    assert 5 <= choice.label.horizon_steps <= 60
    assert choice.backtest.mode == "ev"
    assert choice.backtest.k_tp == trial.params["rule.k_tp"]


def test_pullback_trades_its_labels_levels() -> None:
    trial = _study().ask()
    choice = choose(trial, SpaceConfig(), PullbackLabel(kind="ema_pullback"), BacktestConfig())
    assert isinstance(choice.label, PullbackLabel)
    assert "rule.k_tp" not in trial.params
    assert choice.backtest.k_tp == choice.label.k_tp
    assert choice.backtest.k_sl == choice.label.k_sl


def test_fixed_and_categorical_entries_and_gates_off() -> None:
    space = SpaceConfig(
        model={"num_leaves": 15, "learning_rate": [0.05, 0.1]},
        label={"horizon_steps": 30},
        rule={"on_opposite": ["close"], "max_hold_bars": {"low": 3, "high": 9}},
        trend_gate=None,
        regime_gate=None,
    )
    trial = _study().ask()
    choice = choose(trial, space, ForwardReturnLabel(), BacktestConfig())
    assert choice.model["num_leaves"] == 15 and "model.num_leaves" not in trial.params
    assert choice.model["learning_rate"] in (0.05, 0.1)
    assert choice.label.horizon_steps == 30
    assert choice.backtest.on_opposite == "close"
    assert isinstance(trial.params["rule.max_hold_bars"], int)
    assert choice.gates.active is False


def test_an_invalid_sample_is_named() -> None:
    space = SpaceConfig(label={"horizon_steps": {"low": -5, "high": -1}})
    with pytest.raises(InvalidInput, match=r"label\.horizon_steps"):
        choose(_study().ask(), space, ForwardReturnLabel(), BacktestConfig())
    with pytest.raises(InvalidInput, match="low <= high"):
        choose(
            _study().ask(),
            SpaceConfig(model={"num_leaves": {"low": 9, "high": 3}}),
            ForwardReturnLabel(),
            BacktestConfig(),
        )


def test_the_tuning_section_is_validated_by_name() -> None:
    with pytest.raises(InvalidInput, match="tuning.folds"):
        parse_tuning("tuning: {folds: 0}")
    with pytest.raises(InvalidInput, match="tuning.scoer"):
        parse_tuning("tuning: {scoer: {}}")
    assert parse_tuning("").folds == 3


def test_score_is_mean_minus_lambda_std_with_a_trade_penalty() -> None:
    score = ScoreConfig(metric="sharpe", penalty_lambda=0.5, min_trades=10, trade_penalty=2.0)
    full = {"trades": 12.0, "sharpe": 1.5, "total_return": 0.1, "max_drawdown": -0.05}
    thin = {"trades": 5.0, "sharpe": 3.0, "total_return": 0.1, "max_drawdown": -0.05}
    assert fold_score(full, score) == 1.5
    assert fold_score(thin, score) == pytest.approx(3.0 - 2.0 * 0.5)
    assert combine([1.0, 3.0], score) == pytest.approx(2.0 - 0.5 * 1.0)
    ratio = ScoreConfig(metric="return_over_drawdown", min_trades=0)
    assert fold_score(full, ratio) == pytest.approx(0.1 / 0.05)
    assert fold_score({**full, "max_drawdown": 0.0}, ratio) == pytest.approx(0.1 / 0.01)
