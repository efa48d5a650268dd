"""report.json has every key and is valid JSON; report.html is one self-contained page."""

from __future__ import annotations

import json
import re

import numpy as np

from services.backtester.domain.metrics import summarize
from services.backtester.domain.report import (
    MAX_LINE_POINTS,
    REPORT_KEYS,
    RunInfo,
    build_figure,
    build_report,
    downsample_indices,
    render_html,
)
from services.engine.fixed_hold import Simulation, simulate
from services.engine.rule import ThresholdRule
from tests.unit.backtester.helpers import bars

INFO = RunInfo(
    run_id="BTCUSDT-1.0.0_20250101_000000-20250102000000",
    symbol="BTCUSDT",
    model_version="1.0.0+20250101_000000",
    created_at_ms=1_735_776_000_000,
    period={"start_ms": 1_735_689_600_000, "end_ms": 0, "bars": 10, "source": "test_range"},
    model={"version": "1.0.0+20250101_000000", "feature_set_id": "abc"},
    config={"threshold": 0.6, "holding_bars": 2, "fee_bps": 5.5, "slippage_bps": 1.0},
    warnings=("IN-SAMPLE: <overlap>",),
)
RULE = ThresholdRule(0.6, 2, 5.5, 1.0)


def small_sim() -> Simulation:
    opens = [100, 102, 101, 105, 104, 108, 110, 109, 111, 112]
    closes = [101, 101, 104, 104, 107, 109, 110, 110, 112, 115]
    probs = [0.7, 0.8, 0.2, 0.9, 0.6, 0.1, 0.3, 0.2, 0.65, 0.9]
    return simulate(bars(opens, closes), probs, RULE)


def test_report_json_has_every_key_and_is_strict_json() -> None:
    sim = small_sim()
    summary = summarize(sim)
    report = build_report(INFO, sim, summary)
    assert tuple(report) == REPORT_KEYS
    assert report["summary"] == summary
    assert report["config"] == INFO.config
    assert report["model_version"] == INFO.model_version
    assert report["warnings"] == list(INFO.warnings)
    assert len(report["trades"]) == 3
    first = report["trades"][0]
    assert first["entry_time_ms"] == 60_000 and first["exit_time_ms"] == 180_000
    assert {
        "signal_time_ms",
        "entry_price",
        "exit_price",
        "net_return",
        "bars_held",
        "closed_at_end",
        "fee_paid",
    } <= set(first)
    assert json.loads(json.dumps(report, allow_nan=False)) == report


def test_report_html_is_self_contained_with_the_figure() -> None:
    sim = small_sim()
    page = render_html(INFO, sim, summarize(sim))
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # plotly.js itself is inlined: no script is fetched from anywhere.
    assert "plotly.js v" in page
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert "Plotly.newPlot" in page
    assert "<caption>Summary</caption>" in page and "total_return" in page
    assert "IN-SAMPLE: &lt;overlap&gt;" in page  # warnings shown, escaped
    assert "2025-01-01 00:00 UTC" in page  # period times are readable


def test_downsample_keeps_extremes_and_ends() -> None:
    rng = np.random.default_rng(7)
    values = np.cumsum(rng.normal(size=100_003))
    keep = downsample_indices(values, 20_000)
    assert len(keep) <= 20_000
    assert keep[0] == 0 and keep[-1] == len(values) - 1
    assert np.all(np.diff(keep) > 0)
    assert int(np.argmax(values)) in keep and int(np.argmin(values)) in keep
    assert list(downsample_indices(values[:50], 20_000)) == list(range(50))


def test_long_runs_are_decimated_but_every_trade_marker_is_kept() -> None:
    n = 3 * MAX_LINE_POINTS
    rng = np.random.default_rng(3)
    opens = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
    probs = rng.random(n)
    sim = simulate(bars(list(opens), list(opens * 1.0001)), probs, RULE)
    figure = build_figure(sim, INFO)
    traces = {trace.name: trace for trace in figure.data}
    for name in ("close", "equity", "drawdown"):
        assert len(traces[name].y) <= MAX_LINE_POINTS
    assert len(traces["entry"].x) == sim.trades.height > 1000
    assert len(traces["exit"].x) == sim.trades.height
    # One shared time axis: the upper panels follow the bottom one.
    assert figure.layout.xaxis.matches == "x3" and figure.layout.xaxis2.matches == "x3"


def test_summary_numbers_read_as_a_person_would_write_them() -> None:
    from services.backtester.domain.report import _format

    assert _format("trades", 72.0) == "72"
    assert _format("bars", 26927.0) == "26,927"
    assert _format("total_return", -0.0872) == "-8.72%"
    assert _format("sharpe", -13.4567) == "-13.46"
