"""The study's parameter importances, or a note saying why there are none.

optuna's default evaluator (PED-ANOVA) reads complete trials only and handles conditional
parameters (a gate's keys exist only when the trial switched it on). With fewer than
MIN_COMPLETE complete trials it would return equal shares, which mean nothing, and some
studies make it raise (every trial with the same value of a parameter, say); either way the
report says so instead of failing the tune that wrote it.
"""

from __future__ import annotations

import logging
import math
import warnings

import optuna

from services.trainer.tuning.report.data import Importances

log = logging.getLogger(__name__)

METHOD = "ped-anova"
MIN_COMPLETE = 2


def param_importances(study: optuna.Study) -> Importances:
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(complete) < MIN_COMPLETE:
        return Importances(
            METHOD,
            {},
            f"{len(complete)} complete trial(s): importances need at least {MIN_COMPLETE}",
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # The evaluator itself, not get_param_importances: that one turns "no parameter
            # matters yet" (all zero) into equal shares, which would read as a finding.
            raw = optuna.importance.PedAnovaImportanceEvaluator().evaluate(study)
        except Exception as exc:  # optuna's evaluators raise many kinds; the tune must not fail
            log.warning("parameter importances failed", extra={"error": str(exc)})
            return Importances(METHOD, {}, f"optuna could not compute importances: {exc}")
    # optuna warns when its figures are unreliable (too few trials in a regime): pass it on.
    notes = list(dict.fromkeys(str(w.message) for w in caught))
    finite = {k: float(v) for k, v in raw.items() if math.isfinite(v) and v >= 0.0}
    if len(finite) < len(raw):
        notes.append(f"dropped non-finite importances of {sorted(set(raw) - set(finite))}")
    total = sum(finite.values())
    if total <= 0.0:
        notes.insert(0, f"the {len(complete)} complete trials do not tell the parameters apart")
        return Importances(METHOD, {}, "; ".join(notes))
    shares = sorted(((k, v / total) for k, v in finite.items()), key=lambda kv: -kv[1])
    return Importances(METHOD, dict(shares), "; ".join(notes) or None)
