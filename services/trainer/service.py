"""Trainer use cases: train and register a model, activate one, read the registry.

Thread-safety: holds no mutable state of its own; the registry and clients it is given are
safe to share, so the gRPC server runs calls concurrently in worker threads.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import yaml
from redis import Redis
from redis.exceptions import RedisError

from services.common.errors import Conflict, IntegrityFailure, InvalidInput, NotFound
from services.features.domain.dataset import DatasetInfo, DatasetMeta
from services.features.domain.symbols import normalise_symbol
from services.features.store import DatasetStore
from services.research import study_files
from services.research.study_files import check_study_name, read_summary, study_dir_for
from services.trainer.artifact import load_verified, write_artifact
from services.trainer.domain.config import TrainerConfig, parse_config
from services.trainer.domain.training import Progress, TrainingOutcome, train_model
from services.trainer.domain.versioning import version_at
from services.trainer.registry.events import publish_activation
from services.trainer.registry.records import ActivationRecord, ModelRecord
from services.trainer.registry.repository import RegistryRepository
from services.trainer.tuning.storage import Heartbeat
from services.trainer.tuning.study import TuneOutcome
from services.trainer.tuning.usecase import TuneRequest
from services.trainer.tuning.usecase import join as join_tuning
from services.trainer.tuning.usecase import tune as run_tuning

log = logging.getLogger(__name__)

VERSION_ATTEMPTS = 60
"""Versions are per second; on a collision the next second is tried, up to this many."""


def _no_progress(_fraction: float, _message: str) -> None:
    return None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DatasetBuilder(Protocol):
    """Builds a symbol's dataset: the features gRPC client in the deployed stack, the features
    service itself when everything runs in one process (the `trady` command)."""

    def build(
        self, symbol: str, start_ms: int = 0, end_ms: int = 0, config_yaml: str = ""
    ) -> DatasetInfo: ...


class TrainerService:
    def __init__(
        self,
        features_client: DatasetBuilder,
        dataset_store: DatasetStore,
        registry: RegistryRepository,
        models_dir: Path,
        redis: Redis,
        default_config_yaml: str,
        clock: Callable[[], datetime] = _utc_now,
        heartbeat: Heartbeat | None = None,
    ) -> None:
        """Raises InvalidInput if `default_config_yaml` (the server's config) is invalid.
        `heartbeat`: the tuning storage's trial heartbeat (default 10 s, stale after 30 s)."""
        self._features = features_client
        self._datasets = dataset_store
        self._registry = registry
        self._models_dir = Path(models_dir)
        self._redis = redis
        self._default = parse_config(default_config_yaml)
        self._default_yaml = default_config_yaml
        self._clock = clock
        self._heartbeat = heartbeat or Heartbeat()

    def train(
        self,
        symbol: str,
        start_ms: int = 0,
        end_ms: int = 0,
        config_yaml: str = "",
        progress: Progress | None = None,
    ) -> ModelRecord:
        """Build the dataset over bars in [start_ms, end_ms) (0 = unbounded), train, write the
        artifact under models/{SYMBOL}/{version}/ and register it INACTIVE.

        `config_yaml` (ML-config YAML; empty = the servers' own config) goes to the features
        service as is; its training/backtest sections override the trainer's.
        Raises InvalidInput (bad symbol, range, config, too little data), NotFound (no bars),
        Conflict (the dataset was rebuilt concurrently), Unavailable (features service down).
        """
        report = progress or _no_progress
        symbol = normalise_symbol(symbol)
        if start_ms < 0 or end_ms < 0 or (start_ms and end_ms and end_ms <= start_ms):
            raise InvalidInput(f"invalid time range [{start_ms}, {end_ms}) (0 = unbounded)")
        config = parse_config(config_yaml, base=self._default)
        started = time.perf_counter()
        report(0.02, "building features")
        info = self._features.build(symbol, start_ms, end_ms, config_yaml)
        report(0.2, f"reading dataset of {info.rows} rows")
        frame, meta = self._datasets.read(symbol)
        _check_same_dataset(info, meta)
        outcome = train_model(frame, meta, config, lambda f, m: report(0.25 + 0.65 * f, m))
        report(0.92, "writing artifact")
        record = self._store(symbol, meta, config, outcome)
        log.info(
            "model trained",
            extra={
                "symbol": symbol,
                "version": record.version,
                "test_auc": round(outcome.metrics["auc"], 4),
                "seconds": round(time.perf_counter() - started, 2),
            },
        )
        report(1.0, f"registered {record.version} (inactive)")
        return record

    def tune(
        self,
        request: TuneRequest,
        progress: Progress | None = None,
        helpers: Callable[[int], None] | None = None,
        target: int | None = None,
    ) -> TuneOutcome:
        """Build the symbol's features once (the request's config; empty = the server's), then
        add `request.trials` trials to the study and write its candidates (docs/tuning.md).
        `helpers(target)` starts the other workers of a shared study; `target` is the count
        of finished trials an earlier attempt of this job chose (see `run_study`).

        Raises InvalidInput (bad symbol, range, config, study name or search space), NotFound
        (no bars), Conflict (the study belongs to other data, or no trial completed),
        Unavailable (features service down).
        """
        report = progress or _no_progress
        symbol = normalise_symbol(request.symbol)
        check_study_name(request.study)
        if (
            request.start_ms < 0
            or request.end_ms < 0
            or (request.start_ms and request.end_ms and request.end_ms <= request.start_ms)
        ):
            raise InvalidInput(
                f"invalid time range [{request.start_ms}, {request.end_ms}) (0 = unbounded)"
            )
        started = time.perf_counter()
        report(0.01, "building features (once for the study)")
        info = self._features.build(symbol, request.start_ms, request.end_ms, request.config_yaml)
        _, meta = self._datasets.read(symbol)
        _check_same_dataset(info, meta)
        outcome = run_tuning(
            replace(request, symbol=symbol),
            datasets=self._datasets,
            models_dir=self._models_dir,
            server_config_yaml=self._default_yaml,
            progress=lambda f, m: report(0.1 + 0.9 * f, m),
            helpers=helpers,
            target=target,
            heartbeat=self._heartbeat,
        )
        log.info(
            "study tuned",
            extra={
                "symbol": symbol,
                "study": outcome.study,
                "best_trial": outcome.best_trial,
                "score": round(outcome.score, 4),
                "seconds": round(time.perf_counter() - started, 2),
            },
        )
        return outcome

    def train_from_tuning(
        self, summary_path: str, through: str = "holdout_end", progress: Progress | None = None
    ) -> ModelRecord:
        """Retrain a tuning candidate's configuration (its train config: features, label,
        LightGBM params and rounds, calibration) on all data up to the study's holdout end
        (`through="now"`: all data there is now) and register it INACTIVE, its sidecar naming
        the study, the trial and the summary's SHA256, and carrying the trial's rule.

        Raises NotFound (no summary), IntegrityFailure (a study file changed), InvalidInput,
        Conflict (the features now built differ from the study's feature set).
        """
        from services.trainer.tuning.retrain import retrain

        report = progress or _no_progress
        if through not in ("holdout_end", "now"):
            raise InvalidInput(f"through must be holdout_end or now, not {through!r}")
        started = time.perf_counter()
        summary = read_summary(summary_path)
        config = summary.train_config()
        report(0.05, "building features with the trial's config")
        config_yaml = yaml.safe_dump({"features": config["features"], "label": config["label"]})
        info = self._features.build(summary.symbol, 0, 0, config_yaml)
        frame, meta = self._datasets.read(summary.symbol)
        _check_same_dataset(info, meta)
        report(0.3, "fitting the trial's configuration")
        outcome, extra = retrain(frame, meta, summary, config, through)
        trainer_config = TrainerConfig(training=self._default.training, threshold=0.5)
        record = self._store(summary.symbol, meta, trainer_config, outcome, extra)
        log.info(
            "model trained from tuning",
            extra={
                "version": record.version,
                "study": summary.study,
                "trial": summary.trial,
                "seconds": round(time.perf_counter() - started, 2),
            },
        )
        report(1.0, f"registered {record.version} (inactive)")
        return record

    def join_tuning(self, request: TuneRequest, target: int) -> int:
        """Help run a study another worker started (it built the features): add trials until
        it holds `target` finished ones. Returns the trials this worker ran."""
        return join_tuning(
            replace(request, symbol=normalise_symbol(request.symbol)),
            target,
            datasets=self._datasets,
            models_dir=self._models_dir,
            server_config_yaml=self._default_yaml,
            heartbeat=self._heartbeat,
        )

    def study_dir(self, symbol: str, study: str) -> Path:
        """Where study `study` of `symbol` keeps its files (unless tuned with --out)."""
        return study_dir_for(self._models_dir, normalise_symbol(symbol), check_study_name(study))

    def study_report(self, symbol: str, study: str, file: str) -> tuple[bytes, str]:
        """(content, media type) of `file` (report.json or report.html) of the study's
        walk-forward report, from its default folder (a study tuned with --out elsewhere is
        not reachable here). Raises InvalidInput (bad study or file name), NotFound."""
        media_type = study_files.REPORT_FILES.get(file)
        if media_type is None:
            raise InvalidInput(
                f"a study report is one of {sorted(study_files.REPORT_FILES)}, not {file!r}"
            )
        path = self.study_dir(symbol, study) / file
        try:
            return path.read_bytes(), media_type
        except FileNotFoundError:
            raise NotFound(
                f"study {study!r} of {normalise_symbol(symbol)} has no {file}: "
                "run `trady tune` (or the tune job) for it first"
            ) from None

    def _store(
        self,
        symbol: str,
        meta: DatasetMeta,
        config: TrainerConfig,
        outcome: TrainingOutcome,
        extra: dict[str, Any] | None = None,
    ) -> ModelRecord:
        now = self._clock()
        for offset in range(VERSION_ATTEMPTS):
            version = version_at(now, offset)
            directory = self._models_dir / symbol / version
            if self._registry.exists(version):
                continue
            try:
                # Creating the directory exclusively claims the version against other trainers.
                directory.mkdir(parents=True, exist_ok=False)
            except FileExistsError:
                continue
            try:
                return self._write_and_register(
                    version, directory, now, meta, config, outcome, extra or {}
                )
            except Conflict:
                shutil.rmtree(directory, ignore_errors=True)
                if not self._registry.exists(version):
                    raise
            except BaseException:
                shutil.rmtree(directory, ignore_errors=True)
                raise
        raise Conflict(f"no free model version within {VERSION_ATTEMPTS} s of {now}; retry")

    def _write_and_register(
        self,
        version: str,
        directory: Path,
        now: datetime,
        meta: DatasetMeta,
        config: TrainerConfig,
        outcome: TrainingOutcome,
        extra: dict[str, Any],
    ) -> ModelRecord:
        sidecar: dict[str, Any] = {
            "version": version,
            "symbol": meta.symbol,
            "feature_names": meta.feature_names,
            "feature_set_id": meta.feature_set_id,
            "label_name": meta.label_name,
            "label": meta.label,
            "params": outcome.params,
            "metrics": outcome.metrics,
            "feature_importance": outcome.feature_importance,
            "data_range": {"start_ms": outcome.data_start_ms, "end_ms": outcome.data_end_ms},
            "train_end_ms": outcome.train_end_ms,
            "test_range": {"start_ms": outcome.test_start_ms, "end_ms": outcome.test_end_ms},
            "threshold": config.threshold,
            "config": {**meta.config, **config.as_dict()},
            "created_at": now.isoformat(),
            **extra,
        }
        files = write_artifact(directory, outcome.model_text, sidecar)
        return self._registry.register(
            version=version,
            symbol=meta.symbol,
            sha256=files.sha256,
            sidecar_sha256=files.sidecar_sha256,
            artifact_path=str(files.model_path),
            sidecar_path=str(files.sidecar_path),
            metrics=outcome.metrics,
            params=outcome.params,
            feature_names=meta.feature_names,
            label=meta.label,
            feature_set_id=meta.feature_set_id,
            threshold=config.threshold,
            data_start_ms=outcome.data_start_ms,
            data_end_ms=outcome.data_end_ms,
            test_start_ms=outcome.test_start_ms,
            test_end_ms=outcome.test_end_ms,
            created_at_ms=int(now.timestamp() * 1000),
        )

    def activate(self, version: str, activated_by: str) -> tuple[ModelRecord, str | None]:
        """Verify the artifact, make `version` its symbol's active model, record who did it,
        and announce it on Redis. Returns the record and the previously active version.

        Raises NotFound (unknown version or missing file), IntegrityFailure (a file's hash or
        content disagrees with the registry: such a model is never activated), InvalidInput.
        """
        if not activated_by.strip():
            raise InvalidInput("activated_by must name who activates the model")
        record = self._registry.get(version)
        loaded = load_verified(
            record.artifact_path, record.sidecar_path, record.sha256, record.sidecar_sha256
        )
        if (loaded.version, loaded.symbol, loaded.feature_names, loaded.feature_set_id) != (
            record.version,
            record.symbol,
            record.feature_names,
            record.feature_set_id,
        ):
            raise IntegrityFailure(
                f"the artifact of {version} describes another model than its registry entry"
            )
        activated, previous = self._registry.activate(version, activated_by.strip())
        try:
            publish_activation(self._redis, activated.symbol, activated.version)
        except RedisError as exc:
            # The activation is committed; predictors also poll the registry, so they catch up.
            log.warning(
                "activation event not published",
                extra={"version": version, "error": str(exc)},
            )
        log.info(
            "model activated",
            extra={"symbol": activated.symbol, "version": version, "previous": previous},
        )
        return activated, previous

    def list_models(self, symbol: str = "") -> list[ModelRecord]:
        """Registered models, newest first; only `symbol`'s when given."""
        return self._registry.list(normalise_symbol(symbol) if symbol.strip() else None)

    def get_model(self, version: str) -> ModelRecord:
        """Raises NotFound for an unknown version."""
        return self._registry.get(version.strip())

    def active(self, symbol: str) -> ModelRecord:
        """Raises NotFound when no model of `symbol` is active."""
        symbol = normalise_symbol(symbol)
        record = self._registry.active(symbol)
        if record is None:
            raise NotFound(f"no active model for {symbol}: train one, then activate it")
        return record

    def activations(self, symbol: str) -> list[ActivationRecord]:
        """`symbol`'s activation history, newest first."""
        return self._registry.activations(normalise_symbol(symbol))


def _check_same_dataset(info: DatasetInfo, meta: DatasetMeta) -> None:
    # Another build of the same symbol may have replaced the dataset since ours finished.
    built = (info.feature_set_id, info.rows, info.first_ms, info.last_ms)
    stored = (meta.feature_set_id, meta.rows, meta.first_ms, meta.last_ms)
    if built != stored:
        raise Conflict(
            f"the dataset of {meta.symbol} was rebuilt by another request while training "
            "started; retry"
        )
