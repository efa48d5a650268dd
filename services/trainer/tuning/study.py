"""Run (or resume) a study: Optuna's TPE sampler, seeded; a median pruner on the fold scores;
storage in the study folder's SQLite file or a shared database; then the candidates.

Resuming reuses the walk-forward plan stored with the study at its creation, so new trials
are scored on the very folds the earlier ones were, and the holdout stays where it was. The
sampler's seed is the study seed plus the number of trials already stored: one worker given
the same data, seed and trial count replays the same study, trial for trial, and a resumed
study does not redraw its first random trials.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import optuna

from services.common.errors import Conflict, InvalidInput
from services.common.files import write_bytes_atomic
from services.research import study_files
from services.research.walk_forward import Fold, WalkForward, Window
from services.trainer.tuning.candidates import best_trials, write_candidate
from services.trainer.tuning.objective import StudySetup, objective
from services.trainer.tuning.report.writer import write_report
from services.trainer.tuning.shared import finished, work_until
from services.trainer.tuning.storage import Heartbeat, storage
from services.trainer.tuning.study_data import StudyData

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class TuneOutcome:
    study: str
    study_dir: str
    storage: str
    best_trial: int
    score: float
    summary: str
    candidates: list[dict[str, Any]]
    trials: dict[str, int]
    seconds: float
    report_json: str
    report_html: str
    """The walk-forward report of the whole study (docs/tuning.md)."""


def plan_attrs(walk: WalkForward) -> dict[str, Any]:
    return {
        "folds": [
            {"index": f.index, "train": asdict(f.train), "test": asdict(f.test)} for f in walk.folds
        ],
        "holdout": asdict(walk.holdout),
        "embargo_ms": walk.embargo_ms,
    }


def plan_from_attrs(raw: dict[str, Any]) -> WalkForward:
    return WalkForward(
        folds=tuple(
            Fold(int(f["index"]), Window(**f["train"]), Window(**f["test"])) for f in raw["folds"]
        ),
        holdout=Window(**raw["holdout"]),
        embargo_ms=int(raw["embargo_ms"]),
    )


def open_study(
    name: str,
    study_dir: Path,
    url: str,
    data: StudyData,
    setup: StudySetup,
    *,
    create: bool = True,
    heartbeat: Heartbeat | None = None,
) -> tuple[optuna.Study, WalkForward, int]:
    """(the study, its walk-forward plan, trials already stored). A new study stores the plan
    and identity; an existing one must be of the same symbol and feature set."""
    store = storage(study_dir, url, heartbeat)
    try:
        existing: optuna.Study | None = optuna.load_study(study_name=name, storage=store)
    except KeyError:
        existing = None
    if existing is None and not create:
        raise Conflict(f"study {name!r} does not exist in {url or study_dir}: nothing to join")
    stored = len(existing.trials) if existing is not None else 0
    tuning = setup.tuning
    sampler = optuna.samplers.TPESampler(
        seed=setup.seed + stored, n_startup_trials=tuning.startup_trials
    )
    pruner: optuna.pruners.BasePruner = (
        optuna.pruners.MedianPruner(
            n_startup_trials=tuning.startup_trials, n_warmup_steps=tuning.prune_after_folds - 1
        )
        if tuning.prune_after_folds > 0
        else optuna.pruners.NopPruner()
    )
    study = optuna.create_study(
        storage=store,
        study_name=name,
        direction="maximize",
        sampler=sampler,
        pruner=pruner,
        load_if_exists=True,
    )
    attrs = study.user_attrs
    if "plan" not in attrs:
        study.set_user_attr("symbol", data.symbol)
        study.set_user_attr("feature_set_id", data.meta.feature_set_id)
        study.set_user_attr("seed", setup.seed)
        study.set_user_attr("label_kind", setup.label.kind)
        study.set_user_attr("plan", plan_attrs(data.walk))
        return study, data.walk, stored
    if (
        attrs.get("symbol") != data.symbol
        or attrs.get("feature_set_id") != data.meta.feature_set_id
    ):
        raise Conflict(
            f"study {name!r} tunes {attrs.get('symbol')} on feature set "
            f"{str(attrs.get('feature_set_id'))[:12]}, not {data.symbol} on "
            f"{data.meta.feature_set_id[:12]}: choose another study name"
        )
    if attrs.get("label_kind") != setup.label.kind:
        raise Conflict(
            f"study {name!r} tunes the {attrs.get('label_kind')} label, not {setup.label.kind}: "
            "choose another study name"
        )
    return study, plan_from_attrs(attrs["plan"]), stored


def run_study(
    data: StudyData,
    setup: StudySetup,
    *,
    name: str,
    study_dir: Path,
    trials: int,
    timeout_s: float | None = None,
    storage_url: str = "",
    progress: Progress | None = None,
    helpers: Callable[[int], None] | None = None,
    target: int | None = None,
    heartbeat: Heartbeat | None = None,
) -> TuneOutcome:
    """Add `trials` trials to study `name` (created or resumed), then write the candidates and
    the walk-forward report of the whole study.

    `helpers(target)`, when given, starts other workers on the same study (after it exists)
    that add trials until it holds `target` finished ones (`join_study`); this one does the
    same (services/trainer/tuning/shared.py), waits for the last running trials, then writes
    the candidates. With one worker the study adds exactly `trials` trials in order, so it
    replays. `target`, when given, is the count an earlier attempt of the same job chose
    before its worker died: the study is brought up to it instead of `trials` more, so a
    re-run job does not add its trials twice.

    Raises InvalidInput (a bad search space or config: the failing trial names it), Conflict
    (the study belongs to other data), and whatever the storage raises.
    """
    if trials < 1:
        raise InvalidInput(f"trials must be at least 1, got {trials}")
    report = progress or _quiet
    study_dir.mkdir(parents=True, exist_ok=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    started = time.perf_counter()
    study, walk, stored = open_study(name, study_dir, storage_url, data, setup, heartbeat=heartbeat)
    data.walk = walk
    done = {"count": 0}

    def after_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        done["count"] += 1
        count = done["count"]
        elapsed = time.perf_counter() - started
        eta = elapsed / count * (trials - count)
        best = _best_value(study)
        best_text = "none yet" if best is None else f"{best:.3f}"
        report(
            0.9 * count / trials,
            f"trial {count}/{trials}, best {best_text}, ETA {eta:.0f}s",
        )

    report(0.0, f"study {name}: {stored} trials stored, adding {trials}")
    if helpers is None and target is None:
        study.optimize(
            lambda trial: objective(trial, data, setup),
            n_trials=trials,
            timeout=timeout_s,
            callbacks=[after_trial],
            gc_after_trial=False,
        )
    else:
        if target is None:
            target = finished(study) + trials
        if helpers is not None:
            helpers(target)
        work_until(study, data, setup, target, timeout_s, after_trial)
    report(0.92, "scoring the candidates on the holdout")
    rows = write_candidates(study, name, study_dir, data, setup)
    if not rows:
        raise Conflict(
            f"study {name!r} has no complete trial yet (every trial was pruned or failed): "
            "run more trials, or widen the search space (a label whose windows hold one class "
            "cannot be scored)"
        )
    report(0.97, "writing the walk-forward report")
    files = write_report(study, study_dir, walk, setup.tuning.score, rows)
    states = [t.state for t in study.get_trials(deepcopy=False)]
    counts = {
        s.name.lower(): sum(1 for x in states if x == s)
        for s in optuna.trial.TrialState
        if any(x == s for x in states)
    }
    best = rows[0]
    report(1.0, f"best trial {best['trial']}: score {best['score']:.3f}")
    return TuneOutcome(
        study=name,
        study_dir=str(study_dir),
        storage=storage_url or f"sqlite:///{study_dir / study_files.STUDY_DB}",
        best_trial=int(best["trial"]),
        score=float(best["score"]),
        summary=str(study_dir / best["summary"]),
        candidates=rows,
        trials=counts,
        seconds=round(time.perf_counter() - started, 2),
        report_json=str(files.json_path),
        report_html=str(files.html_path),
    )


def join_study(
    data: StudyData,
    setup: StudySetup,
    *,
    name: str,
    study_dir: Path,
    storage_url: str,
    target: int,
    timeout_s: float | None = None,
    heartbeat: Heartbeat | None = None,
) -> int:
    """A helper worker: add trials to an existing study until it holds `target` finished
    trials; returns how many this worker ran. Raises Conflict for a study of other data."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study, walk, _ = open_study(
        name, study_dir, storage_url, data, setup, create=False, heartbeat=heartbeat
    )
    data.walk = walk
    ran = {"count": 0}

    def count(_study: optuna.Study, _trial: optuna.trial.FrozenTrial) -> None:
        ran["count"] += 1

    work_until(study, data, setup, target, timeout_s, count, wait=False)
    return ran["count"]


