"""Tuning studies: the walk-forward report of a study, through the trainer that owns it."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from services.gateway.auth import ClientCaller
from services.gateway.deps import Clients

router = APIRouter(prefix="/api/v1/studies", tags=["studies"])


@router.get("/{symbol}/{study}/{file}")
def study_report(symbol: str, study: str, file: str, _: ClientCaller, svc: Clients) -> Response:
    """`report.json` or `report.html` of study `study` of `symbol`: the candidates with their
    folds' out-of-sample equity stitched beside the holdout, the per-fold tables, the
    optimisation history and the parameter importances (docs/tuning.md). 404 until the study
    has run; the tune job's result names the same files."""
    content, media_type = svc.trainer.study_report(symbol.upper(), study, file)
    return Response(content, media_type=media_type)
