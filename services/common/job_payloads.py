"""Parsing of the JSON payloads that dataset-shaped jobs share (features builds, training,
tuning)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.trainer.tuning.usecase import TuneRequest

from services.common.errors import InvalidInput

DATASET_JOB_KEYS = frozenset({"symbol", "start_ms", "end_ms", "config_yaml"})


@dataclass(frozen=True)
class DatasetJob:
    """`{"symbol": str, "start_ms"?: int, "end_ms"?: int, "config_yaml"?: str}`; 0 = unbounded."""

    symbol: str
    start_ms: int
    end_ms: int
    config_yaml: str


def parse_dataset_job(payload: dict[str, Any]) -> DatasetJob:
    """Validate a payload; raises InvalidInput naming the problem (the job then fails at once)."""
    unknown = set(payload) - DATASET_JOB_KEYS
    if unknown:
        raise InvalidInput(
            f"unknown payload keys {sorted(unknown)}; allowed: {sorted(DATASET_JOB_KEYS)}"
        )
    if not isinstance(payload.get("symbol"), str):
        raise InvalidInput("payload needs 'symbol' (a string like BTCUSDT)")
    try:
        start_ms = int(payload.get("start_ms") or 0)
        end_ms = int(payload.get("end_ms") or 0)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"start_ms and end_ms must be integers (Unix ms): {exc}") from exc
    config_yaml = payload.get("config_yaml") or ""
    if not isinstance(config_yaml, str):
        raise InvalidInput("config_yaml must be YAML text")
    return DatasetJob(payload["symbol"], start_ms, end_ms, config_yaml)


FROM_TUNING_KEYS = frozenset({"study", "trial", "through"})


@dataclass(frozen=True)
class FromTuning:
    """A train job's `from_tuning`: {"study"?: str, "trial"?: int, "through"?: str}. No trial =
    the study's best candidate by fold score; through = holdout_end (default) or now."""

    study: str
    trial: int | None
    through: str


def parse_train_job(payload: dict[str, Any]) -> tuple[DatasetJob, FromTuning | None]:
    """A train job: the dataset fields, and `from_tuning` when it retrains a tuning candidate."""
    fields = {k: v for k, v in payload.items() if k != "from_tuning"}
    job = parse_dataset_job(fields)
    if payload.get("from_tuning") is None:
        return job, None
    choice = payload["from_tuning"]
    if not isinstance(choice, dict) or set(choice) - FROM_TUNING_KEYS:
        raise InvalidInput(f"from_tuning must be an object with keys {sorted(FROM_TUNING_KEYS)}")
    trial = choice.get("trial")
    if trial is not None and (isinstance(trial, bool) or not isinstance(trial, int)):
        raise InvalidInput(f"from_tuning.trial must be a trial number, not {trial!r}")
    through = str(choice.get("through") or "holdout_end")
    if through not in ("holdout_end", "now"):
        raise InvalidInput(f"from_tuning.through must be holdout_end or now, not {through!r}")
    return job, FromTuning(str(choice.get("study") or "default"), trial, through)


TUNE_JOB_KEYS = DATASET_JOB_KEYS | {"trials", "study", "seed", "timeout_s", "workers"}
INTERNAL_TUNE_KEYS = {"storage_url", "out_dir"}


def parse_tune_job(payload: dict[str, Any], internal: bool = False) -> TuneRequest:
    """A tune job's payload -> the request; raises InvalidInput naming the bad key. Clients
    cannot choose the storage or the folder (`internal` keys, set by the worker itself)."""
    from services.trainer.tuning.usecase import TuneRequest

    allowed = TUNE_JOB_KEYS | (INTERNAL_TUNE_KEYS if internal else set())
    unknown = set(payload) - allowed
    if unknown:
        raise InvalidInput(f"unknown payload keys {sorted(unknown)}; allowed: {sorted(allowed)}")
    dataset = parse_dataset_job({k: v for k, v in payload.items() if k in DATASET_JOB_KEYS})
    try:
        trials = int(payload["trials"])
        seed = int(payload.get("seed", 42))
        workers = int(payload.get("workers", 1))
        timeout_s = float(payload.get("timeout_s") or 0.0)
    except KeyError:
        raise InvalidInput("payload needs 'trials' (how many trials to add)") from None
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"trials, seed, workers and timeout_s must be numbers: {exc}") from exc
    if trials < 1 or workers < 1 or timeout_s < 0:
        raise InvalidInput("trials and workers must be at least 1, timeout_s not negative")
    return TuneRequest(
        symbol=dataset.symbol,
        trials=trials,
        study=str(payload.get("study") or "default"),
        seed=seed,
        timeout_s=timeout_s,
        config_yaml=dataset.config_yaml,
        out_dir=str(payload.get("out_dir") or "") if internal else "",
        storage_url=str(payload.get("storage_url") or "") if internal else "",
        start_ms=dataset.start_ms,
        end_ms=dataset.end_ms,
        workers=workers,
    )
