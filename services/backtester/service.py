"""The backtest use case: registered model + stored features -> simulation -> report files.

Defaults keep the run honest: without a range the model is tested on its own held-out test
range, so the default backtest is out-of-sample; a requested range that overlaps the data the
model was fitted or early-stopped on is still run, but the report carries a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
from pydantic import ValidationError

from services.backtester.domain.config import BacktestConfig
from services.backtester.domain.model_quality import model_quality
from services.backtester.domain.period import TIME, in_sample_warnings, restrict
from services.backtester.domain.report import RunInfo, build_report, render_html
from services.backtester.domain.rule_choice import resolve_rule
from services.backtester.store import ReportStore, check_run_id, default_run_id
from services.common.errors import Conflict, InvalidInput
from services.engine.metrics import flatten, summarize
from services.engine.robustness import assess
from services.engine.rule import EvRule
from services.features.domain.relabel import label_from_definition, relabelled
from services.features.store import DatasetStore
from services.research.gates import Gates
from services.research.period import trade_period
from services.research.signals import signal_plan
from services.research.study_files import read_summary
from services.trainer.artifact import LoadedModel, load_verified
from services.trainer.registry.records import ModelRecord
from services.trainer.registry.repository import RegistryRepository

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class BacktestOutcome:
    run_id: str
    report_json_path: str
    report_html_path: str
    summary: dict[str, float]
    model_version: str
    warnings: tuple[str, ...]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _no_progress(_fraction: float, _message: str) -> None:
    return None


class BacktesterService:
    """Runs backtests. Thread-safe as long as its collaborators are (they keep no shared
    mutable state); concurrent runs with the same run_id race for the last write."""

    def __init__(
        self,
        registry: RegistryRepository,
        dataset_store: DatasetStore,
        report_store: ReportStore,
        default_config: BacktestConfig,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._registry = registry
        self._datasets = dataset_store
        self._reports = report_store
        self._config = default_config
        self._clock = clock

    def run(
        self,
        symbol: str,
        model_version: str = "",
        start_ms: int = 0,
        end_ms: int = 0,
        rule: Mapping[str, Any] | None = None,
        run_id: str = "",
        progress: Progress | None = None,
    ) -> BacktestOutcome:
        """Backtest `model_version` (default: the symbol's active model) and write its report.

        Zero/empty arguments take defaults: range = the model's test range; `rule` overrides
        keys of the configured `backtest` section (mode, the EV rule's keys, threshold,
        holding_bars, costs); unset holding periods follow the label horizon.

        Raises:
            InvalidInput: bad arguments or rule keys, or fewer than two dataset rows in range.
            NotFound: unknown model version, missing dataset or model files.
            Conflict: no active model, the dataset's feature set differs from the model's, or
                it lacks the ATR feature the EV rule's levels need.
            IntegrityFailure: a model file does not match its registered hash.
        """
        report = progress or _no_progress
        symbol = symbol.strip().upper()
        _check_arguments(symbol, start_ms, end_ms, run_id)
        record = self._pick_model(symbol, model_version.strip())
        report(0.05, f"loading model {record.version}")
        model = load_verified(
            record.artifact_path, record.sidecar_path, record.sha256, record.sidecar_sha256
        )
        if not (start_ms or end_ms):
            start_ms, end_ms, source = record.test_start_ms, record.test_end_ms, "test_range"
        else:
            source = "request"
        # A tuned model carries its rule, costs and gates: backtests inherit them by default.
        base = _with_rule(self._config, model.sidecar.get("rule"))
        return self._execute(
            symbol, model, _model_facts(record), (start_ms, end_ms, source), base,
            rule or {}, record.threshold, run_id, report,
        )  # fmt: skip

    def run_from_tuning(
        self,
        summary_path: str,
        run_id: str = "",
        progress: Progress | None = None,
        rule: Mapping[str, Any] | None = None,
    ) -> BacktestOutcome:
        """Backtest a tuning candidate's own model (fit without the holdout) on the holdout,
        with the rule, costs and gates of its train config: the summary's holdout figures.
        `rule` overrides keys of that rule (e.g. the threshold mode beside it, for comparison).

        Raises NotFound (summary, model or dataset missing), IntegrityFailure (a study file
        changed since the study wrote it), Conflict (the dataset is of another feature set).
        """
        report = progress or _no_progress
        summary = read_summary(summary_path)
        if run_id:
            check_run_id(run_id)
        config = summary.train_config()
        model_file, sidecar_file, model_sha, sidecar_sha = summary.model_files()
        report(0.05, f"loading trial {summary.trial} of study {summary.study}")
        model = load_verified(model_file, sidecar_file, model_sha, sidecar_sha)
        base = _with_rule(self._config, config.get("backtest"))
        start_ms, end_ms = summary.holdout_ms
        facts = {
            "version": model.version,
            "feature_set_id": model.feature_set_id,
            "threshold": model.threshold,
            "label": dict(model.sidecar.get("label") or {}),
            "data_start_ms": int(model.sidecar["data_range"]["start_ms"]),
            "data_end_ms": int(model.sidecar["data_range"]["end_ms"]),
            "test_start_ms": start_ms,
            "test_end_ms": end_ms,
            "metrics": {},
            "tuning": {
                "study": summary.study,
                "trial": summary.trial,
                "summary": str(summary.path),
                "summary_sha256": summary.sha256,
            },
        }
        return self._execute(
            summary.symbol, model, facts, (start_ms, end_ms, "tuning_holdout"), base,
            rule or {}, model.threshold, run_id, report,
        )  # fmt: skip

    def _execute(
        self,
        symbol: str,
        model: LoadedModel,
        facts: dict[str, Any],
        period: tuple[int, int, str],
        base: BacktestConfig,
        overrides: Mapping[str, Any],
        threshold: float,
        run_id: str,
        report: Progress,
    ) -> BacktestOutcome:
        start_ms, end_ms, source = period
        report(0.15, f"reading the {symbol} dataset")
        frame, features_config = self._dataset_rows(symbol, model)
        frame = restrict(frame, start_ms, end_ms)
        if frame.height < 2:
            raise InvalidInput(
                f"the {symbol} dataset has {frame.height} rows in [{start_ms}, {end_ms}); "
                "a backtest needs at least 2 bars: widen the range or rebuild features"
            )
        label = facts["label"]
        plan = signal_plan(label, features_config)
        chosen = resolve_rule(
            base, overrides, horizon_bars=plan.horizon_bars, model_threshold=threshold
        )
        merged = BacktestConfig.model_validate(
            {**base.model_dump(), **{k: v for k, v in overrides.items() if v is not None}}
        )
        gates = Gates(trend_gate=merged.trend_gate, regime_gate=merged.regime_gate)
        report(0.3, f"predicting {frame.height} bars")
        run, _ = trade_period(frame, model, plan, chosen, gates)
        report(0.5, "simulating trades")
        summary = summarize(run.result)
        report(0.6, "robustness checks")
        robustness = assess(run.result)
        quality = model_quality(
            {plan.side: (run.labels, run.probabilities, run.fired)},
            model.booster,
            model.feature_names,
        )
        times = frame.get_column(TIME).dt.epoch("ms")
        first_ms, last_ms = int(times[0]), int(times[-1])
        fit_end = int(model.sidecar.get("fit_end_ms") or facts["test_start_ms"])
        warnings = in_sample_warnings(
            first_ms, last_ms, facts["data_start_ms"], fit_end, model.version
        )
        now = self._clock()
        version = str(facts["version"])
        info = RunInfo(
            run_id=run_id or default_run_id(symbol, version, now),
            symbol=symbol,
            model_version=version,
            created_at_ms=int(now.timestamp() * 1000),
            period={
                "start_ms": start_ms,
                "end_ms": end_ms,
                "first_bar_ms": first_ms,
                "last_bar_ms": last_ms,
                "bars": run.result.equity.height,
                "rows_1m": frame.height,
                "timeframe": run.timeframe,
                "source": source,
            },
            model=facts,
            # The gates filter the EV rule's signals; the threshold mode has none.
            config={
                **chosen.as_dict(),
                **(gates.model_dump(mode="json") if isinstance(chosen, EvRule) else {}),
            },
            warnings=warnings,
        )
        report(0.7, "writing the report")
        paths = self._reports.write(
            info.run_id,
            build_report(info, run.result, summary, robustness, quality),
            render_html(info, run.result, summary, robustness, quality),
        )
        flat = flatten(summary)
        log.info(
            "backtest written",
            extra={
                "run_id": info.run_id,
                "model_version": version,
                "bars": run.result.equity.height,
                "trades": int(flat["trades"]),
                "total_return": flat["total_return"],
            },
        )
        report(1.0, "done")
        return BacktestOutcome(
            run_id=info.run_id,
            report_json_path=str(paths.json_path),
            report_html_path=str(paths.html_path),
            summary=flat,
            model_version=version,
            warnings=warnings,
        )

    def _pick_model(self, symbol: str, version: str) -> ModelRecord:
        if version:
            record = self._registry.get(version)
            if record.symbol != symbol:
                raise InvalidInput(f"model {version} was trained for {record.symbol}, not {symbol}")
            return record
        active = self._registry.active(symbol)
        if active is None:
            raise Conflict(
                f"{symbol} has no active model: activate one or pass model_version explicitly"
            )
        return active

    def _dataset_rows(self, symbol: str, model: LoadedModel) -> tuple[pl.DataFrame, dict[str, Any]]:
        """The symbol's dataset rows in time order, and the features config that built them."""
        frame, meta = self._datasets.read(symbol)
        if meta.feature_set_id != model.feature_set_id:
            raise Conflict(
                f"the {symbol} dataset was built with feature set {meta.feature_set_id[:12]} but "
                f"model {model.version} needs {model.feature_set_id[:12]}: rebuild the features "
                "with the model's config (or train a model on the current features)"
            )
        missing = [n for n in model.feature_names if n not in frame.columns]
        if missing:
            raise Conflict(f"the {symbol} dataset lacks model features {missing[:5]}")
        frame = frame.sort(TIME)
        label = model.sidecar.get("label")
        if label and _comparable(label) != _comparable(meta.label):
            # The dataset was labelled for another model (a tuned trial samples its own
            # label): its signals and events come from the model's label, recomputed.
            frame = relabelled(frame, label_from_definition(label))
        return frame, dict(meta.config.get("features") or {})


def _check_arguments(symbol: str, start_ms: int, end_ms: int, run_id: str) -> None:
    if not symbol:
        raise InvalidInput("symbol is required")
    if start_ms < 0 or end_ms < 0:
        raise InvalidInput("start_ms and end_ms must be >= 0 (0 = unbounded)")
    if start_ms and end_ms and end_ms <= start_ms:
        raise InvalidInput(f"end_ms {end_ms} must be after start_ms {start_ms}")
    if run_id:
        check_run_id(run_id)


def _comparable(label: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in label.items() if k != "columns"}


def _with_rule(config: BacktestConfig, rule: Any) -> BacktestConfig:
    """The server's backtest section with a model's (or train config's) rule over it."""
    if not isinstance(rule, Mapping) or not rule:
        return config
    try:
        return BacktestConfig.model_validate({**config.model_dump(), **rule})
    except ValidationError as exc:
        raise InvalidInput(f"the model's stored trading rule is invalid: {exc}") from exc


def _model_facts(record: ModelRecord) -> dict[str, Any]:
    return {
        "version": record.version,
        "feature_set_id": record.feature_set_id,
        "threshold": record.threshold,
        "label": dict(record.label),
        "data_start_ms": record.data_start_ms,
        "data_end_ms": record.data_end_ms,
        "test_start_ms": record.test_start_ms,
        "test_end_ms": record.test_end_ms,
        "metrics": dict(record.metrics),
    }
