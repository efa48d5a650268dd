"""Which bars a backtest covers, and whether the model has seen them.

A model is fitted (and early-stopped) on [data_start, test_start) of its dataset; only bars at
or after test_start are out-of-sample. Ranges are half-open [start_ms, end_ms), 0 = unbounded.
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.research.period import TIME, restrict

__all__ = ["TIME", "in_sample_warnings", "iso", "restrict"]


def iso(ms: int) -> str:
    """`2025-08-20 13:04 UTC` for a Unix-ms time."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def in_sample_warnings(
    first_ms: int, last_ms: int, fit_start_ms: int, fit_end_ms: int, version: str
) -> tuple[str, ...]:
    """Warnings for a report whose bars [first_ms, last_ms] may overlap the model's fitting
    period [fit_start_ms, fit_end_ms); none when every bar is out-of-sample."""
    if not fit_end_ms:
        return (
            f"model {version} records no test range, so it cannot be told whether these bars "
            "were seen in training; treat the results as possibly in-sample.",
        )
    if first_ms < fit_end_ms and last_ms >= fit_start_ms:
        return (
            f"IN-SAMPLE: the bars {iso(first_ms)} .. {iso(last_ms)} overlap the period model "
            f"{version} was fitted on ({iso(fit_start_ms)} .. before {iso(fit_end_ms)}); these "
            "results are optimistic. Omit the range to test on the held-out test range.",
        )
    return ()
