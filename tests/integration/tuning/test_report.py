"""The walk-forward report of a real study: report.json against what the study itself holds
(its trials, plan and summaries), report.html in headless Chromium, both over the API.

The study's space is narrowed so that its trials trade (the QUICK study's seldom do on 21
days), so the stitched equity moves and its continuity means something.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import optuna
import pytest
import redis
import uvicorn
import yaml

from bench import chromium
from services.common.grpc_server import ServerHandle
from services.gateway.app import create_app
from services.gateway.clients import ServiceClients
from services.gateway.settings import GatewaySettings
from services.research import study_files
from services.research.equity_curve import MAX_POINTS
from services.trainer.servicer import build_server
from services.trainer.tuning.objective import iso
from services.trainer.tuning.study import TuneOutcome
from services.trainer.tuning.usecase import TuneRequest
from tests.conftest import free_port
from tests.integration.tuning.conftest import World

LiveGrpc = Callable[[Callable[[], ServerHandle]], str]
CLIENT_KEY = "reader-secret-key-01"
SYMBOL = "BTCUSDT"


TRADING_SPACE = {
    "label": {"return_threshold": {"low": 0.0005, "high": 0.001}},
    "rule": {"k_tp": {"low": 3.0, "high": 6.0}, "k_sl": {"low": 0.5, "high": 1.0},
             "ev_margin": 0.0, "max_hold_bars": {"low": 5, "high": 60}},
    "trend_gate": None,
    "regime_gate": None,
}  # fmt: skip


@pytest.fixture(scope="module")
def first(world: World) -> TuneOutcome:
    """Study `first`: 3 trials (seed 7: two complete, with trades, one pruned)."""
    document = yaml.safe_load(world.config)
    document["tuning"]["space"].update(TRADING_SPACE)
    request = TuneRequest(
        SYMBOL, trials=3, study="first", seed=7, config_yaml=yaml.safe_dump(document)
    )
    return world.trainer.tune(request)


def _study(outcome: TuneOutcome) -> optuna.Study:
    return optuna.load_study(study_name=outcome.study, storage=outcome.storage)


@pytest.fixture(scope="module")
def report(first: TuneOutcome) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(Path(first.report_json).read_text())
    return loaded


def test_the_report_files_sit_in_the_study_folder(first: TuneOutcome) -> None:
    assert Path(first.report_json) == Path(first.study_dir) / "report.json"
    assert Path(first.report_html) == Path(first.study_dir) / "report.html"


def test_the_report_holds_the_study_plan_candidates_and_history(
    first: TuneOutcome, report: dict[str, Any]
) -> None:
    study = _study(first)
    trials = study.get_trials(deepcopy=False)
    assert (report["study"], report["symbol"]) == ("first", SYMBOL)
    plan = study.user_attrs["plan"]
    assert [(f["test_start"], f["test_end"]) for f in report["plan"]["folds"]] == [
        (iso(f["test"]["start_ms"]), iso(f["test"]["end_ms"])) for f in plan["folds"]
    ]
    assert report["plan"]["holdout"]["start"] == iso(plan["holdout"]["start_ms"])
    # Optimisation history: every trial once, best-so-far never falls and is the running max.
    history = report["history"]
    assert len(history) == len(trials) == report["trials"]["total"]
    assert [(h["trial"], h["state"]) for h in history] == [
        (t.number, t.state.name.lower()) for t in trials
    ]
    running = None
    for row, trial in zip(history, trials, strict=True):
        if trial.state == optuna.trial.TrialState.COMPLETE:
            assert row["value"] == trial.value
            running = trial.value if running is None else max(running, trial.value)
        assert row["best_so_far"] == running
    best = [h["best_so_far"] for h in history if h["best_so_far"] is not None]
    assert best == sorted(best) and best[-1] == study.best_value
    # Importances: shares of the sampled params, or a note saying why there are none.
    shares = report["importances"]["values"]
    if shares:
        assert sum(s["importance"] for s in shares) == pytest.approx(1.0)
        assert {s["param"] for s in shares} <= {p for t in trials for p in t.params}
    else:
        assert report["importances"]["note"]
    # The candidates are candidates.json's, in its order, with their summaries' figures.
    listing = json.loads((Path(first.study_dir) / study_files.CANDIDATES).read_text())
    assert [(c["rank"], c["trial"]) for c in report["candidates"]] == [
        (r["rank"], r["trial"]) for r in listing
    ]
    for candidate in report["candidates"]:
        summary = json.loads(
            (Path(first.study_dir) / f"tuning_summary_{candidate['trial']}.json").read_text()
        )
        assert candidate["score"] == summary["score"]
        assert candidate["params"] == summary["params"]
        assert candidate["holdout"]["metrics"] == summary["holdout"]["metrics"]
        assert candidate["folds"] == [
            {k: fold[k] for k in candidate["folds"][0]} for fold in summary["folds"]
        ]
        assert {"train_start", "train_end", "test_start", "test_end", "score", "trades",
                "sharpe", "total_return"} <= set(candidate["folds"][0])  # fmt: skip
        assert candidate["notes"] == []


def test_the_folds_equity_is_stitched_end_to_end(
    first: TuneOutcome, report: dict[str, Any]
) -> None:
    trials = {t.number: t for t in _study(first).get_trials(deepcopy=False)}
    assert any(f["trades"] > 0 for c in report["candidates"] for f in c["folds"][:-1])
    for candidate in report["candidates"]:
        raw = trials[candidate["trial"]].user_attrs["fold_equity"]
        segments = candidate["oos_equity"]
        assert len(segments) == len(raw) == len(candidate["folds"])
        level = 1.0
        for segment, own, fold in zip(segments, raw, candidate["folds"], strict=True):
            assert len(own["time_ms"]) <= MAX_POINTS
            assert segment["time_ms"] == own["time_ms"]
            # The fold's own run starts at 1.0 on its test window and ends at its return ...
            assert own["equity"][0] == 1.0
            assert iso(own["time_ms"][0]) == fold["test_start"]
            assert iso(own["time_ms"][-1]) < fold["test_end"]
            assert own["equity"][-1] - 1.0 == pytest.approx(fold["total_return"], abs=1e-6)
            # ... and is compounded onto where the previous fold ended.
            assert segment["equity"][0] == pytest.approx(level)
            assert segment["equity"] == pytest.approx([level * v for v in own["equity"]])
            level = segment["equity"][-1]
        product = math.prod(1.0 + f["total_return"] for f in candidate["folds"])
        assert candidate["oos_total_return"] == pytest.approx(product - 1.0, abs=1e-5)
        holdout = candidate["holdout_equity"]
        assert holdout["equity"][0] == 1.0 and len(holdout["time_ms"]) <= MAX_POINTS
        assert iso(holdout["time_ms"][0]) == candidate["holdout"]["start"]
        assert holdout["equity"][-1] - 1.0 == pytest.approx(
            candidate["holdout"]["metrics"]["total_return"], abs=1e-6
        )


LINES = """JSON.stringify(Object.fromEntries([...document.querySelectorAll('.js-plotly-plot')]
  .map(d => [d.id, [...d.querySelectorAll('path.js-line')]
    .filter(p => (p.getAttribute('d') || '').length > 20).length])))"""


@pytest.mark.skipif(chromium.binary() is None, reason="chromium is not installed")
def test_the_report_page_renders_in_headless_chromium(
    first: TuneOutcome, report: dict[str, Any], tmp_path: Path
) -> None:
    page = Path(first.report_html).read_text()
    assert "<script src" not in page and "<link" not in page  # nothing to fetch: offline
    loaded = chromium.load(Path(first.report_html), timeout_s=120, probe=LINES)
    assert loaded.errors == []
    plots = {plot["id"]: plot for plot in loaded.plots}
    equity = {f"fig-equity-{c['trial']}" for c in report["candidates"]}
    expected = (
        equity
        | {"fig-history"}
        | ({"fig-importances"} if report["importances"]["values"] else set())
    )
    assert set(plots) == expected
    assert all(plot["svg"] >= 1 for plot in plots.values())
    lines = json.loads(loaded.probe)
    assert all(lines[name] == 2 for name in equity)  # the stitched folds and the holdout
    assert plots["fig-history"]["points"] >= report["trials"].get("complete", 0)
    if "fig-importances" in plots:
        # one bar per parameter (the probe counts both its <g class=point> and its <path>)
        assert plots["fig-importances"]["points"] >= len(report["importances"]["values"])
    assert loaded.screenshot is not None
    (tmp_path / "report.png").write_bytes(loaded.screenshot)


@pytest.fixture
def gateway(world: World, live_grpc: LiveGrpc, redis_url: str) -> Iterator[str]:
    """The gateway on a real HTTP port, in front of a live trainer server."""
    address = live_grpc(lambda: build_server(world.trainer, port=0))
    settings = GatewaySettings(
        admin_keys="ops:admin-secret-key-01", client_keys=f"reader:{CLIENT_KEY}",
        trainer_addr=address, data_dir=world.root, redis_url=redis_url,
    )  # fmt: skip
    app = create_app(
        settings, ServiceClients.from_settings(settings), redis.Redis.from_url(redis_url)
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the gateway did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_the_api_serves_the_report(first: TuneOutcome, gateway: str) -> None:
    with httpx.Client(base_url=gateway, headers={"X-API-Key": CLIENT_KEY}, timeout=60) as http:
        as_json = http.get(f"/api/v1/studies/{SYMBOL.lower()}/first/report.json")
        assert as_json.status_code == 200, as_json.text
        assert as_json.headers["content-type"].startswith("application/json")
        assert as_json.content == Path(first.report_json).read_bytes()
        as_html = http.get(f"/api/v1/studies/{SYMBOL}/first/report.html")
        assert as_html.status_code == 200
        assert as_html.headers["content-type"].startswith("text/html")
        assert as_html.content == Path(first.report_html).read_bytes()
        missing = http.get(f"/api/v1/studies/{SYMBOL}/no-such-study/report.json")
        assert missing.status_code == 404 and "no-such-study" in missing.json()["detail"]
        other = http.get(f"/api/v1/studies/{SYMBOL}/first/optuna.db")
        assert other.status_code == 422 and "report.json" in other.json()["detail"]
        bad = http.get(f"/api/v1/studies/{SYMBOL}/..%2F..%2Fx/report.json")
        assert bad.status_code in (404, 422)
    anonymous = httpx.get(f"{gateway}/api/v1/studies/{SYMBOL}/first/report.json", timeout=30)
    assert anonymous.status_code == 401
