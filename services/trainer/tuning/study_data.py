"""What a study reads once and every trial shares: the dataset's rows and feature matrix, the
walk-forward plan, and each label a trial samples, computed the first time it is asked for.

Features do not depend on the label, so they are computed once per study (the features
service builds the dataset); a label is recomputed from the rows' own 1m prices only when a
trial samples label parameters no earlier trial used (features/domain/relabel.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from services.features.domain.config import ForwardReturnLabel, PullbackLabel
from services.features.domain.dataset import DatasetMeta
from services.features.domain.labels import LABEL, LABEL_EVENT, label_columns, label_definition
from services.features.domain.relabel import relabelled
from services.research.walk_forward import MINUTE_MS, WalkForward

TIME = "open_time"
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class LabelData:
    definition: dict[str, Any]
    """As stored in dataset.json and sidecars (kind, side, horizon_steps in minutes, ...)."""
    y: FloatArray
    """0/1 per row, NaN where unknown."""
    rows: pl.DataFrame
    """The dataset rows with this label's columns in place of the dataset's own."""
    decides: npt.NDArray[np.bool_]
    """Rows a signal can be decided on: the events of an event label, else every row."""

    @property
    def horizon_ms(self) -> int:
        return int(self.definition["horizon_steps"]) * MINUTE_MS


@dataclass
class StudyData:
    symbol: str
    meta: DatasetMeta
    frame: pl.DataFrame
    times: IntArray
    x: FloatArray
    walk: WalkForward
    _labels: dict[str, LabelData] = field(default_factory=dict)

    @classmethod
    def from_dataset(cls, frame: pl.DataFrame, meta: DatasetMeta, walk: WalkForward) -> StudyData:
        rows = frame.sort(TIME)
        times = rows.get_column(TIME).dt.epoch("ms").to_numpy().astype(np.int64)
        x = np.ascontiguousarray(rows.select(meta.feature_names).cast(pl.Float64).to_numpy())
        return cls(meta.symbol, meta, rows, times, x, walk)

    @property
    def features_config(self) -> dict[str, Any]:
        return dict(self.meta.config.get("features") or {})

    @property
    def end_ms(self) -> int:
        return int(self.times[-1]) + MINUTE_MS

    def labels(self, label: ForwardReturnLabel | PullbackLabel) -> LabelData:
        key = json.dumps(label.model_dump(mode="json"), sort_keys=True)
        cached = self._labels.get(key)
        if cached is None:
            cached = self._labels[key] = self._compute(label)
        return cached

    def _compute(self, label: ForwardReturnLabel | PullbackLabel) -> LabelData:
        rows = relabelled(self.frame, label)
        y = rows.get_column(LABEL).cast(pl.Float64).fill_null(np.nan).to_numpy()
        if LABEL_EVENT in label_columns(label):
            decides = rows.get_column(LABEL_EVENT).fill_null(False).to_numpy()
        else:
            decides = np.ones(len(y), dtype=np.bool_)
        return LabelData(label_definition(label), y, rows, decides)
