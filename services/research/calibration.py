"""Probability calibration, so that "p" in the EV formula means what it says.

Fitted on a part of the training window the trees never saw (walk_forward.inner_parts), then
applied to every prediction the model makes: in tuning folds, the holdout, backtests and live.
- `platt`: p' = sigmoid(a * logit(p) + b), fitted by Newton's method on the log loss with
  Platt's smoothed targets (N+ + 1) / (N+ + 2) and 1 / (N- + 2), which keeps a and b finite on
  separable or tiny sets.
- `isotonic`: the non-decreasing step function of least squares (pool-adjacent-violators over
  the distinct predictions), linearly interpolated between its points and clipped outside
  them, as scikit-learn's IsotonicRegression(out_of_bounds="clip") does.
- `none`: p unchanged.
A calibrator is a few numbers stored in the model's sidecar (`as_dict`), never a pickle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from services.common.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
Method = Literal["none", "platt", "isotonic"]
METHODS: tuple[Method, ...] = ("none", "platt", "isotonic")
_EPS = 1e-12
_NEWTON_STEPS = 100


@dataclass(frozen=True)
class Calibrator:
    method: Method = "none"
    a: float = 1.0
    b: float = 0.0
    x: tuple[float, ...] = field(default=())
    y: tuple[float, ...] = field(default=())

    def apply(self, p: FloatArray) -> FloatArray:
        """Calibrated probabilities; NaN stays NaN."""
        p = np.asarray(p, dtype=np.float64)
        if self.method == "platt":
            z = _logit(p)
            return np.asarray(1.0 / (1.0 + np.exp(-(self.a * z + self.b))), dtype=np.float64)
        if self.method == "isotonic":
            out = np.interp(p, np.asarray(self.x), np.asarray(self.y))
            return np.where(np.isnan(p), np.nan, out)
        return p

    def as_dict(self) -> dict[str, Any]:
        if self.method == "platt":
            return {"method": "platt", "a": self.a, "b": self.b}
        if self.method == "isotonic":
            return {"method": "isotonic", "x": list(self.x), "y": list(self.y)}
        return {"method": "none"}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> Calibrator:
        """The stored form back; None or {} is no calibration. Raises InvalidInput."""
        if not raw:
            return cls()
        method = raw.get("method", "none")
        try:
            if method == "platt":
                return cls("platt", a=float(raw["a"]), b=float(raw["b"]))
            if method == "isotonic":
                x = tuple(float(v) for v in raw["x"])
                y = tuple(float(v) for v in raw["y"])
                if not x or len(x) != len(y) or any(b < a for a, b in zip(x, x[1:], strict=False)):
                    raise ValueError("x must be non-empty, sorted and as long as y")
                return cls("isotonic", x=x, y=y)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"invalid calibration {dict(raw)}: {exc}") from exc
        if method == "none":
            return cls()
        raise InvalidInput(f"unknown calibration method {method!r} (one of {', '.join(METHODS)})")


def fit_calibrator(method: Method, p: FloatArray, y: FloatArray) -> Calibrator:
    """Fit `method` on predictions `p` and 0/1 labels `y` (NaN labels are ignored). With
    fewer than two labelled rows, or one class only, there is nothing to learn: the identity."""
    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    known = ~(np.isnan(p) | np.isnan(y))
    p, y = p[known], y[known]
    if method == "none" or p.size < 2 or np.unique(y).size < 2:
        return Calibrator()
    if method == "platt":
        return _platt(p, y)
    if method == "isotonic":
        return _isotonic(p, y)
    raise InvalidInput(f"unknown calibration method {method!r} (one of {', '.join(METHODS)})")


def _logit(p: FloatArray) -> FloatArray:
    q = np.clip(p, _EPS, 1.0 - _EPS)
    return np.asarray(np.log(q) - np.log1p(-q), dtype=np.float64)


def _platt(p: FloatArray, y: FloatArray) -> Calibrator:
    z = _logit(p)
    positives = float(y.sum())
    negatives = float(y.size - positives)
    target = np.where(y > 0.5, (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0))
    a, b = 1.0, 0.0
    for _ in range(_NEWTON_STEPS):
        q = 1.0 / (1.0 + np.exp(-(a * z + b)))
        w = np.maximum(q * (1.0 - q), _EPS)
        g_a, g_b = float(np.dot(q - target, z)), float(np.sum(q - target))
        h_aa, h_ab, h_bb = float(np.dot(w, z * z)), float(np.dot(w, z)), float(np.sum(w))
        det = h_aa * h_bb - h_ab * h_ab
        if det <= _EPS:
            break
        step_a = (h_bb * g_a - h_ab * g_b) / det
        step_b = (h_aa * g_b - h_ab * g_a) / det
        a, b = a - step_a, b - step_b
        if abs(step_a) < 1e-10 and abs(step_b) < 1e-10:
            break
    if not (math.isfinite(a) and math.isfinite(b)):
        return Calibrator()
    return Calibrator("platt", a=a, b=b)


def _isotonic(p: FloatArray, y: FloatArray) -> Calibrator:
    order = np.argsort(p, kind="mergesort")
    xs, ys = p[order], y[order]
    distinct, first = np.unique(xs, return_index=True)
    weights = np.diff(np.append(first, xs.size)).astype(np.float64)
    means = np.add.reduceat(ys, first) / weights
    # Pool adjacent violators: blocks of (mean, weight, first distinct index).
    block_mean: list[float] = []
    block_weight: list[float] = []
    block_start: list[int] = []
    for i, (m, w) in enumerate(zip(means.tolist(), weights.tolist(), strict=True)):
        block_mean.append(m)
        block_weight.append(w)
        block_start.append(i)
        while len(block_mean) > 1 and block_mean[-2] >= block_mean[-1]:
            w2 = block_weight.pop()
            m2 = block_mean.pop()
            block_start.pop()
            total = block_weight[-1] + w2
            block_mean[-1] = (block_mean[-1] * block_weight[-1] + m2 * w2) / total
            block_weight[-1] = total
    # Each block is flat from its first to its last distinct x: keep those two points only.
    x_out: list[float] = []
    y_out: list[float] = []
    ends = [*block_start[1:], distinct.size]
    for start, end, m in zip(block_start, ends, block_mean, strict=True):
        x_out.append(float(distinct[start]))
        y_out.append(m)
        if end - 1 > start:
            x_out.append(float(distinct[end - 1]))
            y_out.append(m)
    return Calibrator("isotonic", x=tuple(x_out), y=tuple(y_out))
