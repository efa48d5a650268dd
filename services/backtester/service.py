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

from services.backtester.domain.config import BacktestConfig
from services.backtester.domain.model_quality import model_quality
from services.backtester.domain.period import TIME, in_sample_warnings, restrict
from services.backtester.domain.report import RunInfo, build_report, render_html
from services.backtester.domain.rule_choice import resolve_rule
from services.backtester.domain.rule_run import run_rule
from services.backtester.domain.signal_bars import signal_plan
from services.backtester.store import ReportStore, check_run_id, default_run_id
from services.common.errors import Conflict, InvalidInput
from services.engine.metrics import flatten, summarize
from services.engine.robustness import assess
from services.features.store import DatasetStore
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
        report(0.15, f"reading the {symbol} dataset")
        frame, features_config = self._dataset_rows(symbol, model)
        if not (start_ms or end_ms):
            start_ms, end_ms, source = record.test_start_ms, record.test_end_ms, "test_range"
        else:
            source = "request"
        frame = restrict(frame, start_ms, end_ms)
        if frame.height < 2:
            raise InvalidInput(
                f"the {symbol} dataset has {frame.height} rows in [{start_ms}, {end_ms}); "
                "a backtest needs at least 2 bars: widen the range or rebuild features"
            )
        plan = signal_plan(record.label, features_config)
        chosen = resolve_rule(
            self._config,
            rule or {},
            horizon_bars=plan.horizon_bars,
            model_threshold=record.threshold,
        )
        report(0.3, f"predicting {frame.height} bars")
        matrix = frame.select(model.feature_names).cast(pl.Float64).to_numpy()
        probabilities = model.predict_proba(matrix)
        report(0.5, "simulating trades")
        run = run_rule(frame, probabilities, plan, chosen)
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
        warnings = in_sample_warnings(
            first_ms, last_ms, record.data_start_ms, record.test_start_ms, record.version
        )
        now = self._clock()
        info = RunInfo(
            run_id=run_id or default_run_id(symbol, record.version, now),
            symbol=symbol,
            model_version=record.version,
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
            model=_model_facts(record),
            config=chosen.as_dict(),
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
                "model_version": record.version,
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
            model_version=record.version,
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
        return frame.sort(TIME), dict(meta.config.get("features") or {})


def _check_arguments(symbol: str, start_ms: int, end_ms: int, run_id: str) -> None:
    if not symbol:
        raise InvalidInput("symbol is required")
    if start_ms < 0 or end_ms < 0:
        raise InvalidInput("start_ms and end_ms must be >= 0 (0 = unbounded)")
    if start_ms and end_ms and end_ms <= start_ms:
        raise InvalidInput(f"end_ms {end_ms} must be after start_ms {start_ms}")
    if run_id:
        check_run_id(run_id)


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
