"""A pullback-label model backtests on its own timeframe (5m), signals only on its event bars,
and resolves same-bar stop/target with the 1m rows as detail."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import lightgbm
import numpy as np
import polars as pl

from services.backtester.domain.config import BacktestConfig
from services.backtester.service import BacktesterService
from services.backtester.store import ReportStore
from services.common.db import make_engine
from services.features.domain.config import FeaturesConfig, FeatureSettings, PullbackLabel
from services.features.domain.dataset import assemble_dataset, dataset_meta
from services.features.store import DatasetStore
from services.trainer.registry.migrate import upgrade
from services.trainer.registry.repository import RegistryRepository
from tests.integration.backtester.conftest import CANDLES, SYMBOL, TinyModel, register_model

VERSION = "0.3.0+20250822_000000"
DAYS = 20


def _bars(one_minute: pl.DataFrame, minutes: int) -> pl.DataFrame:
    return one_minute.group_by_dynamic("open_time", every=f"{minutes}m").agg(
        pl.col("open").first(),
        pl.col("high").max(),
        pl.col("low").min(),
        pl.col("close").last(),
        pl.col("volume").sum(),
    )


def test_pullback_model_trades_its_event_bars_on_5m(data_dir: Path, sqlite_url: str) -> None:
    candles = pl.read_ipc(CANDLES).head(DAYS * 24 * 60)
    one = candles.select(
        pl.col("date").dt.cast_time_unit("ms").dt.replace_time_zone("UTC").alias("open_time"),
        "open", "high", "low", "close", "volume",
    )  # fmt: skip
    label = PullbackLabel(kind="ema_pullback", timeframe="5m", trend_timeframe="1h",
                          adx_floor=15.0)  # fmt: skip
    settings = FeatureSettings(features=FeaturesConfig(timeframes=["1m", "5m"]), label=label)
    bars = {"1m": one.lazy(), "5m": _bars(one, 5).lazy(), "1h": _bars(one, 60).lazy()}
    frame = assemble_dataset(bars, settings)
    meta = dataset_meta(SYMBOL, frame, settings)
    times = frame["open_time"].dt.epoch("ms").to_numpy()
    split = int(len(frame) * 0.6)
    train = frame.head(split - label.horizon_minutes).drop_nulls("label")
    booster = lightgbm.train(
        {"objective": "binary", "num_leaves": 4, "min_data_in_leaf": 20, "verbose": -1,
         "seed": 1, "num_threads": 2},
        lightgbm.Dataset(train.select(meta.feature_names).to_numpy(),
                         label=train["label"].to_numpy(), feature_name=meta.feature_names),
        num_boost_round=10,
    )  # fmt: skip
    end = int(times[-1]) + 60_000
    model = TinyModel(frame, meta, booster.model_to_string(), 0.5, int(times[0]), end,
                      int(times[split]), end)  # fmt: skip
    DatasetStore(data_dir).write(frame, meta)
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        registry = RegistryRepository(engine)
        register_model(registry, data_dir, replace(model), VERSION)
        service = BacktesterService(
            registry, DatasetStore(data_dir), ReportStore(data_dir), BacktestConfig()
        )
        # No costs and no margin: every event bar whose EV is positive trades.
        outcome = service.run(
            SYMBOL, VERSION, rule={"fee_bps": 0.0, "slippage_bps": 0.0, "on_opposite": "ignore"}
        )
    finally:
        engine.dispose()
    report = json.loads(Path(outcome.report_json_path).read_text())
    assert report["period"]["timeframe"] == "5m"
    assert report["config"]["max_hold_bars"] == label.horizon_bars
    trades = report["trades"]
    assert trades, "the test period should have traded event bars"
    test = frame.filter(pl.col("open_time").dt.epoch("ms") >= model.test_start_ms)
    # An event row is the last minute of its 5m bar: the bar opens 4 minutes earlier.
    event_bars = set(
        (test.filter(pl.col("label_event"))["open_time"].dt.epoch("ms") - 4 * 60_000).to_list()
    )
    assert {t["signal_time_ms"] for t in trades} <= event_bars
    assert all(t["side"] == "long" for t in trades)  # a long label gives p_long only
    five = 5 * 60_000
    for t in trades:
        for key in ("signal_time_ms", "entry_time_ms", "exit_time_ms"):
            assert t[key] % five == 0, (key, t)
        assert t["bars_held"] <= label.horizon_bars
    # Model quality is read on the signal bars (resolved events), not on every 1m row.
    assert 0 < report["model_quality"]["long"]["rows"] <= len(event_bars) < test.height / 20
    assert np.isfinite(report["summary"]["with_costs"]["total_return"])
