"""The walk-forward report's document and page from hand-made inputs: stitching compounds,
the history's best-so-far, candidates from before fold equity was recorded, an offline page."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from services.research import study_files
from services.research.equity_curve import EquityCurve
from services.research.walk_forward import Fold, WalkForward, Window
from services.trainer.tuning.report.data import (
    CandidateInput,
    Importances,
    StudyFacts,
    TrialRow,
    build_report,
    history,
    stitch,
)
from services.trainer.tuning.report.page import render_html

DAY = 86_400_000
T0 = 1_735_689_600_000
PLAN = WalkForward(
    folds=tuple(
        Fold(k, Window(T0, T0 + (10 + 5 * k) * DAY - DAY), Window(T0 + (10 + 5 * k) * DAY,
             T0 + (15 + 5 * k) * DAY))
        for k in range(3)
    ),
    holdout=Window(T0 + 25 * DAY, T0 + 30 * DAY),
    embargo_ms=DAY,
)  # fmt: skip
FACTS = StudyFacts("s</script>", "BTCUSDT", PLAN, {"metric": "sharpe", "penalty_lambda": 0.5},
                   "2026-01-01T00:00:00Z")  # fmt: skip


def _curve(start_ms: int, values: list[float]) -> dict[str, Any]:
    return EquityCurve([start_ms + i * 3_600_000 for i in range(len(values))], values).as_dict()


def _summary(trial: int, with_equity: bool = True) -> dict[str, Any]:
    folds = [
        {"fold": k, "train_start": "a", "train_end": "b", "test_start": "c", "test_end": "d",
         "score": 0.1 * k, "trades": 7, "sharpe": 1.0, "total_return": 0.01, "max_drawdown": -0.02,
         "win_rate": 0.5, "best_iteration": 12, "rows": {"fit": 100}}
        for k in range(3)
    ]  # fmt: skip
    holdout: dict[str, Any] = {
        "start": "2025-01-26T00:00:00Z", "end": "2025-01-31T00:00:00Z",
        "metrics": {"total_return": 0.03, "trades": 4, "sharpe": 2.0, "max_drawdown": -0.01},
    }  # fmt: skip
    if with_equity:
        holdout["equity"] = _curve(PLAN.holdout.start_ms, [1.0, 0.98, 1.03])
    return {"trial": trial, "score": 0.7, "params": {"model.num_leaves": 15}, "folds": folds,
            "holdout": holdout}  # fmt: skip


RAW = [
    _curve(PLAN.folds[0].test.start_ms, [1.0, 1.1, 1.2]),
    _curve(PLAN.folds[1].test.start_ms, [1.0, 0.9]),
    _curve(PLAN.folds[2].test.start_ms, [1.0, 1.05, 1.5]),
]


def test_stitching_compounds_each_fold_onto_the_last() -> None:
    segments = stitch([EquityCurve.from_dict(c) for c in RAW])
    assert segments[0].equity == [1.0, 1.1, 1.2]
    assert segments[1].equity == pytest.approx([1.2, 1.08])
    assert segments[2].equity == pytest.approx([1.08, 1.134, 1.62])


def test_history_keeps_the_best_complete_value_so_far() -> None:
    rows = history([TrialRow(2, "complete", 0.5), TrialRow(0, "pruned", None),
                    TrialRow(1, "complete", 0.7), TrialRow(3, "fail", None)])  # fmt: skip
    assert [r["trial"] for r in rows] == [0, 1, 2, 3]
    assert [r["best_so_far"] for r in rows] == [None, 0.7, 0.7, 0.7]


def test_the_document_ranks_candidates_and_notes_what_is_missing() -> None:
    trials = [
        TrialRow(0, "complete", 0.7), TrialRow(1, "pruned", None), TrialRow(2, "complete", 0.6)
    ]  # fmt: skip
    candidates = [
        CandidateInput(2, _summary(2, with_equity=False), None),  # written before fold equity
        CandidateInput(1, _summary(0), RAW),
    ]
    note = "1 complete trial(s): importances need at least 2"
    report = build_report(FACTS, trials, candidates, Importances("ped-anova", {}, note))
    assert report["trials"] == {"total": 3, "complete": 2, "pruned": 1}
    assert [f["test_start"] for f in report["plan"]["folds"]][0] == "2025-01-11T00:00:00Z"
    assert report["plan"]["holdout"] == {"start": "2025-01-26T00:00:00Z",
                                         "end": "2025-01-31T00:00:00Z"}  # fmt: skip
    best, second = report["candidates"]
    assert (best["rank"], best["trial"], second["trial"]) == (1, 0, 2)
    assert best["oos_total_return"] == pytest.approx(0.62)
    assert [s["fold"] for s in best["oos_equity"]] == [0, 1, 2]
    assert "best_iteration" not in best["folds"][0] and best["folds"][2]["score"] == 0.2
    assert best["notes"] == [] and best["holdout_equity"]["equity"] == [1.0, 0.98, 1.03]
    assert second["oos_equity"] == [] and second["oos_total_return"] is None
    assert len(second["notes"]) == 2
    study_files.dumps(report)  # strict JSON: no NaN anywhere


def test_the_page_is_offline_and_escapes_what_it_shows() -> None:
    report = build_report(
        FACTS,
        [TrialRow(0, "complete", 0.7), TrialRow(1, "complete", 0.2)],
        [CandidateInput(1, _summary(0), RAW)],
        Importances("ped-anova", {"model.num_leaves": 0.8, "rule.k_tp": 0.2}),
    )
    page = render_html(json.loads(study_files.dumps(report)))
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", page)
    assert "s</script>" not in page.replace("<\\/script>", "")  # the study's name is escaped
    for element in ("fig-equity-0", "fig-history", "fig-importances", 'id="candidate-0"'):
        assert element in page
    assert "62.00%" in page  # the folds' stitched return in the candidate table
