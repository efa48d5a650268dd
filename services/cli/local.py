"""The pipeline's use cases in this process, without the stack: the same service classes the
servers and workers run, wired directly to each other instead of over gRPC and Redis.

Settings come from the same environment variables (TRADY_DATA_DIR, default var/data; the
registry is SQLite under it unless DATABASE_URL says otherwise).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from redis import Redis

from services.backtester.main import build_service as build_backtester
from services.backtester.service import BacktesterService
from services.backtester.settings import BacktesterSettings
from services.common.db import make_engine
from services.features.main import build_service as build_features
from services.features.service import FeatureService
from services.features.settings import FeaturesSettings
from services.features.store import DatasetStore
from services.ingest.main import build_service as build_ingest
from services.ingest.service import IngestService
from services.ingest.settings import IngestSettings
from services.predictor.service import PredictorService
from services.trainer.main import read_config
from services.trainer.registry import migrate
from services.trainer.registry.repository import RegistryRepository
from services.trainer.service import TrainerService
from services.trainer.settings import TrainerSettings

BAR_WIDTH = 30
REDIS_CONNECT_TIMEOUT_S = 1


def progress_bar(label: str) -> Callable[[float, str], None]:
    """A `(fraction, message)` progress callback drawing a bar on stderr."""
    live = sys.stderr.isatty()

    def show(fraction: float, message: str = "") -> None:
        fraction = max(0.0, min(1.0, fraction))
        done = int(round(fraction * BAR_WIDTH))
        line = f"{label:<9} [{'#' * done}{'-' * (BAR_WIDTH - done)}] {fraction:6.1%} {message[:50]}"
        if live:
            print("\r" + line.ljust(100), end="\n" if fraction >= 1.0 else "", file=sys.stderr)
        elif fraction >= 1.0:
            print(line, file=sys.stderr)

    return show


@dataclass
class LocalPipeline:
    ingest: IngestService
    features: FeatureService
    trainer: TrainerService
    predictor: PredictorService
    backtester: BacktesterService


@contextlib.contextmanager
def local_pipeline() -> Iterator[LocalPipeline]:
    """Every service in-process, sharing one registry engine; closed on exit."""
    trainer_settings = TrainerSettings()
    trainer_settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(trainer_settings.registry_url())
    engine = make_engine(trainer_settings.registry_url())
    # activation publishes to Redis when one answers; without one the call still succeeds
    redis = Redis.from_url(
        trainer_settings.redis_url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S
    )
    features = build_features(FeaturesSettings())
    registry = RegistryRepository(engine)
    try:
        yield LocalPipeline(
            ingest=build_ingest(IngestSettings()),
            features=features,
            trainer=TrainerService(
                features_client=features,  # same build() signature as the gRPC client
                dataset_store=DatasetStore(trainer_settings.data_dir),
                registry=registry,
                models_dir=trainer_settings.models_dir,
                redis=redis,
                default_config_yaml=read_config(trainer_settings),
                heartbeat=trainer_settings.study_heartbeat(),
            ),
            predictor=PredictorService(registry, features),
            backtester=build_backtester(BacktesterSettings(), engine),
        )
    finally:
        redis.close()
        engine.dispose()
