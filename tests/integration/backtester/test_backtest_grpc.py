"""The backtester over a live gRPC port with a real model, dataset and SQLite registry."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import lightgbm
import polars as pl
import pytest

from services.backtester.client import BacktesterClient
from services.common.errors import Conflict, IntegrityFailure, InvalidInput, NotFound
from services.engine.metrics import flatten
from services.engine.rule import EvRule, ThresholdRule
from services.engine.simulate import EngineResult, simulate
from services.features.store import DatasetStore
from tests.integration.backtester.conftest import (
    HORIZON,
    SYMBOL,
    VERSION,
    TinyModel,
    World,
    register_model,
)


def engine_on_the_test_range(tiny_model: TinyModel, rule: EvRule) -> EngineResult:
    """The engine run by hand on what the backtest should use: the test range's 1m bars, the
    booster's P(up) as p_long on every bar, ATR(14) of 1m in price units."""
    frame = tiny_model.frame.filter(
        pl.col("open_time")
        .dt.epoch("ms")
        .is_between(tiny_model.test_start_ms, tiny_model.test_end_ms, closed="left")
    )
    booster = lightgbm.Booster(model_str=tiny_model.model_text)
    p = booster.predict(frame.select(tiny_model.meta.feature_names).to_numpy())
    signals = frame.select(
        "open_time",
        pl.Series("p_long", p),
        (pl.col("atr_14_1m") * pl.col("close")).alias("atr"),
    )
    return simulate(frame.select("open_time", "open", "high", "low", "close"), signals, rule)


def test_default_run_is_out_of_sample_and_matches_report(
    served: tuple[World, BacktesterClient], tiny_model: TinyModel
) -> None:
    world, client = served
    view = client.run(SYMBOL)

    assert view.model_version == VERSION
    assert re.fullmatch(r"BTCUSDT-0\.1\.0_20250820_000000-\d{14}", view.run_id)
    json_path, html_path = Path(view.report_json_path), Path(view.report_html_path)
    assert json_path == world.data_dir.resolve() / "reports" / view.run_id / "report.json"
    assert json_path.is_file() and html_path.is_file()
    report = json.loads(json_path.read_text())
    assert flatten(report["summary"]) == view.summary
    assert report["model_version"] == VERSION
    assert report["warnings"] == []
    period = report["period"]
    assert period["source"] == "test_range" and period["timeframe"] == "1m"
    assert period["first_bar_ms"] >= tiny_model.test_start_ms
    assert period["last_bar_ms"] < tiny_model.test_end_ms
    # Defaults: the EV rule of the config, held for the label horizon, the configured costs.
    rule = EvRule(k_tp=2.0, k_sl=1.0, fee_bps=5.5, slippage_bps=1.0, max_hold_bars=HORIZON)
    assert report["config"] == {**rule.as_dict(), "trend_gate": None, "regime_gate": None}
    expected = engine_on_the_test_range(tiny_model, rule)
    assert view.summary["trades"] == len(report["trades"]) == expected.trades.height
    assert view.summary["total_return"] == pytest.approx(expected.final_equity - 1.0, abs=1e-12)
    assert view.summary["bars"] == period["bars"]
    for key in ("model_quality", "robustness"):
        assert report[key]
    assert report["model_quality"]["long"]["auc"] is not None
    page = html_path.read_text()
    assert "Plotly.newPlot" in page or "newPlot" in page


def test_a_rule_that_trades_matches_the_engine_run_by_hand(
    served: tuple[World, BacktesterClient], tiny_model: TinyModel
) -> None:
    _, client = served
    overrides = {"fee_bps": 0.0, "slippage_bps": 0.0, "sides": "long", "on_opposite": "close",
                 "max_hold_bars": 10, "k_tp": 1.5}  # fmt: skip
    view = client.run(SYMBOL, rule=overrides)
    report = json.loads(Path(view.report_json_path).read_text())
    rule = EvRule(k_tp=1.5, k_sl=1.0, fee_bps=0.0, slippage_bps=0.0, max_hold_bars=10,
                  sides="long", on_opposite="close")  # fmt: skip
    assert report["config"] == {**rule.as_dict(), "trend_gate": None, "regime_gate": None}
    expected = engine_on_the_test_range(tiny_model, rule)
    trades = report["trades"]
    assert len(trades) == expected.trades.height > 10
    assert [t["entry_time_ms"] for t in trades] == expected.trades["entry_time"].dt.epoch(
        "ms"
    ).to_list()
    assert [t["net_return"] for t in trades] == pytest.approx(
        expected.trades["net_return"].to_list(), abs=1e-12
    )
    assert all(t["bars_held"] <= 10 and t["side"] == "long" for t in trades)
    assert {t["exit_reason"] for t in trades} <= {"stop", "take_profit", "time", "end"}
    assert view.summary["fees_paid"] == 0.0


