"""`trady simulate` as a user runs it: a real process on small hand-made Parquet and CSV files,
its trades file and JSON checked against the engine called in this process on the same data."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from services.cli.simulate import TRADE_COLUMNS
from services.engine.metrics import summarize
from services.engine.rule import EvRule
from services.engine.simulate import simulate
from tests.conftest import REPO

START = datetime(2024, 3, 1, tzinfo=UTC)
RULE = {"k_tp": 2.0, "k_sl": 1.0, "fee_bps": 5.0, "slippage_bps": 1.0, "max_hold_bars": 3}
RULE_YAML = "k_tp: 2.0\nk_sl: 1.0\nfee_bps: 5.0\nslippage_bps: 1.0\nmax_hold_bars: 3\n"
# (minute, open, high, low, close), 1m bars; minute 7 is missing (bars are rows, gaps allowed).
BARS = [
    (0, 100.0, 100.5, 99.5, 100.0),
    (1, 100.0, 100.6, 99.8, 100.2),
    (2, 100.2, 102.6, 100.1, 102.0),  # long from 100.2: target 102.4 reached on the entry bar
    (3, 102.0, 102.3, 101.5, 101.6),
    (4, 101.6, 101.9, 100.9, 101.0),
    (5, 101.0, 101.2, 100.2, 100.4),  # short from 101.0: target 100.0, stop 101.5
    (6, 100.4, 101.6, 98.0, 98.4),  # holds both: the detail says target first, else stop
    (8, 98.5, 99.0, 98.1, 98.8),
    (9, 98.8, 99.4, 98.6, 99.2),  # long from 98.8, held 3 bars: out at 12's open (time)
    (10, 99.2, 99.5, 98.9, 99.0),
    (11, 99.0, 99.9, 98.7, 99.8),
    (12, 99.8, 100.0, 99.5, 99.9),  # short from 99.8 at the same open
    (13, 99.9, 100.2, 99.7, 100.1),
    (14, 100.1, 100.4, 99.9, 100.3),  # flipped to long (signal), which the data ends in (end)
    (15, 100.3, 100.5, 100.0, 100.2),
]
# (minute, p_long, p_short, atr); a null probability is no signal on that side
SIGNALS = [
    (1, 0.9, 0.2, 1.1),
    (4, None, 0.9, 0.5),
    (8, 0.8, None, 0.6),
    (11, 0.3, 0.95, 1.0),
    (13, 0.95, 0.1, 1.0),
]
# (minute, second, open, high, low, close): two 30 s detail bars inside bar 6
DETAIL = [(6, 0, 100.4, 100.5, 99.9, 100.0), (6, 30, 100.0, 101.6, 98.0, 98.4)]


def _time(minute: int, second: int = 0) -> datetime:
    return START + timedelta(minutes=minute, seconds=second)


def bars_frame() -> pl.DataFrame:
    rows = [(_time(m), o, h, lo, c) for m, o, h, lo, c in BARS]
    return pl.DataFrame(
        rows, schema=["open_time", "open", "high", "low", "close"], orient="row"
    ).with_columns(pl.col("open_time").cast(pl.Datetime("ms", "UTC")))


def signals_frame() -> pl.DataFrame:
    rows = [(_time(m), pl_, ps, a) for m, pl_, ps, a in SIGNALS]
    schema = {"open_time": pl.Datetime("ms", "UTC"), "p_long": pl.Float64,
              "p_short": pl.Float64, "atr": pl.Float64}  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def detail_frame() -> pl.DataFrame:
    rows = [(_time(m, s), o, h, lo, c) for m, s, o, h, lo, c in DETAIL]
    return pl.DataFrame(
        rows, schema=["open_time", "open", "high", "low", "close"], orient="row"
    ).with_columns(pl.col("open_time").cast(pl.Datetime("ms", "UTC")))


def trady_simulate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "simulate", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_ok(tmp: Path, bars: Path, signals: Path, out: Path, *extra: str | Path) -> Any:
    rule = tmp / "rule.yaml"
    rule.write_text(RULE_YAML)
    done = trady_simulate("--bars", bars, "--signals", signals, "--rule", rule, "--out", out,
                          *extra)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def expected(detail: pl.DataFrame | None) -> tuple[pl.DataFrame, Any]:
    result = simulate(bars_frame(), signals_frame(), EvRule.from_mapping(RULE), detail)
    return result.trades.select(TRADE_COLUMNS), json.loads(json.dumps(summarize(result)))


def test_parquet_files_give_the_engines_trades_and_metrics(tmp_path: Path) -> None:
    bars_frame().write_parquet(tmp_path / "bars.parquet")
    signals_frame().write_parquet(tmp_path / "signals.parquet")
    detail_frame().write_parquet(tmp_path / "detail.parquet")
    out = tmp_path / "out" / "trades.parquet"
    metrics = run_ok(tmp_path, tmp_path / "bars.parquet", tmp_path / "signals.parquet", out,
                     "--detail", tmp_path / "detail.parquet")  # fmt: skip

    trades, summary = expected(detail_frame())
    written = pl.read_parquet(out)
    assert written.columns == list(TRADE_COLUMNS)
    assert written["exit_reason"].to_list() == [
        "take_profit",
        "take_profit",
        "time",
        "signal",
        "end",
    ]
    assert written.equals(trades)
    assert metrics == summary
    assert {"with_costs", "without_costs", "long", "short", "exit_reasons"} <= set(metrics)


def test_detail_changes_the_same_bar_exit(tmp_path: Path) -> None:
    with_detail, _ = expected(detail_frame())
    without, _ = expected(None)
    assert with_detail["exit_reason"][1] == "take_profit"  # the detail reached it first
    assert without["exit_reason"][1] == "stop"  # no detail: the stop counts


def test_csv_files_with_iso_and_epoch_times(tmp_path: Path) -> None:
    bars = bars_frame()
    times = [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in bars["open_time"]]
    times[1] = times[1].replace("T", " ").removesuffix("Z")  # naive: UTC
    times[3] = "2024-03-01T02:03:00+02:00"  # an offset
    times[5] = times[5].replace("Z", ".000+00:00")
    bars.with_columns(pl.Series("open_time", times)).write_csv(tmp_path / "bars.csv")
    signals = signals_frame().with_columns(pl.col("open_time").dt.epoch("ms"))
    signals.write_csv(tmp_path / "signals.csv")
    detail_frame().write_csv(tmp_path / "detail.csv")  # polars' own datetime text
    out = tmp_path / "trades.csv"
    metrics = run_ok(tmp_path, tmp_path / "bars.csv", tmp_path / "signals.csv", out,
                     "--detail", tmp_path / "detail.csv")  # fmt: skip

    trades, summary = expected(detail_frame())
    written = pl.read_csv(out, try_parse_dates=True)
    assert written.columns == list(TRADE_COLUMNS)
    assert written.height == trades.height
    for name in ("signal_time", "entry_time", "exit_time"):
        assert written[name].dt.epoch("ms").to_list() == trades[name].dt.epoch("ms").to_list()
    assert written.drop("signal_time", "entry_time", "exit_time").equals(
        trades.drop("signal_time", "entry_time", "exit_time")
    )
    assert metrics == summary


def _error(tmp: Path, bars: pl.DataFrame, rule: str = RULE_YAML, ext: str = "parquet") -> str:
    path = tmp / f"bars.{ext}"
    bars.write_parquet(path) if ext == "parquet" else bars.write_csv(path)
    signals_frame().write_parquet(tmp / "signals.parquet")
    (tmp / "rule.yaml").write_text(rule)
    done = trady_simulate("--bars", path, "--signals", tmp / "signals.parquet",
                          "--rule", tmp / "rule.yaml", "--out", tmp / "trades.csv")  # fmt: skip
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not (tmp / "trades.csv").exists()
    [line] = done.stderr.splitlines()
    assert line.startswith("error: ")
    return line


def test_missing_column(tmp_path: Path) -> None:
    line = _error(tmp_path, bars_frame().drop("high"))
    assert str(tmp_path / "bars.parquet") in line
    assert "missing column(s) `high`" in line


def test_unknown_rule_key(tmp_path: Path) -> None:
    line = _error(tmp_path, bars_frame(), RULE_YAML + "take_profit: 3\n")
    assert str(tmp_path / "rule.yaml") in line
    assert "unknown key(s) `take_profit`" in line


def test_bad_rule_value(tmp_path: Path) -> None:
    line = _error(tmp_path, bars_frame(), RULE_YAML.replace("k_sl: 1.0", "k_sl: -1"))
    assert str(tmp_path / "rule.yaml") in line
    assert "k_sl" in line


@pytest.mark.parametrize(("ext", "where"), [("parquet", "row 4:"), ("csv", "row 4 (line 6):")])
def test_unsorted_bars(tmp_path: Path, ext: str, where: str) -> None:
    bars = bars_frame()
    swapped = pl.concat([bars.slice(0, 3), bars.slice(4, 1), bars.slice(3, 1), bars.slice(5)])
    line = _error(tmp_path, swapped, ext=ext)
    assert f"{tmp_path / f'bars.{ext}'}: {where}" in line
    assert "increasing" in line


@pytest.mark.parametrize(
    ("column", "value", "expect"),
    [
        ("open", "abc", "row 2 (line 4): `open` is 'abc', not a number"),
        ("open_time", "yesterday", "row 2 (line 4): `open_time` is 'yesterday'"),
        ("open_time", "2024-02-30T00:00:00Z", "row 2 (line 4): `open_time` '2024-02-30"),
    ],
)
def test_bad_csv_value_names_row_line_and_column(
    tmp_path: Path, column: str, value: str, expect: str
) -> None:
    bars = bars_frame().with_columns(pl.col("open_time").dt.to_string("%Y-%m-%dT%H:%M:%SZ"))
    text = bars.with_columns(bars[column].cast(pl.String).scatter(2, value))
    line = _error(tmp_path, text, ext="csv")
    assert f"{tmp_path / 'bars.csv'}: {expect}" in line


def test_a_declared_timeframe_places_the_detail_bars(tmp_path: Path) -> None:
    bars_frame().write_parquet(tmp_path / "bars.parquet")
    signals_frame().write_parquet(tmp_path / "signals.parquet")
    detail_frame().write_parquet(tmp_path / "detail.parquet")
    step = bars_frame()["open_time"].diff().drop_nulls().min()
    minutes = int(step.total_seconds() // 60)  # type: ignore[union-attr]
    out = tmp_path / "trades.parquet"
    run_ok(tmp_path, tmp_path / "bars.parquet", tmp_path / "signals.parquet", out,
           "--detail", tmp_path / "detail.parquet", "--timeframe", f"{minutes}m")  # fmt: skip
    assert pl.read_parquet(out).equals(expected(detail_frame())[0])
    rule = tmp_path / "rule.yaml"
    done = trady_simulate("--bars", tmp_path / "bars.parquet", "--signals",
                          tmp_path / "signals.parquet", "--rule", rule, "--out", out,
                          "--detail", tmp_path / "detail.parquet", "--timeframe", "5x")  # fmt: skip
    assert done.returncode == 2 and "unknown timeframe" in done.stderr
