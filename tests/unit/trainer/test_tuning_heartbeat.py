"""The tuning storage's heartbeat comes from the trainer's settings: production's 10 s / 30 s
unless TRADY_TUNING_HEARTBEAT_S / TRADY_TUNING_GRACE_S say otherwise, and a grace that does
not exceed the heartbeat is refused when the service is wired, not when a trial goes stale."""

from __future__ import annotations

import pytest

from services.common.errors import InvalidInput
from services.trainer.settings import TrainerSettings
from services.trainer.tuning.storage import NAME_MAX, Heartbeat, application_name


def test_production_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADY_TUNING_HEARTBEAT_S", raising=False)
    monkeypatch.delenv("TRADY_TUNING_GRACE_S", raising=False)
    assert TrainerSettings().study_heartbeat() == Heartbeat(10, 30, 2)


def test_the_environment_sets_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADY_TUNING_HEARTBEAT_S", "1")
    monkeypatch.setenv("TRADY_TUNING_GRACE_S", "3")
    assert TrainerSettings().study_heartbeat() == Heartbeat(1, 3, 2)


@pytest.mark.parametrize(("interval", "grace"), [(10, 10), (10, 5), (0, 3)])
def test_a_grace_within_the_heartbeat_is_refused(
    monkeypatch: pytest.MonkeyPatch, interval: int, grace: int
) -> None:
    with pytest.raises(InvalidInput, match="grace > interval"):
        Heartbeat(interval, grace)
    if interval >= 1:
        monkeypatch.setenv("TRADY_TUNING_HEARTBEAT_S", str(interval))
        monkeypatch.setenv("TRADY_TUNING_GRACE_S", str(grace))
        with pytest.raises(InvalidInput):
            TrainerSettings().study_heartbeat()


def test_connections_are_named_by_process_pid_first() -> None:
    name = application_name()
    assert name.startswith("trady-tuning:") and len(name) <= NAME_MAX
    assert name.split(":", 1)[1].split("@")[0].isdigit()
