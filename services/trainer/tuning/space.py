"""One trial's choices: sampled from the search space by Optuna's define-by-run API.

Parameter names are `<group>.<key>` (`model.learning_rate`, `label.horizon_steps`,
`rule.ev_margin`, `trend_gate.timeframe`) plus the gate switches `trend_gate` / `regime_gate`,
so the study's table reads like the config file. Fixed entries are not parameters: they are
applied as given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from services.backtester.domain.config import BacktestConfig
from services.common.errors import InvalidInput
from services.features.domain.config import ForwardReturnLabel, PullbackLabel
from services.research.gates import Gates, RegimeGate, TrendGate
from services.trainer.tuning.config import (
    DEFAULT_LABEL_SPACE,
    DEFAULT_MODEL_SPACE,
    DEFAULT_RULE_SPACE,
    SpaceConfig,
    Spec,
)

LABEL_MODELS = {"forward_return": ForwardReturnLabel, "ema_pullback": PullbackLabel}
ROUNDS_KEYS = ("num_boost_round", "early_stopping_rounds")


class Suggests(Protocol):
    """What sampling needs of an optuna.Trial (FixedTrial and FrozenTrial replays fit too)."""

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = ..., log: bool = ...
    ) -> float: ...
    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = ..., log: bool = ...
    ) -> int: ...
    def suggest_categorical(self, name: str, choices: Any) -> Any: ...


@dataclass(frozen=True)
class TrialChoice:
    model: dict[str, Any]
    """LightGBM params sampled or fixed by the space (plus num_boost_round and
    early_stopping_rounds when the space sets them)."""
    label: ForwardReturnLabel | PullbackLabel
    backtest: BacktestConfig
    """The EV rule, costs and gates the trial trades with (mode ev)."""

    @property
    def gates(self) -> Gates:
        return Gates(trend_gate=self.backtest.trend_gate, regime_gate=self.backtest.regime_gate)


def suggest(trial: Suggests, name: str, spec: Spec) -> Any:
    """The value of one entry: fixed, categorical or a range."""
    if isinstance(spec, list):
        if not spec:
            raise InvalidInput(f"tuning.space: {name} has an empty list of choices")
        return spec[0] if len(spec) == 1 else trial.suggest_categorical(name, spec)
    if isinstance(spec, Mapping) and "low" in spec and "high" in spec:
        unknown = set(spec) - {"low", "high", "log", "step"}
        if unknown:
            raise InvalidInput(f"tuning.space: {name} has unknown keys {sorted(unknown)}")
        low, high, log = spec["low"], spec["high"], bool(spec.get("log", False))
        step = spec.get("step")
        if not low <= high:
            raise InvalidInput(f"tuning.space: {name} needs low <= high, got {low} > {high}")
        if _is_int(low) and _is_int(high) and (step is None or _is_int(step)):
            return trial.suggest_int(name, int(low), int(high), step=int(step or 1), log=log)
        return trial.suggest_float(name, float(low), float(high), step=step, log=log)
    return spec


def choose(
    trial: Suggests,
    space: SpaceConfig,
    label: ForwardReturnLabel | PullbackLabel,
    backtest: BacktestConfig,
) -> TrialChoice:
    """Sample a trial's model params, label, rule and gates over the config's own label and
    backtest section. Raises InvalidInput when a sampled combination is invalid (named)."""
    kind = label.kind
    model = {
        key: suggest(trial, f"model.{key}", spec)
        for key, spec in (space.model if space.model is not None else DEFAULT_MODEL_SPACE).items()
    }
    label_space = space.label if space.label is not None else DEFAULT_LABEL_SPACE[kind]
    label_keys = {k: suggest(trial, f"label.{k}", s) for k, s in label_space.items()}
    chosen_label = _validated(LABEL_MODELS[kind], {**label.model_dump(), **label_keys}, "label")
    rule_space = space.rule if space.rule is not None else DEFAULT_RULE_SPACE[kind]
    rule = {k: suggest(trial, f"rule.{k}", s) for k, s in rule_space.items()}
    if isinstance(chosen_label, PullbackLabel):
        rule.setdefault("k_tp", chosen_label.k_tp)
        rule.setdefault("k_sl", chosen_label.k_sl)
    gates: dict[str, Any] = {"trend_gate": None, "regime_gate": None}
    for gate, model_type in (("trend_gate", TrendGate), ("regime_gate", RegimeGate)):
        gate_space = getattr(space, gate)
        if gate_space is not None and trial.suggest_categorical(gate, [False, True]):
            keys = {k: suggest(trial, f"{gate}.{k}", s) for k, s in gate_space.items()}
            gates[gate] = _validated(model_type, keys, gate)
    merged = {**backtest.model_dump(), **rule, **gates, "mode": "ev"}
    return TrialChoice(model, chosen_label, _validated(BacktestConfig, merged, "rule"))


def _validated(model: Any, values: dict[str, Any], group: str) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{group}.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidInput(f"tuning.space gives an invalid {group}: {problems}") from exc


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
