"""A real study on real bars: its files, replay, resume, the untouched holdout, and the
backtest of a candidate that reproduces its holdout figures exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import optuna
import polars as pl
import pytest

from services.common.errors import IntegrityFailure, InvalidInput
from services.features.store import DatasetStore
from services.research import study_files
from services.trainer.tuning.usecase import TuneRequest, tune
from tests.integration.trainer.helpers import flip_middle_byte
from tests.integration.tuning.conftest import World

SYMBOL = "BTCUSDT"


def _trials(study_dir: Path, name: str) -> list[optuna.trial.FrozenTrial]:
    store = f"sqlite:///{study_dir / study_files.STUDY_DB}"
    return optuna.load_study(study_name=name, storage=store).get_trials(deepcopy=False)


def _replay(trials: list[optuna.trial.FrozenTrial]) -> list[tuple[object, ...]]:
    return [(t.state, t.params, t.value, t.user_attrs.get("folds")) for t in trials]


@pytest.fixture(scope="module")
def first(world: World) -> object:
    return world.trainer.tune(
        TuneRequest(SYMBOL, trials=4, study="first", seed=7, config_yaml=world.config)
    )


def test_the_study_folder_holds_each_candidates_files(world: World, first: object) -> None:
    outcome = first
    study_dir = Path(outcome.study_dir)  # type: ignore[attr-defined]
    assert study_dir == world.root / "models" / SYMBOL / "first"
    assert (study_dir / "optuna.db").exists()
    rows = outcome.candidates  # type: ignore[attr-defined]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert outcome.best_trial == rows[0]["trial"]  # type: ignore[attr-defined]
    assert outcome.summary == str(study_dir / f"tuning_summary_{rows[0]['trial']}.json")  # type: ignore[attr-defined]
    for row in rows:
        trial = row["trial"]
        summary = json.loads((study_dir / f"tuning_summary_{trial}.json").read_text())
        assert (study_dir / f"train_config_{trial}.json").exists()
        assert (study_dir / f"model_{trial}" / "model.txt").exists()
        assert len(summary["folds"]) == 3
        for fold in summary["folds"]:
            assert {"train_start", "train_end", "test_start", "test_end", "score", "trades",
                    "sharpe", "total_return"} <= set(fold)  # fmt: skip
            assert fold["train_end"] < fold["test_start"] < fold["test_end"]
            assert fold["test_end"] <= summary["holdout"]["start"]
        assert {"total_return", "trades", "sharpe", "max_drawdown"} <= set(
            summary["holdout"]["metrics"]
        )
        assert summary["holdout"]["end"] > summary["holdout"]["start"]
        assert summary["calibration"]["method"] == "platt"
        config = json.loads((study_dir / f"train_config_{trial}.json").read_text())
        assert set(config) == {"features", "label", "training", "backtest", "tuning"}
        assert config["backtest"]["mode"] == "ev"
    assert json.loads((study_dir / "candidates.json").read_text()) == rows


def test_the_same_seed_replays_the_study_trial_for_trial(world: World, first: object) -> None:
    again = world.trainer.tune(
        TuneRequest(
            SYMBOL, trials=4, study="first", seed=7, config_yaml=world.config,
            out_dir=str(world.root / "replay"),
        )
    )  # fmt: skip
    original = _replay(_trials(Path(first.study_dir), "first"))  # type: ignore[attr-defined]
    assert _replay(_trials(Path(again.study_dir), "first")) == original
    assert again.candidates == first.candidates  # type: ignore[attr-defined]
    other = world.trainer.tune(
        TuneRequest(
            SYMBOL, trials=2, study="first", seed=8, config_yaml=world.config,
            out_dir=str(world.root / "other-seed"),
        )
    )  # fmt: skip
    assert _replay(_trials(Path(other.study_dir), "first"))[0][1] != original[0][1]


def test_running_again_resumes_the_study(world: World) -> None:
    request = TuneRequest(SYMBOL, trials=2, study="resumed", seed=3, config_yaml=world.config)
    one = world.trainer.tune(request)
    two = world.trainer.tune(request)
    trials = _trials(Path(two.study_dir), "resumed")
    assert len(trials) == 4
    assert [t.number for t in trials] == [0, 1, 2, 3]
    assert len({json.dumps(t.params, sort_keys=True) for t in trials}) == 4  # no redraws
    assert one.study_dir == two.study_dir
    # The resumed run rewrote the walk-forward report over the whole study, not its 2 trials.
    assert one.report_json == two.report_json
    report = json.loads(Path(two.report_json).read_text())
    assert [row["trial"] for row in report["history"]] == [0, 1, 2, 3]
    assert report["trials"]["total"] == 4
    assert "BTCUSDT · 4 trials (" in Path(two.report_html).read_text()


def test_no_trial_reads_the_holdout(world: World, first: object, tmp_path: Path) -> None:
    """Poison every price and feature from the holdout's start on: the trials are the same,
    only the candidates' holdout figures move."""
    frame, meta = DatasetStore(world.root).read(SYMBOL)
    study_dir = Path(first.study_dir)  # type: ignore[attr-defined]
    holdout_start = json.loads(Path(first.summary).read_text())["holdout"]["start_ms"]  # type: ignore[attr-defined]
    after = pl.col("open_time").dt.epoch("ms") >= holdout_start
    rng = np.random.default_rng(1)
    noise = pl.Series(rng.uniform(0.5, 1.5, frame.height))
    poisoned = frame.with_columns(
        *(pl.when(after).then(pl.col(c) * noise).otherwise(pl.col(c)).alias(c)
          for c in ("open", "high", "low", "close", *meta.feature_names)),
    )  # fmt: skip
    poisoned = poisoned.with_columns(
        pl.max_horizontal("open", "high", "low", "close").alias("high"),
        pl.min_horizontal("open", "high", "low", "close").alias("low"),
    )
    DatasetStore(tmp_path).write(poisoned, meta)
    outcome = tune(
        TuneRequest(SYMBOL, trials=4, study="first", seed=7, config_yaml=world.config),
        datasets=DatasetStore(tmp_path),
        models_dir=tmp_path / "models",
        server_config_yaml=world.config,
        progress=lambda _f, _m: None,
    )
    assert _replay(_trials(Path(outcome.study_dir), "first")) == _replay(
        _trials(study_dir, "first")
    )
    for row in outcome.candidates:
        moved = json.loads((Path(outcome.study_dir) / row["summary"]).read_text())["holdout"]
        kept = json.loads((study_dir / row["summary"]).read_text())["holdout"]
        assert moved["start_ms"] == kept["start_ms"]
        assert moved["metrics"]["buy_hold_return"] != kept["metrics"]["buy_hold_return"]


