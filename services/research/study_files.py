"""The study folder's layout and its readers, shared by the tuner that writes it and the
trainer and backtester that train and backtest from it.

<data dir>/models/<SYMBOL>/<study>/
    optuna.db                        the study (embedded SQLite; or a storage URL elsewhere)
    candidates.json                  the retained candidates, ranked by fold score
    tuning_summary_<trial>.json      params, per-fold figures, score, holdout figures
    train_config_<trial>.json        the ML config that reproduces the trial (features,
                                     label, training, backtest with rule/costs/gates, tuning)
    model_<trial>/model.txt, .json   the trial's own fit (without the holdout) + sidecar
    report.json, report.html         the walk-forward report of the whole study, rewritten at
                                     the end of every run (trainer/tuning/report)
A summary names the SHA256 of its train config and model files; readers verify them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from services.common.errors import IntegrityFailure, InvalidInput, NotFound

STUDY_DB = "optuna.db"
CANDIDATES = "candidates.json"
STUDY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
DEFAULT_STUDY = "default"


def check_study_name(name: str) -> str:
    name = name.strip()
    if not STUDY_NAME.fullmatch(name) or name.startswith("1.0.0"):
        raise InvalidInput(
            f"study name {name!r}: use 1-64 letters, digits, '_', '-' or '.', starting with a "
            "letter or digit"
        )
    return name


def study_folder(models_dir: Path, symbol: str, study: str) -> Path:
    """A study's folder under the models folder (unless tuned with --out elsewhere)."""
    return models_dir / symbol / study


def study_dir_for(models_dir: Path, symbol: str, study: str, out_dir: str = "") -> Path:
    return (
        Path(out_dir).expanduser().resolve() if out_dir else study_folder(models_dir, symbol, study)
    )


REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
REPORT_FILES = {REPORT_JSON: "application/json", REPORT_HTML: "text/html"}
"""The walk-forward report's files and their media types (what the API serves)."""


def summary_path(study_dir: Path, trial: int) -> Path:
    return study_dir / f"tuning_summary_{trial}.json"


def train_config_path(study_dir: Path, trial: int) -> Path:
    return study_dir / f"train_config_{trial}.json"


def model_dir(study_dir: Path, trial: int) -> Path:
    return study_dir / f"model_{trial}"


def read_candidates(study_dir: Path) -> list[dict[str, Any]]:
    """candidates.json: the retained candidates, best fold score first."""
    listing = study_dir / CANDIDATES
    if not listing.exists():
        raise NotFound(f"{study_dir} has no {CANDIDATES}: the study has no candidates yet (tune)")
    rows: list[dict[str, Any]] = json.loads(listing.read_text())
    return rows


def candidate_summary(study_dir: Path, trial: int | None = None) -> Path:
    """The summary of candidate `trial`, or of the best one by fold score (never by holdout)."""
    rows = read_candidates(study_dir)
    if trial is None:
        if not rows:
            raise NotFound(f"{study_dir / CANDIDATES} lists no candidate")
        trial = int(rows[0]["trial"])
    elif trial not in {int(row["trial"]) for row in rows}:
        known = ", ".join(str(row["trial"]) for row in rows)
        raise NotFound(f"trial {trial} is not a candidate of {study_dir} (candidates: {known})")
    return summary_path(study_dir, trial)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dumps(document: Any) -> bytes:
    """Canonical JSON (sorted keys, indented; NaN refused) of a study file."""
    return (json.dumps(document, sort_keys=True, indent=2, allow_nan=False) + "\n").encode()


@dataclass(frozen=True)
class TuningSummary:
    path: Path
    sha256: str
    document: dict[str, Any]

    @property
    def study_dir(self) -> Path:
        return self.path.parent

    @property
    def study(self) -> str:
        return str(self.document["study"])

    @property
    def trial(self) -> int:
        return int(self.document["trial"])

    @property
    def symbol(self) -> str:
        return str(self.document["symbol"])

    @property
    def data_start_ms(self) -> int:
        """The first bar the study read (its folds start there; older rows were left out)."""
        first = datetime.fromisoformat(self.document["data"]["first"].replace("Z", "+00:00"))
        return int(first.timestamp() * 1000)

    @property
    def holdout_ms(self) -> tuple[int, int]:
        holdout = self.document["holdout"]
        return int(holdout["start_ms"]), int(holdout["end_ms"])

    def train_config(self) -> dict[str, Any]:
        """The trial's train config, verified against the summary's hash."""
        entry = self.document["train_config"]
        path = self.study_dir / str(entry["file"])
        data = _read(path, "train config")
        _verify(path, data, str(entry["sha256"]))
        loaded = json.loads(data)
        if not isinstance(loaded, dict):
            raise IntegrityFailure(f"{path} does not hold a JSON object")
        return loaded

    def model_files(self) -> tuple[Path, Path, str, str]:
        """(model.txt, model.json, their SHA256s) of the trial's own fit."""
        model = self.document["model"]
        folder = self.study_dir / str(model["dir"])
        return (
            folder / str(model["file"]),
            folder / str(model["sidecar"]),
            str(model["sha256"]),
            str(model["sidecar_sha256"]),
        )


def read_summary(path: str | Path) -> TuningSummary:
    """Raises NotFound (no such file) or InvalidInput (not a tuning summary)."""
    file = Path(path).expanduser().resolve()
    data = _read(file, "tuning summary")
    try:
        document = json.loads(data)
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
        for key in ("study", "trial", "symbol", "holdout", "train_config", "model"):
            if key not in document:
                raise ValueError(f"it lacks `{key}`")
    except ValueError as exc:
        raise InvalidInput(f"{file} is not a tuning summary: {exc}") from exc
    return TuningSummary(file, hashlib.sha256(data).hexdigest(), document)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise NotFound(f"{what} {path} does not exist") from None


def _verify(path: Path, data: bytes, expected: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise IntegrityFailure(
            f"{path} was changed after the study wrote it (sha256 {actual[:12]}, the summary "
            f"records {expected[:12]}); re-run the study's candidates or restore the file"
        )
