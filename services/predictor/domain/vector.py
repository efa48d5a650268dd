"""Feature-vector assembly: a name -> value mapping becomes one row in the model's column order.

A model is only meaningful on the exact feature set it was trained on, so every mismatch is
refused loudly rather than patched (no zero-filling, no dropping of extra names).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from services.common.errors import Conflict, InvalidInput

MAX_NAMES_IN_MESSAGE = 20
"""Long lists are cut in error messages; the count is always given in full."""


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES_IN_MESSAGE])
    more = len(names) - MAX_NAMES_IN_MESSAGE
    return f"{shown}, ... (+{more} more)" if more > 0 else shown


def assemble_row(feature_names: Sequence[str], values: Mapping[str, float]) -> np.ndarray:
    """Return `values` as a float64 row ordered like `feature_names`.

    Raises:
        InvalidInput: naming every missing feature and every unknown extra name (each list
            sorted), or the features whose values are NaN or infinite.
    """
    expected = set(feature_names)
    missing = sorted(expected - values.keys())
    extra = sorted(values.keys() - expected)
    problems = []
    if missing:
        problems.append(f"missing {len(missing)} feature(s): {_names(missing)}")
    if extra:
        problems.append(f"unknown feature(s) {_names(extra)}")
    if problems:
        raise InvalidInput(
            "features do not match the model's feature set: "
            + "; ".join(problems)
            + f" (the model expects {len(feature_names)} features)"
        )
    row = np.empty(len(feature_names), dtype=np.float64)
    bad: list[str] = []
    for i, name in enumerate(feature_names):
        value = float(values[name])
        if not math.isfinite(value):
            bad.append(name)
        row[i] = value
    if bad:
        raise InvalidInput(
            f"feature values must be finite numbers; not finite: {_names(sorted(bad))}"
        )
    return row


def check_feature_set(
    model_feature_set_id: str,
    model_feature_names: Sequence[str],
    vector_feature_set_id: str,
    vector_feature_names: Sequence[str],
) -> None:
    """Refuse a stored feature vector that was not built with the model's feature definition.

    Raises:
        Conflict: the ids differ (naming both), or the names differ from the model's list
            (order included: the id promises the exact same columns).
    """
    if vector_feature_set_id != model_feature_set_id:
        raise Conflict(
            f"the latest feature vector was built with feature set {vector_feature_set_id!r} but "
            f"the active model expects {model_feature_set_id!r}; rebuild the features with the "
            "model's config or activate a model trained on the current features"
        )
    if list(vector_feature_names) != list(model_feature_names):
        missing = sorted(set(model_feature_names) - set(vector_feature_names))
        extra = sorted(set(vector_feature_names) - set(model_feature_names))
        detail = []
        if missing:
            detail.append(f"missing {_names(missing)}")
        if extra:
            detail.append(f"unexpected {_names(extra)}")
        if not detail:
            detail.append("same names in a different order")
        raise Conflict(
            f"the latest feature vector (feature set {vector_feature_set_id!r}) does not list the "
            f"model's features: {'; '.join(detail)}; rebuild the features"
        )
