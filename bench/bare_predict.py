"""The peer for bench.predict_latency: a bare FastAPI endpoint that loads the same LightGBM
text model and predicts in-process (no auth, no registry, no gRPC hop, no hash check).

Run by the benchmark as: uvicorn bench.bare_predict:app (TRADY_BENCH_MODEL=path/to/model.txt)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import lightgbm
import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel

MODEL = Path(os.environ["TRADY_BENCH_MODEL"])
BOOSTER = lightgbm.Booster(model_file=str(MODEL))
NAMES: list[str] = json.loads(MODEL.with_name("model.json").read_text())["feature_names"]

app = FastAPI()


class Body(BaseModel):
    symbol: str
    features: dict[str, float]


@app.post("/predict")
def predict(body: Body) -> dict[str, Any]:
    row = np.array([[body.features[name] for name in NAMES]], dtype=np.float64)
    return {"symbol": body.symbol, "probability": float(BOOSTER.predict(row)[0])}
