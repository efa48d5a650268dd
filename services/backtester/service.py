"""The backtest use case: registered model + stored features -> simulation -> report files.

Defaults keep the run honest: without a range the model is tested on its own held-out test
range, so the default backtest is out-of-sample; a requested range that overlaps the data the
model was fitted or early-stopped on is still run, but the report carries a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from services.backtester.domain.config import BacktestConfig
from services.backtester.domain.metrics import summarize
from services.backtester.domain.period import TIME, in_sample_warnings, restrict
from services.backtester.domain.report import RunInfo, build_report, render_html
from services.backtester.store import ReportStore, check_run_id, default_run_id
from services.common.errors import Conflict, InvalidInput
from services.engine.fixed_hold import simulate
from services.engine.rule import ThresholdRule
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
        threshold: float = 0.0,
        holding_bars: int = 0,
        fee_bps: float = -1.0,
        run_id: str = "",
        progress: Progress | None = None,
    ) -> BacktestOutcome:
        """Backtest `model_version` (default: the symbol's active model) and write its report.

        Zero/empty arguments take defaults: range = the model's test range, threshold = the
        model's, holding_bars = config else the label horizon, fee_bps (when negative) = config.

        Raises:
            InvalidInput: bad arguments, or fewer than two dataset rows in the range.
            NotFound: unknown model version, missing dataset or model files.
            Conflict: no active model, or the dataset's feature set differs from the model's.
            IntegrityFailure: a model file does not match its registered hash.
        """
        report = progress or _no_progress
        symbol = symbol.strip().upper()
        _check_arguments(symbol, start_ms, end_ms, threshold, holding_bars, run_id)
        record = self._pick_model(symbol, model_version.strip())
        report(0.05, f"loading model {record.version}")
        model = load_verified(
            record.artifact_path, record.sidecar_path, record.sha256, record.sidecar_sha256
        )
        report(0.15, f"reading the {symbol} dataset")
        frame = self._dataset_rows(symbol, model)
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
        rule = self._rule(record, threshold, holding_bars, fee_bps)
        report(0.3, f"predicting {frame.height} bars")
        matrix = frame.select(model.feature_names).cast(pl.Float64).to_numpy()
        probabilities = model.predict_proba(matrix)
        report(0.5, "simulating trades")
        sim = simulate(frame.select(TIME, "open", "close"), probabilities, rule)
        summary = summarize(sim)
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
                "bars": frame.height,
                "source": source,
            },
            model=_model_facts(record),
            config={
                "threshold": rule.threshold,
                "holding_bars": rule.holding_bars,
                "fee_bps": rule.fee_bps,
                "slippage_bps": rule.slippage_bps,
            },
            warnings=warnings,
        )
        report(0.7, "writing the report")
        paths = self._reports.write(
            info.run_id, build_report(info, sim, summary), render_html(info, sim, summary)
        )
        log.info(
            "backtest written",
            extra={
                "run_id": info.run_id,
                "model_version": record.version,
                "bars": frame.height,
                "trades": int(summary["trades"]),
                "total_return": summary["total_return"],
            },
        )
        report(1.0, "done")
        return BacktestOutcome(
            run_id=info.run_id,
            report_json_path=str(paths.json_path),
            report_html_path=str(paths.html_path),
            summary=summary,
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

    def _dataset_rows(self, symbol: str, model: LoadedModel) -> pl.DataFrame:
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
        return frame.sort(TIME)

    def _rule(
        self, record: ModelRecord, threshold: float, holding_bars: int, fee_bps: float
    ) -> ThresholdRule:
        horizon = int(record.label.get("horizon_steps", 0) or 0)
        hold = holding_bars or self._config.holding_bars or horizon
        if hold < 1:
            raise InvalidInput(
                f"model {record.version} has no label horizon; pass holding_bars explicitly"
            )
        return ThresholdRule(
            threshold=threshold or record.threshold or self._config.threshold,
            holding_bars=hold,
            fee_bps=fee_bps if fee_bps >= 0 else self._config.fee_bps,
            slippage_bps=self._config.slippage_bps,
        )


def _check_arguments(
    symbol: str, start_ms: int, end_ms: int, threshold: float, holding_bars: int, run_id: str
) -> None:
    if not symbol:
        raise InvalidInput("symbol is required")
    if start_ms < 0 or end_ms < 0:
        raise InvalidInput("start_ms and end_ms must be >= 0 (0 = unbounded)")
    if start_ms and end_ms and end_ms <= start_ms:
        raise InvalidInput(f"end_ms {end_ms} must be after start_ms {start_ms}")
    if not 0.0 <= threshold <= 1.0:  # also refuses NaN
        raise InvalidInput(f"threshold must be in [0, 1] (0 = the model's), got {threshold}")
    if holding_bars < 0:
        raise InvalidInput(f"holding_bars must be >= 0 (0 = default), got {holding_bars}")
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