def test_threshold_mode_and_in_sample_warning(
    served: tuple[World, BacktesterClient], tiny_model: TinyModel
) -> None:
    world, client = served
    start = tiny_model.data_start_ms + 24 * 3_600_000
    view = client.run(
        SYMBOL,
        model_version=VERSION,
        start_ms=start,
        end_ms=start + 6 * 3_600_000,
        rule={"mode": "threshold", "threshold": 0.5, "holding_bars": 5, "fee_bps": 0.0},
        run_id="my-run.1",
    )
    assert view.run_id == "my-run.1"
    report = json.loads(Path(view.report_json_path).read_text())
    assert report["config"] == ThresholdRule(0.5, 5, 0.0, 1.0).as_dict()
    assert report["period"] == {
        "start_ms": start,
        "end_ms": start + 6 * 3_600_000,
        "first_bar_ms": start,
        "last_bar_ms": start + 6 * 3_600_000 - 60_000,
        "bars": 360,
        "rows_1m": 360,
        "timeframe": "1m",
        "source": "request",
    }
    assert all(t["bars_held"] == 5 for t in report["trades"] if t["exit_reason"] == "time")
    assert len(report["warnings"]) == 1 and report["warnings"][0].startswith("IN-SAMPLE")
    assert view.summary["fees_paid"] == 0.0


def test_model_without_test_range_is_flagged(
    served: tuple[World, BacktesterClient], tiny_model: TinyModel
) -> None:
    world, client = served
    version = "0.2.0+20250821_000000"
    register_model(
        world.registry, world.data_dir, replace(tiny_model, test_start_ms=0, test_end_ms=0), version
    )
    view = client.run(SYMBOL, model_version=version)
    report = json.loads(Path(view.report_json_path).read_text())
    assert report["period"]["bars"] == tiny_model.frame.height  # no range: all the data
    assert "records no test range" in report["warnings"][0]


def test_unknown_version_is_not_found(served: tuple[World, BacktesterClient]) -> None:
    _, client = served
    with pytest.raises(NotFound, match="9.9.9"):
        client.run(SYMBOL, model_version="9.9.9+20250101_000000")


def test_tampered_model_is_refused(served: tuple[World, BacktesterClient]) -> None:
    world, client = served
    model_file = Path(world.record.artifact_path)
    model_file.write_text(model_file.read_text().replace("num_leaves=8", "num_leaves=9", 1))
    with pytest.raises(IntegrityFailure, match="model.txt"):
        client.run(SYMBOL)
    assert not (world.data_dir / "reports").exists()


def test_no_active_model_is_a_conflict(served: tuple[World, BacktesterClient]) -> None:
    _, client = served
    with pytest.raises(Conflict, match="ETHUSDT has no active model"):
        client.run("ETHUSDT")


def test_feature_set_mismatch_is_a_conflict(
    served: tuple[World, BacktesterClient], tiny_model: TinyModel
) -> None:
    world, client = served
    other = replace(tiny_model.meta, feature_set_id="f" * 64)
    DatasetStore(world.data_dir).write(tiny_model.frame, other)
    with pytest.raises(Conflict, match="feature set"):
        client.run(SYMBOL)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"run_id": "../escape"}, "run_id"),
        ({"rule": {"threshold": 1.5}}, "threshold"),
        ({"rule": {"k_tp": -1.0}}, "k_tp"),
        ({"rule": {"sides": "sideways"}}, "sides"),
        ({"rule": {"stop": 2.0}}, "unknown trading rule keys"),
        ({"start_ms": 10, "end_ms": 5}, "end_ms"),
        ({"start_ms": 1, "end_ms": 2}, "at least 2 bars"),  # long before the data
    ],
)
def test_bad_requests_are_invalid(
    served: tuple[World, BacktesterClient], kwargs: dict[str, object], message: str
) -> None:
    _, client = served
    with pytest.raises(InvalidInput, match=message):
        client.run(SYMBOL, **kwargs)  # type: ignore[arg-type]
