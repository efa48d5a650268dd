"""The backtester over a live gRPC port with a real model, dataset and SQLite registry."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from services.backtester.client import BacktesterClient
from services.common.errors import Conflict, IntegrityFailure, InvalidInput, NotFound
from services.features.store import DatasetStore
from tests.integration.backtester.conftest import (
    SYMBOL,
    VERSION,
    TinyModel,
    World,
    register_model,
)


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
    assert report["summary"] == view.summary
    assert report["model_version"] == VERSION
    assert report["warnings"] == []
    period = report["period"]
    assert period["source"] == "test_range"
    assert period["first_bar_ms"] >= tiny_model.test_start_ms
    assert period["last_bar_ms"] < tiny_model.test_end_ms
    # Defaults: the model's threshold, the label horizon, the configured costs.
    assert report["config"] == {
        "threshold": tiny_model.threshold,
        "holding_bars": 15,
        "fee_bps": 5.5,
        "slippage_bps": 1.0,
    }
    assert view.summary["trades"] == len(report["trades"]) > 0
    assert view.summary["bars"] == period["bars"]
    assert all(t["bars_held"] == 15 for t in report["trades"] if not t["closed_at_end"])
    assert all(t["entry_time_ms"] >= tiny_model.test_start_ms for t in report["trades"])
    page = html_path.read_text()
    assert "Plotly.newPlot" in page and "plotly.js v" in page


def test_overrides_and_in_sample_warning(
    served: tuple[World, BacktesterClient], tiny_model: TinyModel
) -> None:
    world, client = served
    start = tiny_model.data_start_ms + 24 * 3_600_000
    view = client.run(
        SYMBOL,
        model_version=VERSION,
        start_ms=start,
        end_ms=start + 6 * 3_600_000,
        threshold=0.5,
        holding_bars=5,
        fee_bps=0.0,
        run_id="my-run.1",
    )
    assert view.run_id == "my-run.1"
    report = json.loads(Path(view.report_json_path).read_text())
    assert report["config"] == {
        "threshold": 0.5,
        "holding_bars": 5,
        "fee_bps": 0.0,
        "slippage_bps": 1.0,
    }
    assert report["period"] == {
        "start_ms": start,
        "end_ms": start + 6 * 3_600_000,
        "first_bar_ms": start,
        "last_bar_ms": start + 6 * 3_600_000 - 60_000,
        "bars": 360,
        "source": "request",
    }
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
        ({"threshold": 1.5}, "threshold"),
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
