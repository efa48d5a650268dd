"""The feature dataset: its metadata, its identity, and its pure assembly from bars.

A dataset has one row per 1m bar: prices (for the backtester, not features), the feature
columns in a fixed order, then the label. `feature_set_id` names the feature *definition*
(config + code version) so a model trained on one definition is never fed another.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

from services.features.domain.config import (
    TIMEFRAME_MINUTES,
    FeaturesConfig,
    FeatureSettings,
    PullbackLabel,
)
from services.features.domain.labels import (
    LABEL,
    LABEL_EVENT,
    forward_return_label,
    label_definition,
)
from services.features.domain.multitimeframe import (
    OPTIONAL_COLUMNS,
    TIME,
    TIME_DTYPE,
    feature_names,
    indicator_columns,
    with_optional_columns,
)
from services.features.domain.pullback import pullback_label
from services.features.domain.row_features import row_features

FEATURE_CODE_VERSION = "2"
"""Bump whenever indicator code changes what a feature means, so old models are refused."""

PRICE_COLUMNS = ["open", "high", "low", "close", "volume"]
BASE_TIMEFRAME = "1m"


@dataclass(frozen=True)
class DatasetMeta:
    """What dataset.json records about a stored dataset."""

    symbol: str
    feature_names: list[str]
    label_name: str
    label: dict[str, Any]
    feature_set_id: str
    config: dict[str, Any]
    rows: int
    first_ms: int
    last_ms: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> DatasetMeta:
        """Raises KeyError/TypeError/ValueError on a malformed document."""
        return cls(
            symbol=str(raw["symbol"]),
            feature_names=[str(n) for n in raw["feature_names"]],
            label_name=str(raw["label_name"]),
            label=dict(raw["label"]),
            feature_set_id=str(raw["feature_set_id"]),
            config=dict(raw["config"]),
            rows=int(raw["rows"]),
            first_ms=int(raw["first_ms"]),
            last_ms=int(raw["last_ms"]),
        )


@dataclass(frozen=True)
class DatasetInfo:
    """Result of a build: the stored dataset's metadata and where it lives."""

    symbol: str
    dataset_path: str
    rows: int
    feature_names: list[str]
    label_name: str
    label: dict[str, Any]
    first_ms: int
    last_ms: int
    feature_set_id: str


@dataclass(frozen=True)
class LatestFeatures:
    """The newest complete feature vector; `timestamp_ms` is its row's open time (the values
    are as of that bar's close, one minute later)."""

    symbol: str
    timestamp_ms: int
    feature_names: list[str]
    values: list[float]
    feature_set_id: str


def feature_set_id(config: FeaturesConfig) -> str:
    """sha256 (hex) of the canonical JSON of the features config and FEATURE_CODE_VERSION."""
    canonical = json.dumps(
        {"code_version": FEATURE_CODE_VERSION, "features": config.model_dump(mode="json")},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def required_timeframes(settings: FeatureSettings) -> list[str]:
    """Bar timeframes a build reads: 1m (the rows), the features' and the label's."""
    needed = {BASE_TIMEFRAME, *settings.features.timeframes}
    if isinstance(settings.label, PullbackLabel):
        needed |= {settings.label.timeframe, settings.label.trend_timeframe}
    return sorted(needed, key=list(TIMEFRAME_MINUTES).index)


def feature_frame(bars: Mapping[str, pl.LazyFrame], config: FeaturesConfig) -> pl.DataFrame:
    """open_time, prices and the feature columns (non-finite values as null), one row per
    1m bar, computed now (the kernels need the arrays). `bars` needs "1m" and every
    configured timeframe.

    Raises:
        ValueError: a needed timeframe is missing.
    """
    if BASE_TIMEFRAME not in bars:
        raise ValueError("1m bars are required: dataset rows are 1m bars")
    rows = (
        with_optional_columns(bars[BASE_TIMEFRAME])
        .select(
            pl.col(TIME).cast(TIME_DTYPE),
            *(pl.col(c).cast(pl.Float64) for c in PRICE_COLUMNS),
            *OPTIONAL_COLUMNS,
        )
        .sort(TIME)
        .collect()
    )
    parts = [
        rows[[TIME, *PRICE_COLUMNS]],  # a projection: select would copy multi-chunk columns
        indicator_columns(rows, bars, config=config),
        row_features(rows, config),
    ]
    return pl.concat(parts, how="horizontal")  # a frame without columns adds none


def assemble_dataset(bars: Mapping[str, pl.LazyFrame], settings: FeatureSettings) -> pl.DataFrame:
    """Bars of each timeframe -> the dataset frame (features computed once, then the label).

    Args:
        bars: bar frames by timeframe; every timeframe of `required_timeframes` is needed.
    Returns:
        open_time, open, high, low, close, volume, the features (non-finite values as null),
        then the label columns (`label` Int8, null where it cannot be known from the data;
        for the pullback label also `label_r`, `label_bars` and `label_event`).
    Raises:
        ValueError: a needed timeframe is missing.
    """
    rows = feature_frame(bars, settings.features).lazy()
    label = settings.label
    if isinstance(label, PullbackLabel):
        missing = [t for t in (label.timeframe, label.trend_timeframe) if t not in bars]
        if missing:
            raise ValueError(f"no bars given for the label's timeframe(s) {missing}")
        ohlc = [pl.col(TIME).cast(TIME_DTYPE), *(pl.col(c).cast(pl.Float64) for c in PRICE_COLUMNS)]
        outcomes = pullback_label(
            bars[BASE_TIMEFRAME].select(ohlc).collect(),
            bars[label.timeframe].select(ohlc).collect(),
            bars[label.trend_timeframe].select(ohlc).collect(),
            label,
        )
        labelled = rows.join(
            outcomes.lazy(), on=TIME, how="left", maintain_order="left"
        ).with_columns(pl.col(LABEL_EVENT).fill_null(False))
    else:
        labelled = forward_return_label(
            rows,
            horizon_steps=label.horizon_steps,
            return_threshold=label.return_threshold,
            side=label.side,
        )
    return labelled.collect()


def dataset_meta(symbol: str, frame: pl.DataFrame, settings: FeatureSettings) -> DatasetMeta:
    """Metadata for an assembled dataset (frame must have at least one row)."""
    times = frame.get_column(TIME).dt.epoch("ms")
    # Series.min()/max() are typed as any scalar; on Int64 epochs they are ints.
    return DatasetMeta(
        symbol=symbol,
        feature_names=feature_names(settings.features),
        label_name=LABEL,
        label=label_definition(settings.label),
        feature_set_id=feature_set_id(settings.features),
        config=settings.as_dict(),
        rows=frame.height,
        first_ms=int(times.min()),  # type: ignore[arg-type]
        last_ms=int(times.max()),  # type: ignore[arg-type]
    )


def latest_complete(frame: pl.DataFrame, meta: DatasetMeta) -> LatestFeatures | None:
    """The newest row whose features are all non-null, or None if there is none."""
    complete = frame.filter(pl.all_horizontal(pl.col(meta.feature_names).is_not_null()))
    if complete.is_empty():
        return None
    row = complete.sort(TIME).tail(1)
    return LatestFeatures(
        symbol=meta.symbol,
        timestamp_ms=int(row.get_column(TIME).dt.epoch("ms").item()),
        feature_names=list(meta.feature_names),
        values=[float(row.get_column(n).item()) for n in meta.feature_names],
        feature_set_id=meta.feature_set_id,
    )
