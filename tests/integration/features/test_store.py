"""DatasetStore against real files under a fresh data root."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from services.common.errors import IntegrityFailure, InvalidInput, NotFound
from services.features.domain.dataset import DatasetMeta
from services.features.store import DatasetStore

META = DatasetMeta(
    symbol="BTCUSDT",
    feature_names=["ret_1_1m"],
    label_name="label",
    label={"kind": "forward_return", "horizon_steps": 1, "return_threshold": 0.0},
    feature_set_id="abc",
    config={},
    rows=2,
    first_ms=0,
    last_ms=60_000,
)
FRAME = pl.DataFrame({"open_time": [0, 60_000], "ret_1_1m": [None, 0.1], "label": [1, None]})


def test_round_trip_and_stamp_changes_on_rewrite(data_dir: Path) -> None:
    store = DatasetStore(data_dir)
    path = store.write(FRAME, META)
    assert path == data_dir / "features" / "BTCUSDT" / "dataset.parquet"
    frame, meta = store.read("btcusdt")
    assert meta == META
    assert frame.equals(FRAME)
    stamp = store.stamp("BTCUSDT")
    store.write(FRAME, META)
    assert store.stamp("BTCUSDT") != stamp
    assert sorted(p.name for p in path.parent.iterdir()) == ["dataset.json", "dataset.parquet"]


def test_missing_and_inconsistent_datasets(data_dir: Path) -> None:
    store = DatasetStore(data_dir)
    with pytest.raises(NotFound):
        store.read("BTCUSDT")
    with pytest.raises(NotFound):
        store.stamp("BTCUSDT")
    with pytest.raises(InvalidInput):
        store.meta("../x")
    store.write(FRAME.head(1), META)  # the metadata claims two rows
    with pytest.raises(IntegrityFailure, match="1 rows but the metadata says 2"):
        store.read("BTCUSDT")
    store.meta_path("BTCUSDT").write_text("{not json")
    with pytest.raises(IntegrityFailure, match="unreadable"):
        store.meta("BTCUSDT")
