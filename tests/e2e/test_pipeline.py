"""A user's whole journey through the gateway: upload -> train -> activate -> predict ->
backtest -> report; plus the refusals a real product owes its users."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.engine.metrics import flatten
from tests.conftest import SAMPLE
from tests.e2e.helpers import ingest, upload, wait_job

SYMBOL = "BTCUSDT"
CANDLES = SAMPLE / "candles" / "binance_spot_BTCUSDT_1m_20250520-20250818.feather"
TRADES = SAMPLE / "trades" / "binance_usdm_BTCUSDT_20240808T235416_20240808T235959.csv.gz"
VERSION = re.compile(r"^\d+\.\d+\.\d+\+\d{8}_\d{6}$")


def test_health_and_openapi(anonymous: httpx.Client) -> None:
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    ready = anonymous.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert all(ready.json()["checks"].values())
    paths = anonymous.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/analytics/predict/",
        "/api/v1/models",
        "/api/v1/ingest",
        "/api/v1/jobs/{kind}",
        "/api/v1/jobs/{job_id}",
        "/api/v1/models/{version}/activate",
    ):
        assert path in paths


def test_keys_are_required(anonymous: httpx.Client, client: httpx.Client) -> None:
    assert anonymous.get("/api/v1/models").status_code == 401
    assert anonymous.post("/api/v1/analytics/predict/", json={"symbol": SYMBOL}).status_code == 401
    wrong = {"X-API-Key": "not-a-key-not-a-key"}
    assert anonymous.get("/api/v1/models", headers=wrong).status_code == 403
    assert (
        anonymous.post("/api/v1/jobs/train", json={"symbol": SYMBOL}, headers=wrong).status_code
        == 403
    )
    # a client key reads and predicts but may not mutate
    assert client.get("/api/v1/models").status_code == 200
    assert client.post("/api/v1/jobs/train", json={"symbol": SYMBOL}).status_code == 403
    assert client.post("/api/v1/models/1.0.0+20250101_000000/activate").status_code == 403
    assert upload(client, TRADES, SYMBOL).status_code == 403


def test_predict_without_an_active_model_is_409(client: httpx.Client) -> None:
    response = client.post("/api/v1/analytics/predict/", json={"symbol": SYMBOL})
    assert response.status_code == 409
    assert "no active model" in response.json()["detail"]


def test_a_bad_csv_fails_clearly_and_stores_nothing(admin: httpx.Client, tmp_path: Path) -> None:
    bad = tmp_path / "bad_trades.csv"
    bad.write_text(
        "timestamp,price,size,side,tickDirection\n"
        "1723161256.1,61000.5,0.01,Buy,PlusTick\n"
        "1723161257.2,abc,0.02,Sell,MinusTick\n"
    )
    view = ingest(admin, bad, "BADUSDT")
    assert view["status"] == "failed"
    assert "bad_trades.csv" in view["error"]
    assert "line 3" in view["error"] and "price" in view["error"]
    assert admin.get("/api/v1/bars/BADUSDT").status_code == 404
    assert "BADUSDT" not in {s["symbol"] for s in admin.get("/api/v1/symbols").json()}
    wrong_type = tmp_path / "notes.txt"
    wrong_type.write_text("hello")
    assert upload(admin, wrong_type, "BADUSDT").status_code == 415


def test_declared_timestamp_unit(admin: httpx.Client, tmp_path: Path) -> None:
    millis = tmp_path / "millis.csv"
    millis.write_text("timestamp,price,size,side\n1723161300000,1,1,Buy\n")
    refused = ingest(admin, millis, "UNITUSDT", timestamp_unit="us")
    assert refused["status"] == "failed"
    assert "line 2, field 'timestamp'" in refused["error"]
    assert "microseconds, the declared unit" in refused["error"]
    assert upload(admin, millis, "UNITUSDT", timestamp_unit="days").status_code == 422
    view = ingest(admin, millis, "UNITUSDT", timestamp_unit="ms")
    assert view["status"] == "finished", view["error"]
    assert view["result"]["first_ms"] == 1723161300000


def test_unknown_jobs_and_kinds(admin: httpx.Client) -> None:
    assert admin.get("/api/v1/jobs/train-0000000000000000").status_code == 404
    assert admin.post("/api/v1/jobs/launch-rockets", json={}).status_code == 404
    assert admin.post("/api/v1/jobs/train", json={"symbol": "bad symbol!"}).status_code == 422


@pytest.fixture(scope="module")
def trained(admin: httpx.Client) -> dict[str, Any]:
    for path in (TRADES, CANDLES):
        view = ingest(admin, path, SYMBOL)
        assert view["status"] == "finished", view["error"]
        assert view["result"]["rows_stored"] > 0
    accepted = admin.post("/api/v1/jobs/train", json={"symbol": SYMBOL})
    assert accepted.status_code == 202, accepted.text
    view = wait_job(admin, accepted.json()["id"])
    assert view["status"] == "finished", view["error"]
    assert view["progress"] == 1.0
    model: dict[str, Any] = view["result"]
    return model


def test_training_registers_an_inactive_versioned_model(
    trained: dict[str, Any], client: httpx.Client
) -> None:
    assert VERSION.match(trained["version"])
    assert trained["is_active"] is False
    assert re.fullmatch(r"[0-9a-f]{64}", trained["sha256"])
    assert 0.0 <= trained["metrics"]["auc"] <= 1.0
    assert trained["test_start_ms"] > trained["data_start_ms"]
    listed = client.get("/api/v1/models", params={"symbol": SYMBOL}).json()
    assert trained["version"] in {m["version"] for m in listed}
    one = client.get(f"/api/v1/models/{trained['version']}").json()
    assert one["sha256"] == trained["sha256"]
    assert client.get("/api/v1/models/9.9.9+20000101_000000").status_code == 404


@pytest.fixture(scope="module")
def active(trained: dict[str, Any], admin: httpx.Client) -> dict[str, Any]:
    response = admin.post(f"/api/v1/models/{trained['version']}/activate")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_activation_is_recorded(active: dict[str, Any], client: httpx.Client) -> None:
    assert active["model"]["is_active"] is True
    assert active["previous_version"] is None
    assert active["already_active"] is False
    assert active["activated_by"] == "local-admin"
    history = client.get(f"/api/v1/activations/{SYMBOL}").json()
    assert history[0]["version"] == active["model"]["version"]
    assert history[0]["activated_by"] == "local-admin"


def test_activating_the_active_version_again_records_nothing(
    active: dict[str, Any], admin: httpx.Client, client: httpx.Client
) -> None:
    version = active["model"]["version"]
    before = client.get(f"/api/v1/activations/{SYMBOL}").json()

    again = admin.post(f"/api/v1/models/{version}/activate")

    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["already_active"], body["previous_version"]) == (True, version)
    assert body["model"]["is_active"] is True
    assert client.get(f"/api/v1/activations/{SYMBOL}").json() == before


def test_predict_from_latest_and_from_given_features(
    active: dict[str, Any], client: httpx.Client
) -> None:
    version = active["model"]["version"]
    latest = client.post("/api/v1/analytics/predict/", json={"symbol": SYMBOL})
    assert latest.status_code == 200, latest.text
    body = latest.json()
    assert body["model_version"] == version
    assert 0.0 <= body["probability"] <= 1.0
    assert body["signal"] == (body["probability"] >= body["threshold"])
    assert body["feature_timestamp_ms"] > 0
    names = active["model"]["feature_names"]
    given = client.post(
        "/api/v1/analytics/predict/", json={"symbol": SYMBOL, "features": {n: 0.0 for n in names}}
    )
    assert given.status_code == 200, given.text
    assert given.json()["feature_timestamp_ms"] == 0
    missing = client.post(
        "/api/v1/analytics/predict/", json={"symbol": SYMBOL, "features": {names[0]: 0.0}}
    )
    assert missing.status_code == 422
    assert f"missing {len(names) - 1} feature(s)" in missing.json()["detail"]


def test_live_trades_reach_the_latest_features_and_the_prediction(
    active: dict[str, Any], admin: httpx.Client, client: httpx.Client
) -> None:
    before = client.get(f"/api/v1/features/{SYMBOL}/latest")
    assert before.status_code == 200, before.text
    assert before.json()["feature_names"] == active["model"]["feature_names"]
    [last_bar] = client.get(f"/api/v1/bars/{SYMBOL}", params={"limit": 1}).json()
    minute = last_bar["open_time_ms"] + 60_000  # the first minute after the stored history
    trades = [
        {
            "timestamp_us": (minute + 2_000 * i) * 1000,
            "price": last_bar["close"] * (1 + 0.0001 * (i % 5)),
            "size": 0.01 + 0.001 * i,
            "side": "Buy" if i % 3 else "Sell",
            "tick_direction": "PlusTick" if i % 2 else "ZeroPlusTick",
        }
        for i in range(25)
    ]
    # a later clock closes the minute: the bar is stored, then published to the features service
    fed = admin.post(
        f"/api/v1/live/{SYMBOL}/trades", json={"trades": trades, "now_ms": minute + 60_000}
    )
    assert fed.status_code == 200, fed.text
    assert fed.json()["accepted"] == 25
    assert len(fed.json()["closed"]) == 1
    [bar] = client.get(f"/api/v1/bars/{SYMBOL}", params={"limit": 1}).json()
    assert (bar["open_time_ms"], bar["trade_count"]) == (minute, 25)
    deadline = time.monotonic() + 30
    latest = before.json()
    while latest["timestamp_ms"] != minute and time.monotonic() < deadline:
        time.sleep(0.2)
        latest = client.get(f"/api/v1/features/{SYMBOL}/latest").json()
    assert latest["timestamp_ms"] == minute, "the live bar never reached the latest vector"
    served = client.post("/api/v1/analytics/predict/", json={"symbol": SYMBOL}).json()
    assert served["feature_timestamp_ms"] == minute


def test_backtest_job_writes_reports(
    active: dict[str, Any], admin: httpx.Client, client: httpx.Client
) -> None:
    rule = {"k_tp": 3.0, "k_sl": 1.5, "fee_bps": 1.0, "sides": "long", "on_opposite": "close"}
    refused = admin.post("/api/v1/jobs/backtest", json={"symbol": SYMBOL, "rule": {"kk": 1}})
    assert refused.status_code == 422 and "kk" in refused.text
    accepted = admin.post("/api/v1/jobs/backtest", json={"symbol": SYMBOL, "rule": rule})
    assert accepted.status_code == 202, accepted.text
    view = wait_job(admin, accepted.json()["id"])
    assert view["status"] == "finished", view["error"]
    result = view["result"]
    assert result["model_version"] == active["model"]["version"]
    assert Path(result["report_json_path"]).is_file()
    report = client.get(f"/api/v1/reports/{result['run_id']}/report.json")
    assert report.status_code == 200
    data = report.json()
    assert {k: data["config"][k] for k in rule} == rule
    assert data["config"]["mode"] == "ev" and data["config"]["slippage_bps"] == 1.0
    for variant in ("with_costs", "without_costs"):
        for key in ("total_return", "sharpe", "sortino", "max_drawdown", "win_rate", "trades"):
            assert key in data["summary"][variant], (variant, key)
    assert set(data["summary"]["exit_reasons"]) >= {"stop", "take_profit", "time", "end"}
    assert flatten(data["summary"]) == pytest.approx(result["summary"])
    assert data["summary"]["with_costs"]["trades"] == len(data["trades"])
    assert {"bootstrap", "random_entries"} <= set(data["robustness"])
    assert data["model_quality"]["long"]["auc"] is not None
    html = client.get(f"/api/v1/reports/{result['run_id']}/report.html")
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert "plotly" in html.text.lower()
    assert client.get("/api/v1/reports/../registry.db").status_code == 404
    listed = client.get("/api/v1/jobs", params={"kind": "backtest"}).json()
    assert [j["id"] for j in listed] == [view["id"]]
    assert listed[0]["status"] == "finished"
    failed = client.get("/api/v1/jobs", params={"status": "failed"}).json()
    assert {j["kind"] for j in failed} == {"ingest"}  # the bad CSV, and nothing else


def test_a_tampered_model_is_refused(
    active: dict[str, Any], admin: httpx.Client, client: httpx.Client
) -> None:
    # a second model over an earlier window, then its artifact is altered on disk
    end = active["model"]["data_end_ms"] // 1000 - 86_400
    accepted = admin.post("/api/v1/jobs/train", json={"symbol": SYMBOL, "end": end})
    view = wait_job(admin, accepted.json()["id"])
    assert view["status"] == "finished", view["error"]
    second = view["result"]
    model_file = Path(second["artifact_path"])
    model_file.write_bytes(model_file.read_bytes() + b"\n")  # one extra byte
    refused = admin.post(f"/api/v1/models/{second['version']}/activate")
    assert refused.status_code == 409
    assert "sha256" in refused.json()["detail"]
    assert "failed verification" in refused.json()["detail"]
    # the good model stays active and keeps serving
    still = client.post("/api/v1/analytics/predict/", json={"symbol": SYMBOL})
    assert still.status_code == 200
    assert still.json()["model_version"] == active["model"]["version"]
    current = client.get(f"/api/v1/models/active/{SYMBOL}").json()
    assert current["version"] == active["model"]["version"]
    assert json.loads(json.dumps(current))["is_active"] is True


QUICK_TUNING = """
tuning:
  folds: 3
  startup_trials: 2
  candidates: 2
  space:
    model:
      num_boost_round: 30
      early_stopping_rounds: 10
      learning_rate: {low: 0.1, high: 0.3, log: true}
      num_leaves: {low: 7, high: 15}
    rule:
      k_tp: {low: 3.0, high: 8.0}
      k_sl: {low: 0.5, high: 2.0}
