"""`tune`: build the features once, plan the folds, run the study, write the candidates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from services.backtester.domain.config import parse_backtest_config
from services.common.errors import InvalidInput
from services.common.ml_config import read_sections
from services.features.domain.relabel import label_from_definition
from services.features.store import DatasetStore
from services.research import walk_forward
from services.trainer.domain.config import parse_config
from services.trainer.tuning.config import parse_tuning
from services.trainer.tuning.objective import StudySetup
from services.trainer.tuning.study import Progress, TuneOutcome, run_study
from services.trainer.tuning.study_data import StudyData

STUDY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
DEFAULT_STUDY = "default"
DEFAULT_SEED = 42


@dataclass(frozen=True)
class TuneRequest:
    symbol: str
    trials: int
    study: str = DEFAULT_STUDY
    seed: int = DEFAULT_SEED
    timeout_s: float = 0.0
    config_yaml: str = ""
    out_dir: str = ""
    storage_url: str = ""
    start_ms: int = 0
    end_ms: int = 0


def check_study_name(name: str) -> str:
    name = name.strip()
    if not STUDY_NAME.fullmatch(name) or name.startswith("1.0.0"):
        raise InvalidInput(
            f"study name {name!r}: use 1-64 letters, digits, '_', '-' or '.', starting with a "
            "letter or digit"
        )
    return name


def study_dir_for(models_dir: Path, symbol: str, study: str, out_dir: str = "") -> Path:
    return Path(out_dir).expanduser().resolve() if out_dir else models_dir / symbol / study


def tune(
    request: TuneRequest,
    *,
    datasets: DatasetStore,
    models_dir: Path,
    server_config_yaml: str,
    progress: Progress,
) -> TuneOutcome:
    """Run the study over the symbol's stored dataset (already built with the request's config).

    Raises InvalidInput (bad request or config), Conflict (the study belongs to other data).
    """
    config_yaml = request.config_yaml or server_config_yaml
    study = check_study_name(request.study)
    document = read_sections(config_yaml)
    # A section the request's config lacks comes from the server's config.
    tuning = parse_tuning(config_yaml if "tuning" in document else server_config_yaml)
    trainer = parse_config(config_yaml, base=parse_config(server_config_yaml))
    backtest = parse_backtest_config(config_yaml if "backtest" in document else server_config_yaml)
    frame, meta = datasets.read(request.symbol)
    label = label_from_definition(meta.config.get("label") or meta.label)
    first_ms, end_ms = meta.first_ms, meta.last_ms + walk_forward.MINUTE_MS
    walk = walk_forward.plan(
        first_ms,
        end_ms,
        folds=tuning.folds,
        holdout_share=tuning.holdout_share,
        holdout_start_ms=_ms(tuning.holdout_start),
        min_train_share=tuning.min_train_share,
        embargo_share=tuning.embargo_share,
        window=tuning.window,
    )
    data = StudyData.from_dataset(frame, meta, walk)
    setup = StudySetup(tuning, trainer.training, label, backtest, request.seed)
    return run_study(
        data,
        setup,
        name=study,
        study_dir=study_dir_for(models_dir, meta.symbol, study, request.out_dir),
        trials=request.trials,
        timeout_s=request.timeout_s or None,
        storage_url=request.storage_url,
        progress=progress,
    )


def _ms(text: str | None) -> int | None:
    if not text:
        return None
    from datetime import UTC, datetime

    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
