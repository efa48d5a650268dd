"""numpy arrays handed to numba kernels."""

from __future__ import annotations

import numpy as np


def read_only(array: np.ndarray) -> np.ndarray:
    """`array` itself, marked read-only (no copy).

    numba compiles a kernel once per argument type, and read-only is part of the type. polars
    hands over read-only arrays when it can share its memory and writable copies when it
    cannot, so kernel inputs are always marked read-only: one specialisation per kernel,
    which the queue workers' warm-up compiles before they fork (see features.domain.warm_up).
    """
    array.flags.writeable = False
    return array
