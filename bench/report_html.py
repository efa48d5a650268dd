"""report.html on a year of 1m bars: its size, build time and load time in headless Chromium.

    .venv/bin/python -m bench.report_html [--bars 525600] [--out var/bench/report.html]

A seeded random walk of `--bars` 1m bars with signals on ~5% of them runs through the EV engine
(SL/TP, fees, slippage); the metrics, robustness checks, model quality and the report are built
as a backtest job builds them. Chromium (Debian's package, `apt-get install chromium`) then
opens the page headless; the page itself records performance.now() once every plot has
rendered (navigation start -> plotly.js inflated and run -> all figures drawn), which is read
back from the dumped DOM. A screenshot is written beside the page.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from bench import chromium
from services.backtester.domain.model_quality import model_quality
from services.backtester.domain.report import RunInfo, build_report, render_html
from services.backtester.domain.report_figures import time_figure
from services.engine.metrics import summarize
from services.engine.robustness import assess
from services.engine.rule import EvRule
from services.engine.simulate import EngineResult, simulate

START_MS = 1_704_067_200_000  # 2024-01-01 UTC
MINUTE_MS = 60_000
SIGNAL_SHARE = 0.05
RULE = EvRule(k_tp=2.0, k_sl=1.0, ev_margin=0.0, fee_bps=5.5, slippage_bps=1.0, max_hold_bars=60)


def synthetic_run(n: int, seed: int = 7) -> tuple[EngineResult, dict[str, Any]]:
    """A seeded year: bars, signals on ~5% of bars, the engine's result and model quality."""
    rng = np.random.default_rng(seed)
    close = 60_000 * np.exp(np.cumsum(rng.normal(0, 0.0007, n)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    spread = np.abs(rng.normal(0, 0.0005, n)) * close
    bars = pl.DataFrame(
        {
            "open_time": START_MS + np.arange(n, dtype=np.int64) * MINUTE_MS,
            "open": open_,
            "high": np.maximum(open_, close) + spread,
            "low": np.minimum(open_, close) - spread,
            "close": close,
        }
    )
    signal_rows = np.flatnonzero(rng.random(n) < SIGNAL_SHARE)
    up = rng.uniform(0.2, 0.8, len(signal_rows))
    signals = pl.DataFrame(
        {
            "open_time": bars["open_time"].gather(signal_rows),
            "p_long": up,
            "p_short": 1.0 - up,
            "atr": close[signal_rows] * 0.003,
        }
    )
    result = simulate(bars, signals, RULE)
    # Labels: did the next 60 bars rise? Probabilities on every bar (the model's view).
    labels = (np.roll(close, -60) > close).astype(np.float64)
    labels[-60:] = np.nan
    probabilities = np.clip(0.5 + rng.normal(0, 0.08, n) + 0.05 * (labels - 0.5), 0, 1)
    fired = np.zeros(n, bool)
    fired[signal_rows] = up > 0.5
    quality = model_quality({"long": (labels, probabilities, fired)})
    return result, quality


def build_page(n: int) -> tuple[str, dict[str, float], EngineResult]:
    took: dict[str, float] = {}
    start = time.perf_counter()
    result, quality = synthetic_run(n)
    took["engine_and_quality_s"] = time.perf_counter() - start
    start = time.perf_counter()
    summary = summarize(result)
    took["summarize_s"] = time.perf_counter() - start
    start = time.perf_counter()
    robustness = assess(result)
    took["robustness_s"] = time.perf_counter() - start
    info = RunInfo(
        run_id="bench-year-1m",
        symbol="BTCUSDT",
        model_version="bench",
        created_at_ms=START_MS,
        period={"first_bar_ms": START_MS, "last_bar_ms": START_MS + (n - 1) * MINUTE_MS, "bars": n},
        model={"version": "bench"},
        config=RULE.model_dump(),
    )
    start = time.perf_counter()
    report = build_report(info, result, summary, robustness, quality)
    took["report_json_s"] = time.perf_counter() - start
    took["report_json_mb"] = len(json.dumps(report, allow_nan=False)) / 1e6
    start = time.perf_counter()
    page = render_html(info, result, summary, robustness, quality)
    took["render_html_s"] = time.perf_counter() - start
    return page, took, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=525_600)
    parser.add_argument("--out", type=Path, default=Path("var/bench/report.html"))
    parser.add_argument("--loads", type=int, default=3, help="page loads to time")
    args = parser.parse_args()
    page, took, result = build_page(args.bars)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page)
    points = {t.name: len(t.x) for t in time_figure(result).data}
    print(f"bars {args.bars:,}  trades {result.trades.height:,}")
    for key, value in took.items():
        print(f"{key:<24}{value:>10.3f}")
    print(f"{'report_html_mb':<24}{len(page.encode()) / 1e6:>10.3f}")
    print("points per trace (time figure):")
    for name, count in points.items():
        print(f"  {name:<28}{count:>8,}")
    shot = args.out.with_suffix(".png")
    loads = [chromium.load(args.out, screenshot=i == 0) for i in range(args.loads)]
    if loads[0].screenshot:
        shot.write_bytes(loads[0].screenshot)
    rendered = sorted(x.rendered_ms / 1000 for x in loads)
    walls = sorted(x.wall_s for x in loads)
    plotly_s = sorted(x.plotly_ms / 1000 for x in loads)
    print(
        f"{'chromium_plotly_s':<24}{plotly_s[len(plotly_s) // 2]:>10.3f}  (plotly.js inflated, run)"
    )
    print(
        f"{'chromium_rendered_s':<24}{rendered[len(rendered) // 2]:>10.3f}  (median of "
        f"{len(loads)}; the page's performance.now() once every plot had rendered)"
    )
    print(f"{'chromium_wall_s':<24}{walls[len(walls) // 2]:>10.3f}  (navigate -> render mark seen)")
    for plot in loads[0].plots:
        print(f"  {plot['id']:<18} svg layers {plot['svg']}, canvases {plot['canvas']}")
    print(f"page {args.out}  screenshot {shot}")


if __name__ == "__main__":
    main()
