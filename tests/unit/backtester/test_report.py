"""report.json has every key and is strict JSON; report.html is one light, self-contained page."""

from __future__ import annotations

import json
import re

import numpy as np
import polars as pl

from services.backtester.domain.model_quality import model_quality
from services.backtester.domain.report import (
    REPORT_KEYS,
    RunInfo,
    _format,
    build_report,
    render_html,
)
from services.backtester.domain.report_figures import (
    MAX_LINE_POINTS,
    downsample_indices,
    monthly_table,
    time_figure,
)
from services.engine.metrics import summarize
from services.engine.robustness import assess
from services.engine.rule import ThresholdRule
from services.engine.simulate import EngineResult, simulate_threshold
from tests.unit.engine.engine_result_frames import Trade, random_walk_result, replay, rule_with

INFO = RunInfo(
    run_id="BTCUSDT-1.0.0_20250101_000000-20250102000000",
    symbol="BTCUSDT",
    model_version="1.0.0+20250101_000000",
    created_at_ms=1_735_776_000_000,
    period={"start_ms": 1_735_689_600_000, "end_ms": 0, "bars": 10, "source": "test_range"},
    model={"version": "1.0.0+20250101_000000", "feature_set_id": "abc"},
    config={"k_tp": 2.0, "k_sl": 1.0, "fee_bps": 5.5, "slippage_bps": 1.0},
    warnings=("IN-SAMPLE: <overlap>",),
)


def small_result() -> EngineResult:
    opens = [100, 102, 101, 105, 104, 108, 110, 109, 111, 112]
    closes = [101, 101, 104, 104, 107, 109, 110, 110, 112, 115]
    trades = [Trade("long", 1, 3, "take_profit"), Trade("short", 4, 6, "stop"), Trade("long", 7, 9)]
    return replay(opens, closes, trades, rule_with(5.5, 1.0))


def parts(result: EngineResult) -> tuple[dict, dict, dict]:  # type: ignore[type-arg]
    n = result.equity.height
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, n).astype(float)
    quality = model_quality({"long": (labels, rng.random(n), rng.random(n) < 0.3)})
    return summarize(result), assess(result, samples=50, runs=20), quality


def test_report_json_has_every_key_and_is_strict_json() -> None:
    result = small_result()
    summary, robustness, quality = parts(result)
    report = build_report(INFO, result, summary, robustness, quality)
    assert tuple(report) == REPORT_KEYS
    assert report["summary"] == summary and report["robustness"] == robustness
    assert report["model_quality"] == quality
    assert report["config"] == INFO.config and report["warnings"] == list(INFO.warnings)
    assert len(report["trades"]) == 3
    first = report["trades"][0]
    start = 1_735_689_600_000
    assert first["entry_time_ms"] == start + 60_000 and first["exit_time_ms"] == start + 180_000
    assert {"side", "signal_time_ms", "exit_reason", "net_return", "gross_return", "fees"} <= set(
        first
    )
    assert json.loads(json.dumps(report, allow_nan=False)) == report


def test_threshold_mode_nulls_become_json_nulls() -> None:
    n = 50
    close = list(100 + np.sin(np.arange(n)))
    bars = pl.DataFrame(
        {"open_time": 1_735_689_600_000 + np.arange(n) * 60_000, "open": close, "close": close}
    ).with_columns(pl.col("open_time").cast(pl.Datetime("ms", "UTC")))
    result = simulate_threshold(bars, np.full(n, 0.9), ThresholdRule(0.6, 3, 5.5, 1.0))
    summary, robustness, quality = parts(result)
    report = build_report(INFO, result, summary, robustness, quality)
    assert report["trades"] and report["trades"][0]["expected_value"] is None
    json.dumps(report, allow_nan=False)


def test_report_html_is_self_contained_with_every_figure_and_table() -> None:
    result = small_result()
    page = render_html(INFO, result, *parts(result))
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # plotly.js itself is inlined (compressed, its licence header readable): nothing fetched.
    assert "plotly.js v" in page and "PLOTLY_GZ" in page
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert not re.search(r"https?://[^\"' ]*\.js", page)
    for plot in ("fig-time", "fig-returns", "fig-monthly", "fig-reliability"):
        assert f'id="{plot}"' in page
    for caption in ("Performance", "By side", "Exit reasons", "Robustness", "Model quality"):
        assert f"<caption>{caption}</caption>" in page
    assert "with costs" in page and "without costs" in page and "take_profit" in page
    assert "IN-SAMPLE: &lt;overlap&gt;" in page  # warnings shown, escaped
    assert "2025-01-01 00:00 UTC" in page  # period times are readable


def test_downsample_keeps_extremes_and_ends() -> None:
    values = np.cumsum(np.random.default_rng(7).normal(size=100_003))
    keep = downsample_indices(values, 10_000)
    assert len(keep) <= 10_000
    assert keep[0] == 0 and keep[-1] == len(values) - 1 and np.all(np.diff(keep) > 0)
    assert int(np.argmax(values)) in keep and int(np.argmin(values)) in keep
    spiky = np.zeros(1_000_000)
    spiky[123_457] = 50.0
    assert 123_457 in downsample_indices(spiky)  # a one-bar spike survives
    assert list(downsample_indices(values[:50], 10_000)) == list(range(50))


def test_a_long_run_is_decimated_but_every_trade_marker_is_kept() -> None:
    result = random_walk_result(200_000, trade_every=20, hold=5)
    figure = time_figure(result)
    lines = [t for t in figure.data if t.mode == "lines"]
    markers = [t for t in figure.data if t.mode == "markers"]
    assert len(lines) == 5 and all(len(t.y) <= MAX_LINE_POINTS for t in lines)
    entries = sum(len(t.x) for t in markers if t.name.endswith("entry"))
    exits = sum(len(t.x) for t in markers if t.name.startswith("exit"))
    assert entries == exits == result.trades.height > 9_000
    reasons = {t.name for t in markers if t.name.startswith("exit")}
    assert reasons == {f"exit: {r}" for r in set(result.trades["exit_reason"])}
    # One shared time axis: the upper panels follow the bottom one.
    assert figure.layout.xaxis.matches == "x3" and figure.layout.xaxis2.matches == "x3"


def test_monthly_returns_chain_month_ends() -> None:
    times = pl.Series([1_735_689_600_000, 1_738_368_000_000, 1_738_400_000_000])  # Jan, Feb, Feb
    curve = pl.DataFrame(
        {
            "open_time": times.cast(pl.Datetime("ms", "UTC")),
            "equity": [1.1, 1.0, 1.21],
            "equity_gross": [1.0, 1.0, 1.0],
        }
    )
    table = monthly_table(curve)
    assert table["month"].to_list() == [1, 2]
    np.testing.assert_allclose(table["net"].to_numpy(), [0.1, 0.1])


def test_numbers_read_as_a_person_would_write_them() -> None:
    assert _format("trades", 72.0) == "72"
    assert _format("bars", 26927.0) == "26,927"
    assert _format("total_return", -0.0872) == "-8.72%"
    assert _format("sharpe", -13.4567) == "-13.46"
    assert _format("max_drawdown_duration_ms", 3 * 86_400_000) == "3.0 days"
    assert _format("auc", None) == "–"