def test_backtest_from_tuning_reproduces_the_holdout_figures(world: World, first: object) -> None:
    study_dir = Path(first.study_dir)  # type: ignore[attr-defined]
    for row in first.candidates:  # type: ignore[attr-defined]
        path = study_dir / row["summary"]
        summary = json.loads(path.read_text())
        outcome = world.backtester.run_from_tuning(str(path))
        assert outcome.summary == summary["holdout"]["metrics"]
        assert outcome.warnings == ()
        report = json.loads(Path(outcome.report_json_path).read_text())
        assert report["period"]["source"] == "tuning_holdout"


def test_a_changed_study_file_is_refused(world: World, first: object, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "study"
    shutil.copytree(first.study_dir, copy)  # type: ignore[attr-defined]
    trial = first.best_trial  # type: ignore[attr-defined]
    flip_middle_byte(copy / f"model_{trial}" / "model.txt")
    with pytest.raises(IntegrityFailure, match="model.txt"):
        world.backtester.run_from_tuning(str(copy / f"tuning_summary_{trial}.json"))
    flip_middle_byte(copy / f"train_config_{trial}.json")
    with pytest.raises(IntegrityFailure, match="changed after the study wrote it"):
        world.backtester.run_from_tuning(str(copy / f"tuning_summary_{trial}.json"))


def test_bad_requests_are_named(world: World) -> None:
    with pytest.raises(InvalidInput, match="study name"):
        world.trainer.tune(TuneRequest(SYMBOL, trials=1, study="../escape"))
    with pytest.raises(InvalidInput, match="trials must be at least 1"):
        world.trainer.tune(TuneRequest(SYMBOL, trials=0, study="x", config_yaml=world.config))


def test_train_from_tuning_registers_the_trial_and_backtests_inherit_its_rule(
    world: World, first: object
) -> None:
    import hashlib

    summary_path = Path(first.summary)  # type: ignore[attr-defined]
    summary = json.loads(summary_path.read_text())
    config = json.loads((summary_path.parent / summary["train_config"]["file"]).read_text())
    record = world.trainer.train_from_tuning(str(summary_path))
    assert record.is_active is False
    sidecar = json.loads(Path(record.sidecar_path).read_text())
    assert sidecar["tuning"]["study"] == "first"
    assert sidecar["tuning"]["trial"] == summary["trial"]
    assert (
        sidecar["tuning"]["summary_sha256"] == hashlib.sha256(summary_path.read_bytes()).hexdigest()
    )
    assert sidecar["rule"] == config["backtest"]
    assert sidecar["label"]["horizon_steps"] == summary["label"]["horizon_steps"]
    assert sidecar["fit_end_ms"] == summary["holdout"]["end_ms"]
    assert sidecar["calibration"]["method"] == "platt"
    assert record.metrics["fold_score"] == summary["score"]
    outcome = world.backtester.run(SYMBOL, record.version)
    report = json.loads(Path(outcome.report_json_path).read_text())
    for key in ("k_tp", "k_sl", "ev_margin", "max_hold_bars", "fee_bps", "slippage_bps"):
        assert report["config"][key] == config["backtest"][key], key
    assert outcome.warnings and "IN-SAMPLE" in outcome.warnings[0]


def test_train_from_tuning_through_now_and_bad_choices(world: World, first: object) -> None:
    with pytest.raises(InvalidInput, match="through must be"):
        world.trainer.train_from_tuning(str(first.summary), through="tomorrow")  # type: ignore[attr-defined]
    record = world.trainer.train_from_tuning(str(first.summary), through="now")  # type: ignore[attr-defined]
    sidecar = json.loads(Path(record.sidecar_path).read_text())
    assert sidecar["tuning"]["through"] == "now"
    assert sidecar["fit_end_ms"] == sidecar["data_range"]["end_ms"]
