"""A label recomputed from a dataset's own 1m rows equals the label the features service
stored when it built the dataset from the stored bars of every timeframe."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.features.domain.config import load_feature_settings
from services.features.domain.labels import label_definition
from services.features.domain.relabel import label_frame, label_from_definition, relabelled
from services.features.main import load_default_config
from services.features.service import FeatureService
from services.features.store import DatasetStore
from services.ingest.bar_store import BarStore
from tests.integration.trainer.helpers import CONFIG, write_candle_bars

LABELS = [
    "label: {kind: ema_pullback, timeframe: 5m, trend_timeframe: 1h}",
    "label: {kind: ema_pullback, side: short, timeframe: 15m, trend_timeframe: 4h, touch_ema: 9}",
    "label: {kind: forward_return, horizon_steps: 30, return_threshold: 0.003}",
    "label: {kind: forward_return, side: short, horizon_steps: 7, return_threshold: 0.001}",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[FeatureService, Path]:
    root = tmp_path_factory.mktemp("relabel")
    write_candle_bars(root, 30_000)
    service = FeatureService(BarStore(root), DatasetStore(root), load_default_config(CONFIG))
    return service, root


@pytest.mark.parametrize("config", LABELS)
def test_relabel_equals_the_stored_label(built: tuple[FeatureService, Path], config: str) -> None:
    service, root = built
    service.build("BTCUSDT", 0, 0, config)
    frame, meta = DatasetStore(root).read("BTCUSDT")
    label = load_feature_settings(config).label
    computed = label_frame(frame, label)
    assert computed["label"].drop_nulls().len() > 100
    assert frame.select(computed.columns).equals(computed)
    assert label_from_definition(label_definition(label)) == label
    # Relabelling a dataset for another label keeps every other column as it was.
    other = load_feature_settings(LABELS[0] if config != LABELS[0] else LABELS[2]).label
    swapped = relabelled(frame, other)
    assert swapped.height == frame.height
    kept = [c for c in frame.columns if not c.startswith("label")]
    assert swapped.select(kept).equals(frame.select(kept))
    assert swapped.select(label_frame(frame, other).columns).equals(label_frame(frame, other))
    assert meta.label == label_definition(label)
