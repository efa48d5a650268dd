"""The typed gRPC clients the gateway talks through, built once per app."""

from __future__ import annotations

from dataclasses import dataclass

from services.backtester.client import BacktesterClient
from services.common.settings import BaseServiceSettings
from services.features.client import FeaturesClient
from services.ingest.client import IngestClient
from services.predictor.client import PredictorClient
from services.trainer.client import TrainerClient


@dataclass
class ServiceClients:
    ingest: IngestClient
    features: FeaturesClient
    trainer: TrainerClient
    backtester: BacktesterClient
    predictor: PredictorClient
    addresses: dict[str, str]

    @classmethod
    def from_settings(cls, settings: BaseServiceSettings) -> ServiceClients:
        return cls(
            ingest=IngestClient(settings.ingest_addr),
            features=FeaturesClient(settings.features_addr),
            trainer=TrainerClient(settings.trainer_addr),
            backtester=BacktesterClient(settings.backtester_addr),
            predictor=PredictorClient(settings.predictor_addr),
            addresses={
                "ingest": settings.ingest_addr,
                "features": settings.features_addr,
                "trainer": settings.trainer_addr,
                "backtester": settings.backtester_addr,
                "predictor": settings.predictor_addr,
            },
        )

    def close(self) -> None:
        for name in self.addresses:
            getattr(self, name).close()
