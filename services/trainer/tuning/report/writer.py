"""Write the study's walk-forward report: gather what the study holds (its trials, stored
plan, the candidates' summaries and their trials' fold equity), build report.json, render
report.html, and write both atomically into the study folder.

Called at the end of every run (a resumed one too), after the candidates are written, so the
report always covers the whole study.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import optuna

from services.common.files import write_bytes_atomic
from services.research import study_files
from services.research.walk_forward import WalkForward
from services.trainer.tuning.config import ScoreConfig
from services.trainer.tuning.report.data import CandidateInput, StudyFacts, TrialRow, build_report
from services.trainer.tuning.report.importances import param_importances
from services.trainer.tuning.report.page import render_html


@dataclass(frozen=True)
class ReportFiles:
    json_path: Path
    html_path: Path


def write_report(
    study: optuna.Study,
    study_dir: Path,
    plan: WalkForward,
    scoring: ScoreConfig,
    candidates: list[dict[str, Any]],
) -> ReportFiles:
    """`candidates` is the ranked table write_candidates returned (rank, trial, summary file).

    Raises NotFound (a candidate's summary is missing) and what the storage raises.
    """
    trials = study.get_trials(deepcopy=False)
    by_number = {t.number: t for t in trials}
    inputs = [
        CandidateInput(
            rank=int(row["rank"]),
            summary=study_files.read_summary(study_dir / str(row["summary"])).document,
            fold_equity=by_number[int(row["trial"])].user_attrs.get("fold_equity"),
        )
        for row in candidates
    ]
    unfinished = sum(1 for t in trials if not t.state.is_finished())
    notes = (
        (f"{unfinished} trial(s) were still running or waiting when this report was written",)
        if unfinished
        else ()
    )
    facts = StudyFacts(
        name=study.study_name,
        symbol=str(study.user_attrs.get("symbol", "")),
        plan=plan,
        scoring=scoring.model_dump(mode="json"),
        written_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        notes=notes,
    )
    rows = [
        TrialRow(
            t.number,
            t.state.name.lower(),
            float(t.value)
            if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None
            else None,
        )
        for t in trials
    ]
    document = build_report(facts, rows, inputs, param_importances(study))
    files = ReportFiles(study_dir / study_files.REPORT_JSON, study_dir / study_files.REPORT_HTML)
    write_bytes_atomic(files.json_path, study_files.dumps(document))
    write_bytes_atomic(files.html_path, render_html(document).encode())
    return files
