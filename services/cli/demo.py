"""`make demo`: the whole pipeline on the bundled real data, driven only over HTTP.

Starts the stack as local processes (embedded defaults: SQLite registry, a private data folder
under var/demo), uploads the sample trades and 91 days of BTCUSDT 1m candles, runs a short
tuning study (configs/demo_tuning.yaml), trains the best candidate's configuration, activates
it, predicts, backtests the candidate on the study's holdout (tuning-aligned: its own model,
rule, costs and gates), prints the candidate table and a summary, and stops everything it
started.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

from services.cli.api import ApiError, GatewayApi
from services.cli.stack import REPO, StackConfig, StackError, down, up
from services.cli.usecases import candidate_table

SAMPLE = REPO / "data" / "sample"
SYMBOL = "BTCUSDT"
BAR_WIDTH = 30


def _bar(fraction: float) -> str:
    done = int(round(fraction * BAR_WIDTH))
    return "[" + "#" * done + "-" * (BAR_WIDTH - done) + f"] {fraction * 100:5.1f}%"


def _progress(label: str) -> Any:
    """A progress bar redrawn in place on a terminal; one line per change when piped."""
    last = {"line": ""}
    live = sys.stdout.isatty()

    def show(view: dict[str, Any]) -> None:
        line = (
            f"  {label:<10} {_bar(view.get('progress', 0.0))} {view.get('status', ''):<9} "
            f"{(view.get('message') or '')[:48]}"
        )
        if line == last["line"]:
            return
        last["line"] = line
        done = view.get("status") in {"finished", "failed", "stopped", "canceled"}
        if live:
            print("\r" + line.ljust(110), end="\n" if done else "", flush=True)
        elif done:
            print(line, flush=True)

    return show


def sample_files() -> list[tuple[Path, str]]:
    trades = sorted((SAMPLE / "trades").glob("*.csv.gz"))
    candles = sorted((SAMPLE / "candles").glob("*.feather"))
    return [(path, "trades") for path in trades] + [(path, "candles") for path in candles]


DEMO_TUNING = REPO / "configs" / "demo_tuning.yaml"
DEMO_TRIALS = 10
DEMO_STUDY = "demo"


def candle_range_ms() -> tuple[int, int]:
    """The bundled candles' span: the study's folds and holdout are cut by time, so they are
    cut over the 91 days of candles, not over the trade samples' islands years before."""
    import polars as pl

    times = [
        pl.read_ipc(path).select(pl.col(pl.Datetime).dt.epoch("ms")).to_series()
        for path, kind in sample_files()
        if kind == "candles"
    ]
    joined = pl.concat(times)
    return int(joined.min()), int(joined.max()) + 60_000  # type: ignore[arg-type]


def run_pipeline(api: GatewayApi, out: Any = print) -> dict[str, Any]:
    """Upload -> tune -> train from the best candidate -> activate -> predict -> backtest,
    all through the gateway."""
    out(f"1. uploading the bundled real data for {SYMBOL}")
    for path, kind in sample_files():
        accepted = api.upload(path, SYMBOL, kind)
        view = api.wait(accepted["id"], _progress(kind))
        result = view["result"] or {}
        out(
            f"     {path.name}: {result.get('rows_stored', 0):,} new rows "
            f"({result.get('duplicates', 0):,} duplicates), "
            f"{result.get('bars_1m', 0):,} 1m bars stored"
        )
    start_ms, end_ms = candle_range_ms()
    out(
        f"2. tuning: a {DEMO_TRIALS}-trial study over model, label and rule, each trial scored "
        "by the EV engine"
    )
    out("   on purged walk-forward folds; the newest 20% is a holdout no trial reads")
    tune = api.start_job(
        "tune",
        {
            "symbol": SYMBOL,
            "trials": DEMO_TRIALS,
            "study": DEMO_STUDY,
            "config_yaml": DEMO_TUNING.read_text(),
            "start": start_ms // 1000,
            "end": end_ms // 1000,
        },
    )
    study = api.wait(tune["id"], _progress("tune"))["result"]
    trials = study.get("trials", {})
    out(
        f"     study {study['study']!r}: {trials.get('complete', 0)} complete, "
        f"{trials.get('pruned', 0)} pruned; best trial {study['best_trial']} "
        f"(fold score {study['score']:.3f}), in {study['seconds']:.0f} s"
    )
    out("3. training the best candidate's configuration up to the holdout's end")
    train = api.start_job("train", {"symbol": SYMBOL, "from_tuning": {"study": DEMO_STUDY}})
    model = api.wait(train["id"], _progress("train"))["result"]
    out(f"     model {model['version']} registered inactive, its sidecar naming the trial")
    out("4. activating it (a deliberate act, recorded with who did it)")
    activated = api.activate(model["version"])
    out(
        f"     active: {activated['model']['version']} (previous: "
        f"{activated['previous_version'] or 'none'})"
    )
    out("5. predicting from the latest stored feature vector")
    prediction = api.predict(SYMBOL)
    out(
        f"     P(up) = {prediction['probability']:.4f}, signal = {prediction['signal']} "
        f"(model {prediction['model_version']})"
    )
    out("6. backtesting the best candidate on the holdout, tuning-aligned: its own model (fit")
    out("   without the holdout) with its rule, costs and gates, as the study scored it")
    job = api.start_job("backtest", {"symbol": SYMBOL, "from_tuning": {"study": DEMO_STUDY}})
    result = api.wait(job["id"], _progress("backtest"))["result"]
    runs = {"best candidate": {"result": result, "report": api.report(result["run_id"]).json()}}
    return {"model": model, "study": study, "prediction": prediction, "backtests": runs}


