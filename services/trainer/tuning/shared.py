"""Several workers on one study: each adds trials until the study holds its count.

A trial holds a slot of the count while it is finished (complete or pruned), running or
waiting (a retried copy of a dead worker's trial). Before each trial a worker counts the
slots and starts one only while one is free, or to run a waiting copy, so workers together
stop at the count instead of each finishing one more: a trial running elsewhere keeps its
slot. A dead worker's trial keeps its slot until its heartbeat is stale; then the storage
fails it and hands the slot to its waiting copy (RetryHeartbeatStaleTrialCallback), which
the next worker to ask runs. A copy that is not made (retries used up) frees the slot.

Two workers that count within the same few milliseconds, when one slot is left, can both
start a trial: the study then holds one more than its count. Closing that window needs a
lock around optuna's `ask`, which its storage API does not offer.
"""

from __future__ import annotations

import os
import socket
import time
from collections import Counter
from collections.abc import Callable

import optuna

from services.trainer.tuning.objective import StudySetup, objective
from services.trainer.tuning.study_data import StudyData

State = optuna.trial.TrialState
FINISHED = (State.COMPLETE, State.PRUNED)
HOLDING = (*FINISHED, State.RUNNING, State.WAITING)
POLL_S = 1.0
"""How often a worker waiting for other workers' last trials looks at the study."""
WORKER_ATTR = "worker"
"""The trial's user attr naming the process that runs it (`<pid>@<host>`)."""

Callback = Callable[[optuna.Study, optuna.trial.FrozenTrial], None]


def finished(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=FINISHED))


def worker_name() -> str:
    return f"{os.getpid()}@{socket.gethostname()}"


def work_until(
    study: optuna.Study,
    data: StudyData,
    setup: StudySetup,
    target: int,
    timeout_s: float | None,
    callback: Callback,
    *,
    wait: bool = True,
) -> None:
    """Run trials, one at a time, while the study has a free slot of `target` or a waiting
    copy (see the module's doc). With `wait`, return only when no trial is running any more
    (the last ones of other workers, or a dead worker's, failed once stale); without, as soon
    as there is nothing left to start. After `timeout_s`, start no more trials."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s

    def run(trial: optuna.Trial) -> float:
        # Which process ran a trial: how an operator (and the drill test) finds a killed
        # worker's trial in the storage. The retried copy is stamped by its own worker.
        trial.set_user_attr(WORKER_ATTR, worker_name())
        return objective(trial, data, setup)

    while True:
        left = None if deadline is None else deadline - time.monotonic()
        states = Counter(t.state for t in study.get_trials(deepcopy=False))
        held = sum(states[s] for s in HOLDING)
        if (left is None or left > 0) and (held < target or states[State.WAITING]):
            # optuna fails stale trials (and queues their copies) before each ask, and asks
            # for a waiting copy before a new trial.
            study.optimize(
                run, n_trials=1, timeout=left, callbacks=[callback], gc_after_trial=False
            )
            continue
        if not states[State.RUNNING] or not wait:
            return
        optuna.storages.fail_stale_trials(study)
        time.sleep(POLL_S)