"""


def test_tune_train_and_backtest_a_candidate_over_http(
    active: dict[str, Any], admin: httpx.Client, client: httpx.Client
) -> None:
    """The tuning journey through the gateway: a study on the candles' 91 days (the trade
    sample's island a year before is left out by `start`), its best candidate backtested on
    the holdout with its own model and rule (the summary's figures, reproduced), then
    retrained and registered inactive. Runs last: retraining rebuilds the dataset."""
    start = 1_747_699_200  # 2025-05-20, the candles' first minute
    body = {"symbol": SYMBOL, "trials": 3, "study": "e2e", "config_yaml": QUICK_TUNING,
            "start": start}  # fmt: skip
    accepted = admin.post("/api/v1/jobs/tune", json=body)
    assert accepted.status_code == 202, accepted.text
    view = wait_job(admin, accepted.json()["id"])
    assert view["status"] == "finished", view["error"]
    study = view["result"]
    assert study["trials"]["complete"] + study["trials"].get("pruned", 0) == 3
    summary = json.loads(Path(study["summary"]).read_text())
    assert summary["trial"] == study["best_trial"] == study["candidates"][0]["trial"]

    both = {"symbol": SYMBOL, "from_tuning": {"study": "e2e"}, "model_version": "x"}
    refused = admin.post("/api/v1/jobs/backtest", json=both)
    assert refused.status_code == 422 and "from_tuning" in refused.text
    accepted = admin.post(
        "/api/v1/jobs/backtest", json={"symbol": SYMBOL, "from_tuning": {"study": "e2e"}}
    )
    view = wait_job(admin, accepted.json()["id"])
    assert view["status"] == "finished", view["error"]
    report = client.get(f"/api/v1/reports/{view['result']['run_id']}/report.json").json()
    holdout = summary["holdout"]["metrics"]
    for key in ("total_return", "trades", "sharpe"):
        assert report["summary"]["with_costs"][key] == pytest.approx(holdout[key]), key
    assert report["config"]["k_tp"] == pytest.approx(summary["rule"]["k_tp"])

    accepted = admin.post(
        "/api/v1/jobs/train",
        json={"symbol": SYMBOL, "from_tuning": {"study": "e2e", "trial": summary["trial"]}},
    )
    view = wait_job(admin, accepted.json()["id"])
    assert view["status"] == "finished", view["error"]
    model = view["result"]
    assert VERSION.match(model["version"]) and model["is_active"] is False
    assert model["metrics"]["fold_score"] == pytest.approx(summary["score"])
    assert model["data_start_ms"] >= start * 1000  # the study's span, not the island
    assert (
        client.get(f"/api/v1/models/active/{SYMBOL}").json()["version"]
        == (active["model"]["version"])
    )
