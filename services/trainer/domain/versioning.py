"""Model versions: `MAJOR.MINOR.PATCH+YYYYMMDD_HHMMSS`, the build part being the UTC time of
training. Uniqueness is the registry's job: on a collision the service asks for the next
second (`version_at(now, offset_s=1)`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

RELEASE = "1.0.0"
"""Bumped when the artifact format changes in a way consumers must know about."""
VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)\+(\d{8}_\d{6})$")
_STAMP = "%Y%m%d_%H%M%S"


def version_at(moment: datetime, offset_s: int = 0) -> str:
    """The version for a (timezone-aware) moment, `offset_s` seconds later.

    Raises ValueError for a naive datetime: a local time would give a wrong, ambiguous stamp.
    """
    if moment.tzinfo is None:
        raise ValueError("version_at needs a timezone-aware datetime")
    stamp = (moment.astimezone(UTC) + timedelta(seconds=offset_s)).strftime(_STAMP)
    return f"{RELEASE}+{stamp}"


def version_time(version: str) -> datetime:
    """The UTC moment a version stands for. Raises ValueError if it is not a model version."""
    match = VERSION_RE.match(version)
    if match is None:
        raise ValueError(f"{version!r} is not a model version like 1.0.0+20250101_120000")
    return datetime.strptime(match.group(4), _STAMP).replace(tzinfo=UTC)