def write_candidates(
    study: optuna.Study, name: str, study_dir: Path, data: StudyData, setup: StudySetup
) -> list[dict[str, Any]]:
    """Write (or keep) the top trials' files; returns the ranked candidate table."""
    rows = []
    for rank, trial in enumerate(best_trials(study, setup.tuning.candidates), start=1):
        path = study_files.summary_path(study_dir, trial.number)
        summary = _kept(path, trial) or write_candidate(trial, rank, name, study_dir, data, setup)
        holdout = summary["holdout"]["metrics"]
        rows.append(
            {
                "rank": rank,
                "trial": trial.number,
                "score": summary["score"],
                "holdout_total_return": holdout["total_return"],
                "holdout_trades": int(holdout["trades"]),
                "holdout_sharpe": holdout["sharpe"],
                "holdout_max_drawdown": holdout["max_drawdown"],
                "summary": path.name,
            }
        )
    write_bytes_atomic(study_dir / study_files.CANDIDATES, study_files.dumps(rows))
    return rows


def _kept(path: Path, trial: optuna.trial.FrozenTrial) -> dict[str, Any] | None:
    """An existing summary of this trial, if it is intact (its files unchanged)."""
    if not path.exists():
        return None
    try:
        summary = study_files.read_summary(path)
        summary.train_config()
        model, sidecar, model_sha, sidecar_sha = summary.model_files()
        if (
            study_files.file_sha256(model) != model_sha
            or study_files.file_sha256(sidecar) != sidecar_sha
        ):
            return None
    except Exception:  # a damaged candidate is simply written again
        return None
    if summary.document.get("score") != float(trial.value or 0.0):
        return None
    return summary.document


def _best_value(study: optuna.Study) -> float | None:
    try:
        return float(study.best_value)
    except ValueError:
        return None


def _quiet(_fraction: float, _message: str) -> None:
    return None
