"""`tune`: build the features once, plan the folds, run the study, write the candidates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from services.backtester.domain.config import parse_backtest_config
from services.common.errors import InvalidInput
from services.common.ml_config import read_sections
from services.features.domain.dataset import DatasetMeta
from services.features.domain.relabel import label_from_definition
from services.features.store import DatasetStore
from services.research import walk_forward
from services.research.study_files import DEFAULT_STUDY, check_study_name, study_dir_for
from services.trainer.domain.config import parse_config
from services.trainer.tuning.config import parse_tuning
from services.trainer.tuning.objective import StudySetup
from services.trainer.tuning.storage import Heartbeat
from services.trainer.tuning.study import Progress, TuneOutcome, join_study, run_study
from services.trainer.tuning.study_data import StudyData

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
    workers: int = 1
    """Workers sharing the study (this one included); more than one needs a shared storage."""


def study_setup(request: TuneRequest, server_config_yaml: str, meta: DatasetMeta) -> StudySetup:
    """The sections a study runs with: the request's config, a missing section from the
    server's; the label is the one the dataset was built with."""
    config_yaml = request.config_yaml or server_config_yaml
    document = read_sections(config_yaml)
    tuning = parse_tuning(config_yaml if "tuning" in document else server_config_yaml)
    trainer = parse_config(config_yaml, base=parse_config(server_config_yaml))
    backtest = parse_backtest_config(config_yaml if "backtest" in document else server_config_yaml)
    label = label_from_definition(meta.config.get("label") or meta.label)
    return StudySetup(tuning, trainer.training, label, backtest, request.seed)


def tune(
    request: TuneRequest,
    *,
    datasets: DatasetStore,
    models_dir: Path,
    server_config_yaml: str,
    progress: Progress,
    helpers: Callable[[int], None] | None = None,
    target: int | None = None,
    heartbeat: Heartbeat | None = None,
) -> TuneOutcome:
    """Run the study over the symbol's stored dataset (already built with the request's config).
    `helpers`, `target`: see `run_study`; `heartbeat`: the storage's (default 10 s / 30 s).

    Raises InvalidInput (bad request or config), Conflict (the study belongs to other data).
    """
    study = check_study_name(request.study)
    frame, meta = datasets.read(request.symbol)
    setup = study_setup(request, server_config_yaml, meta)
    tuning = setup.tuning
    walk = walk_forward.plan(
        meta.first_ms,
        meta.last_ms + walk_forward.MINUTE_MS,
        folds=tuning.folds,
        holdout_share=tuning.holdout_share,
        holdout_start_ms=_ms(tuning.holdout_start),
        min_train_share=tuning.min_train_share,
        embargo_share=tuning.embargo_share,
        window=tuning.window,
    )
    data = StudyData.from_dataset(frame, meta, walk)
    if request.workers > 1 and not request.storage_url:
        raise InvalidInput(
            "several workers share a study through one database: give a storage URL "
            "(postgresql://...), or set TRADY_TUNING_STORAGE_URL"
        )
    return run_study(
        data,
        setup,
        name=study,
        study_dir=study_dir_for(models_dir, meta.symbol, study, request.out_dir),
        trials=request.trials,
        timeout_s=request.timeout_s or None,
        storage_url=request.storage_url,
        progress=progress,
        helpers=helpers if request.workers > 1 else None,
        target=target,
        heartbeat=heartbeat,
    )


def join(
    request: TuneRequest, target: int, *, datasets: DatasetStore, models_dir: Path,
    server_config_yaml: str, heartbeat: Heartbeat | None = None,
) -> int:  # fmt: skip
    """A helper worker's share of a study another worker started; returns its trial count."""
    frame, meta = datasets.read(request.symbol)
    setup = study_setup(request, server_config_yaml, meta)
    # The study's own plan replaces this placeholder when the study is opened.
    placeholder = walk_forward.WalkForward((), walk_forward.Window(0, 0), 0)
    data = StudyData.from_dataset(frame, meta, placeholder)
    return join_study(
        data, setup, name=check_study_name(request.study),
        study_dir=study_dir_for(models_dir, meta.symbol, request.study, request.out_dir),
        storage_url=request.storage_url, target=target, timeout_s=request.timeout_s or None,
        heartbeat=heartbeat,
    )  # fmt: skip


def _ms(text: str | None) -> int | None:
    if not text:
        return None
    from datetime import UTC, datetime

    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