def _rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    summary = report["summary"]
    net, gross = summary["with_costs"], summary["without_costs"]
    gate = report.get("model_quality", {}).get("long", {}).get("precision_at_gate") or {}
    return [
        ("total return", f"{net['total_return']:+.2%}"),
        ("  without costs", f"{gross['total_return']:+.2%}"),
        ("buy & hold", f"{summary['buy_hold_return']:+.2%}"),
        ("Sharpe (ann.)", f"{net['sharpe']:.2f}"),
        ("max drawdown", f"{net['max_drawdown']:.2%}"),
        ("win rate", f"{net['win_rate']:.1%}"),
        ("trades", f"{int(net['trades'])}"),
        ("fees + slippage", f"{net['fees_paid'] + net['slippage_paid']:.2%}"),
        ("exposure", f"{summary['exposure']:.1%}"),
        ("gate fired on", f"{int(gate.get('fired') or 0)} bars"),
    ]


def print_summary(outcome: dict[str, Any]) -> None:
    study = outcome["study"]
    print("\nTuning candidates, ranked by fold score (the holdout never chose them)")
    print("  " + candidate_table(study["candidates"]).replace("\n", "\n  "))
    runs = outcome["backtests"]
    tables = {name: _rows(run["report"]) for name, run in runs.items()}
    names = list(tables)
    print("\nHoldout backtest of the best candidate (out-of-sample, after fees and slippage)")
    print(f"  {'':<17}" + "".join(f"{name:>14}" for name in names))
    for i, (label, _) in enumerate(tables[names[0]]):
        print(f"  {label:<17}" + "".join(f"{tables[name][i][1]:>14}" for name in names))
    ev = runs[names[0]]["report"]
    if not ev["summary"]["with_costs"]["trades"]:
        cost = 2 * (ev["config"]["fee_bps"] + ev["config"]["slippage_bps"]) / 100
        print(
            f"\n  The best candidate took no trade: on its folds no trial's trades earned their"
            f"\n  {cost:.2f}% round-trip costs, so standing aside scored best. The candidates"
            "\n  above that did trade show their holdout figures beside their fold scores."
        )
    print()
    for name, run in runs.items():
        print(f"  {name + ' report.html:':<28} {run['result']['report_html_path']}")
    if study.get("report_html"):
        print(f"  {'walk-forward report.html:':<28} {study['report_html']}")
    print(f"  {'study folder:':<28} {study['study_dir']}")
    print("  (report.json beside each report; the rules: docs/backtest.md, docs/tuning.md)")


def main() -> int:
    state_dir = REPO / "var" / "demo"
    if state_dir.exists():
        shutil.rmtree(state_dir)  # a fresh, reproducible run; never touches var/data
    config = StackConfig(state_dir=state_dir, data_dir=state_dir / "data", free_ports=True)
    started = time.monotonic()
    print("Starting the Trady stack as local processes (logs in var/demo/logs) ...")
    try:
        state = up(config, on_progress=lambda msg: print(f"  {msg}"))
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"  gateway ready at {state.gateway_url}\n")
    api = GatewayApi(state.gateway_url, state.admin_key)
    try:
        outcome = run_pipeline(api)
        print_summary(outcome)
    except ApiError as exc:
        print(f"\nerror: {exc}\n(see the logs in {state_dir / 'logs'})", file=sys.stderr)
        return 1
    finally:
        api.close()
        down(state_dir, state)
    print(f"\nDone in {time.monotonic() - started:.0f} s; the stack is stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
