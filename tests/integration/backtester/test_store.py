"""ReportStore on a real filesystem: atomic writes, safe run ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.backtester.store import ReportStore, check_run_id, default_run_id
from services.common.errors import InvalidInput, NotFound


def test_write_then_read_leaves_only_the_two_files(data_dir: Path) -> None:
    store = ReportStore(data_dir)
    paths = store.write("run-1", {"summary": {"total_return": 0.1}}, "<html></html>")
    assert paths.json_path == (data_dir / "reports" / "run-1" / "report.json").resolve()
    assert sorted(p.name for p in paths.json_path.parent.iterdir()) == [
        "report.html",
        "report.json",
    ]
    assert store.read("run-1") == {"summary": {"total_return": 0.1}}
    # Re-running a run id replaces its report (a retried job stays idempotent).
    store.write("run-1", {"summary": {"total_return": 0.2}}, "<html>2</html>")
    assert json.loads(paths.json_path.read_text())["summary"]["total_return"] == 0.2
    assert paths.html_path.read_text() == "<html>2</html>"


def test_non_finite_numbers_are_refused_and_nothing_is_half_written(data_dir: Path) -> None:
    store = ReportStore(data_dir)
    with pytest.raises(InvalidInput, match="non-finite"):
        store.write("bad", {"summary": {"sharpe": float("nan")}}, "<html></html>")
    assert not (data_dir / "reports" / "bad").exists()
    with pytest.raises(NotFound):
        store.read("bad")


def test_default_run_id_is_sanitised() -> None:
    now = datetime(2025, 8, 20, 13, 4, 5, tzinfo=UTC)
    run_id = default_run_id("BTCUSDT", "1.2.3+20250820_130000", now)
    assert run_id == "BTCUSDT-1.2.3_20250820_130000-20250820130405"
    assert check_run_id(run_id) == run_id
    assert check_run_id(default_run_id("BTC/USDT", "../../x y", now)) == (
        "BTC_USDT-.._.._x_y-20250820130405"
    )


@pytest.mark.parametrize("run_id", ["", "../up", "a/b", ".hidden", "a b", "x" * 201])
def test_unsafe_run_ids_are_refused(data_dir: Path, run_id: str) -> None:
    with pytest.raises(InvalidInput, match="run_id"):
        ReportStore(data_dir).write(run_id, {}, "")
