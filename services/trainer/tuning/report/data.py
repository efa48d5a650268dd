"""report.json: what a researcher reads to judge a study, built from what the study holds.

Pure: the writer hands in the study's trials, its plan, the candidates' summaries and the
trials' stored fold equity; nothing here reads a file or a database. The fields are
documented in docs/tuning.md ("The walk-forward report").

Stitching: each fold's engine run starts at equity 1.0 on its own test window; the folds'
windows tile the time before the holdout, so the out-of-sample path is fold 0's curve, then
fold 1's compounded onto fold 0's final equity, and so on (what one would have earned trading
the trial's fold models one after the other). The holdout is the candidate's own fit on all
time before it, a different model, so its curve is kept apart, from 1.0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.research.equity_curve import EquityCurve
from services.research.walk_forward import WalkForward
from services.trainer.tuning.objective import iso

FOLD_COLUMNS = (
    "fold", "train_start", "train_end", "test_start", "test_end", "score", "trades", "sharpe",
    "total_return", "max_drawdown", "win_rate",
)  # fmt: skip
"""The per-fold table's columns (the summary's `folds` entries hold these and more)."""


@dataclass(frozen=True)
class TrialRow:
    number: int
    state: str
    """optuna's state in lower case: complete, pruned, fail, running, waiting."""
    value: float | None
    """The trial's score; None unless complete."""


@dataclass(frozen=True)
class CandidateInput:
    rank: int
    summary: dict[str, Any]
    """The candidate's tuning_summary_<trial>.json document."""
    fold_equity: list[dict[str, Any]] | None
    """The trial's `fold_equity` user attr (one compact curve per fold); None when the trial
    ran before the tuner recorded it."""


@dataclass(frozen=True)
class Importances:
    method: str
    values: dict[str, float]
    """Parameter -> importance (sums to 1), most important first; empty with a note."""
    note: str | None = None


@dataclass(frozen=True)
class StudyFacts:
    name: str
    symbol: str
    plan: WalkForward
    scoring: dict[str, Any]
    written_at: str
    notes: tuple[str, ...] = field(default=())


def build_report(
    study: StudyFacts,
    trials: list[TrialRow],
    candidates: list[CandidateInput],
    importances: Importances,
) -> dict[str, Any]:
    """The report.json document (strict JSON: no NaN; times ISO 8601 UTC and int ms)."""
    states: dict[str, int] = {}
    for trial in trials:
        states[trial.state] = states.get(trial.state, 0) + 1
    return {
        "study": study.name,
        "symbol": study.symbol,
        "written_at": study.written_at,
        "direction": "maximize",
        "scoring": dict(study.scoring),
        "trials": {"total": len(trials), **dict(sorted(states.items()))},
        "plan": plan_entry(study.plan),
        "candidates": [candidate_entry(c) for c in sorted(candidates, key=lambda c: c.rank)],
        "history": history(trials),
        "importances": {
            "method": importances.method,
            "values": [{"param": k, "importance": v} for k, v in importances.values.items()],
            "note": importances.note,
        },
        "notes": list(study.notes),
    }


def plan_entry(plan: WalkForward) -> dict[str, Any]:
    return {
        "folds": [
            {
                "fold": f.index,
                "train_start": iso(f.train.start_ms),
                "train_end": iso(f.train.end_ms),
                "test_start": iso(f.test.start_ms),
                "test_end": iso(f.test.end_ms),
            }
            for f in plan.folds
        ],
        "holdout": {"start": iso(plan.holdout.start_ms), "end": iso(plan.holdout.end_ms)},
        "embargo_ms": plan.embargo_ms,
    }


def history(trials: list[TrialRow]) -> list[dict[str, Any]]:
    """Every trial by number with its value and the best complete value up to it (None until
    the first complete trial; never decreasing, the study maximises)."""
    rows, best = [], None
    for trial in sorted(trials, key=lambda t: t.number):
        if trial.state == "complete" and trial.value is not None:
            best = trial.value if best is None else max(best, trial.value)
        rows.append(
            {"trial": trial.number, "state": trial.state, "value": trial.value, "best_so_far": best}
        )
    return rows


def stitch(curves: list[EquityCurve]) -> list[EquityCurve]:
    """Each fold's curve compounded onto the previous fold's final equity (fold 0 from 1.0)."""
    stitched, level = [], 1.0
    for curve in curves:
        joined = curve.scaled(level)
        stitched.append(joined)
        level = joined.last
    return stitched


def candidate_entry(candidate: CandidateInput) -> dict[str, Any]:
    summary = candidate.summary
    folds = list(summary.get("folds", []))
    notes: list[str] = []
    segments = None
    raw = candidate.fold_equity
    if raw is None:
        notes.append("no fold equity: the trial ran before the tuner recorded it")
    elif len(raw) != len(folds):
        notes.append(f"fold equity of {len(raw)} folds for {len(folds)} folds: not drawn")
    else:
        segments = stitch([EquityCurve.from_dict(c) for c in raw])
    holdout = summary.get("holdout", {})
    holdout_equity = holdout.get("equity")
    if holdout_equity is None:
        notes.append("no holdout equity: the summary was written before the tuner recorded it")
    return {
        "rank": candidate.rank,
        "trial": summary["trial"],
        "score": summary["score"],
        "params": dict(summary.get("params", {})),
        "folds": [{k: f.get(k) for k in FOLD_COLUMNS} for f in folds],
        "oos_total_return": segments[-1].last - 1.0 if segments else None,
        "oos_equity": (
            [
                {"fold": f.get("fold", k), **s.as_dict()}
                for k, (f, s) in enumerate(zip(folds, segments, strict=True))
            ]
            if segments
            else []
        ),
        "holdout": {
            "start": holdout.get("start"),
            "end": holdout.get("end"),
            "metrics": dict(holdout.get("metrics", {})),
        },
        "holdout_equity": holdout_equity,
        "notes": notes,
    }
