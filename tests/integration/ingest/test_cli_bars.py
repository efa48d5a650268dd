"""`trady bars` exports stored bars as Parquet or CSV, by the file's extension."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from services.cli.main import main
from services.ingest.bar_store import BarStore
from tests.integration.ingest.helpers import SPOT, SYMBOL, build_service


@pytest.fixture
def stored(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRADY_DATA_DIR", str(data_dir))
    build_service(data_dir).ingest_file(str(SPOT), SYMBOL)
    return data_dir


def test_parquet_and_csv_with_a_range(
    stored: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = BarStore(stored).load(SYMBOL, "5m")

    assert main(["bars", "btcusdt", "--timeframe", "5m", "--out", str(tmp_path / "b.parquet")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == expected.height == 4 and summary["format"] == "parquet"
    assert pl.read_parquet(tmp_path / "b.parquet").equals(expected, null_equal=True)

    args = ["bars", SYMBOL, "--start", "2024-08-09T00:00", "--out", str(tmp_path / "b.csv")]
    assert main(args) == 0
    csv = pl.read_csv(tmp_path / "b.csv", try_parse_dates=True)
    assert csv.height == 6  # 00:00 .. 00:05 of the 1m bars
    assert csv["close"].to_list() == BarStore(stored).load(SYMBOL, "1m")["close"].tail(6).to_list()


def test_bad_extension_and_unknown_symbol(
    stored: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bars", SYMBOL, "--out", str(tmp_path / "b.xlsx")]) == 1
    assert "use a .parquet or .csv" in capsys.readouterr().err
    assert main(["bars", "NOPEUSDT", "--out", str(tmp_path / "b.csv")]) == 1
    assert "no bars stored for NOPEUSDT" in capsys.readouterr().err
    assert not (tmp_path / "b.csv").exists()
