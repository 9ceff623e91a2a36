"""A hyperparameter search through Optuna: ``nbgen.search`` samples settings (TPE, a Bayesian
method, or at random), trains a run for each and stops poor runs early (Optuna's median
pruner: a run whose metric at an epoch is worse than the median of earlier runs at that epoch).

``nbgen.search("vae", "digits", trials=20, epochs=30, learning_rate=("log", 1e-4, 1e-2),
beta=("uniform", 0.5, 4), latent_dim=("int", 2, 16), hidden=[(64,), (128, 128)])``: a tuple
whose first item is ``"log"``, ``"uniform"`` or ``"int"`` is a range, a list is a choice among
its values, anything else is shared by every run. A run scores its metric (``val_loss``, else
``loss``; lower is better, higher for ``*accuracy``) at its last epoch.

With ``checkpoint=folder`` each trial checkpoints in ``folder/trial-N`` (recorded in
``nbgen.runs()``) and the study is kept in ``folder/optuna.db`` (SQLite): the same call after a
crash goes on with the trials it still has to run; finished and pruned trials are loaded, not
trained again. A trial that a crash cut short stays as it was (Optuna lists it as running) and
does not count. It needs ``pip install "nbgen[optuna]"``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
from typing import Any, TextIO

from . import checkpoint as _checkpoint
from . import progress as _progress
from ._compare import Comparison, compare
from .api import load
from .session import Session, TrainingDiverged

RANGES = ("log", "uniform", "int")
SAMPLERS = ("tpe", "random")
COUNTED = ("COMPLETE", "PRUNED")  # what a trial that ran to its end (or was stopped early) is


def _optuna() -> Any:
    try:
        import optuna
    except ImportError as exc:
        raise ModuleNotFoundError('search() needs Optuna: pip install "nbgen[optuna]"') from exc
    return optuna


def split(space: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The searched settings (ranges and choices) and the fixed ones; a bad range names itself."""
    searched, fixed = {}, {}
    for name, value in space.items():
        if isinstance(value, list):
            if not value:
                raise ValueError(f"{name}=[] gives nothing to choose: give at least one value")
            searched[name] = value
        elif isinstance(value, tuple) and value and isinstance(value[0], str):
            if value[0] not in RANGES or len(value) != 3:
                raise ValueError(f"{name}={value!r}: a range is (kind, low, high) with kind one of {', '.join(RANGES)}")
            kind, low, high = value
            numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high))
            if not numbers or not low < high or (kind == "log" and low <= 0):
                raise ValueError(f"{name}={value!r}: give numbers low < high (and low > 0 for 'log')")
            if kind == "int" and not all(float(v).is_integer() for v in (low, high)):
                raise ValueError(f"{name}={value!r}: an 'int' range needs whole numbers")
            searched[name] = value
        else:
            fixed[name] = value
    return searched, fixed


def candidates(value: Any) -> list[Any]:
    """The values of a searched setting that validation tries before anything trains."""
    if isinstance(value, list):
        return value
    kind, low, high = value
    return [int(low), int(high)] if kind == "int" else [float(low), float(high)]


def suggest(trial: Any, name: str, value: Any) -> Any:
    if isinstance(value, list):
        index = trial.suggest_categorical(name, list(range(len(value))))  # any value, even a tuple
        return value[index]
    kind, low, high = value
    if kind == "int":
        return trial.suggest_int(name, int(low), int(high))
    return trial.suggest_float(name, float(low), float(high), log=kind == "log")


@contextlib.contextmanager
def _quiet(optuna: Any):
    """Optuna's own line per trial off (nbgen prints one); its level restored after."""
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(before)


def search(
    model: str = "vae",
    data: Any = "digits",
    *,
    trials: int = 20,
    epochs: int | None = None,
    metric: str | None = None,
    sampler: str = "tpe",
    prune: bool = True,
    seed: int = 0,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: Any = _checkpoint.DEFAULT_EVERY,
    storage: str | None = None,
    study_name: str = "nbgen",
    evaluate: bool = False,
    progress: bool | None = None,
    stream: TextIO | None = None,
    **space: Any,
) -> Comparison:
    """Search the settings given as ranges and lists with Optuna; see :mod:`nbgen.search`.

    Args:
        trials: the runs to train in all (a resumed search trains those it still lacks).
        metric: the history metric a run scores at its last epoch (default ``val_loss``, else ``loss``).
        sampler: ``"tpe"`` (Optuna's Bayesian TPE) or ``"random"``; ``seed`` seeds it.
        prune: stop runs early whose metric is worse than the median of earlier runs at that epoch.
        checkpoint: a folder for the search (each trial's checkpoints, and the study in
            ``optuna.db``); the same call after a crash goes on with the trials left.
        storage: an Optuna storage URL for the study instead (``study_name`` names it there).

    Returns:
        A :class:`~nbgen.Comparison` of the runs, best first, with ``.study`` (the Optuna study:
        ``.best_params``, ``.trials_dataframe()``); each row of ``.table`` has its ``trial``
        number and ``state`` (``"complete"``, ``"pruned"``: fewer epochs).
    """
    from . import models as _models
    from .data import load as load_data

    optuna = _optuna()
    if not isinstance(trials, int) or isinstance(trials, bool) or trials < 1:
        raise ValueError(f"trials={trials!r}: give a whole number of runs, at least 1")
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler={sampler!r}: give one of {', '.join(map(repr, SAMPLERS))}")
    searched, fixed = split(space)
    if not searched:
        raise ValueError("search() needs a range or a list to search, e.g. learning_rate=('log', 1e-4, 1e-2)")
    if epochs is not None:
        fixed["epochs"] = epochs
    _checkpoint.parse_every(checkpoint_every)
    dataset = load_data(data)
    spec = _models.resolve(model)
    first = {k: candidates(v)[0] for k, v in searched.items()}
    for name, value in searched.items():  # every end of every range, before anything trains
        for candidate in candidates(value):
            spec.resolve(dataset, {**fixed, **first, name: candidate})
    name = spec if spec.user_defined else spec.name
    source = data if isinstance(data, str) else dataset
    if checkpoint is not None:
        os.makedirs(checkpoint, exist_ok=True)
        storage = storage or f"sqlite:///{os.path.abspath(os.path.join(checkpoint, 'optuna.db'))}"
    make_sampler = optuna.samplers.TPESampler if sampler == "tpe" else optuna.samplers.RandomSampler
    pruner = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1) if prune else optuna.pruners.NopPruner()
    metric = metric or _default_metric(spec)
    _check_metric(spec, metric)
    direction = "maximize" if metric.endswith("accuracy") else "minimize"
    with _quiet(optuna):
        study = optuna.create_study(storage=storage, study_name=study_name, load_if_exists=storage is not None,
                                    sampler=make_sampler(seed=seed), pruner=pruner, direction=direction)  # fmt: skip
    show = _progress.default_enabled() if progress is None else bool(progress)
    out = stream if stream is not None else sys.stderr
    sessions: dict[int, Session] = {}
    for t in study.trials:  # a resumed search: the trials that ran, loaded
        if t.state.name in COUNTED and t.user_attrs.get("folder") and _checkpoint.checkpoints(t.user_attrs["folder"]):
            sessions[t.number] = load(_checkpoint.checkpoints(t.user_attrs["folder"])[-1])
    left = trials - sum(t.state.name in COUNTED for t in study.trials)

    def objective(trial: Any) -> float:
        chosen = {k: suggest(trial, k, v) for k, v in searched.items()}
        options: dict[str, Any] = {}
        if checkpoint is not None:
            folder = os.path.join(os.fspath(checkpoint), f"trial-{trial.number}")
            trial.set_user_attr("folder", folder)
            options = {"checkpoint": folder, "checkpoint_every": checkpoint_every}
        s = Session(name, source, **fixed, **chosen, **options)
        pruned: list[int] = []

        def on(event: dict) -> None:
            value = event.get("metrics", {}).get(metric) if event.get("type") == "epoch" else None
            if value is None or pruned:
                return
            trial.report(float(value), event["epoch"])
            if trial.should_prune():
                pruned.append(event["epoch"])
                s.stop(wait=False)

        s.subscribe(on)
        diverged = None
        try:
            s.train()
        except TrainingDiverged as exc:  # a failed trial (Optuna's FAIL), not the search's end
            diverged = exc
        finally:
            if s.epoch:
                sessions[trial.number] = s
        values = s.history.get(metric)
        if not values and diverged is None:
            raise ValueError(f"metric={metric!r} is not in the run's history; it has {', '.join(s.history)}")
        score = values[-1] if values and diverged is None else math.nan
        if show:
            note = "diverged" if diverged else f"pruned at epoch {pruned[0]}" if pruned else f"{s.epoch} epochs"
            line = f"trial {trial.number + 1} ({_label(chosen)}): {metric} {score:.4g}, {note}"
            print(line, file=out, flush=True)
        if pruned:
            raise optuna.TrialPruned(f"{metric} {score:.4g} at epoch {pruned[0]}")
        return score  # NaN: Optuna marks the trial failed and goes on

    interrupted = False
    with _quiet(optuna):
        try:
            if left > 0:
                study.optimize(objective, n_trials=left, catch=())
        except KeyboardInterrupt:
            interrupted = True
    if not sessions:
        if interrupted:
            raise KeyboardInterrupt("the search was interrupted before its first run finished an epoch")
        raise RuntimeError(
            f"no run of the search finished an epoch (its trials: {[t.state.name for t in study.trials]})"
        )
    order = sorted(sessions, key=lambda n: _rank(study, n))
    result = compare(*[sessions[n] for n in order], evaluate=evaluate, seeds="apart")
    for row, number in zip(result.table, order):
        row.update(trial=number, state=study.trials[number].state.name.lower())
    result.interrupted, result.study = interrupted, study
    return result


def _default_metric(spec: Any) -> str:
    for name in ("val_loss", "loss"):
        if name in (*getattr(spec, "val_metric_names", ()), *getattr(spec, "metric_names", ())):
            return name
    raise ValueError(f"the {spec.name} model has no loss to score a run by: give metric= one of its history's metrics")


def _check_metric(spec: Any, metric: str) -> None:
    """A metric the model's history does not have is refused before anything trains (your own
    Keras model's metrics are known once it is built: they are not checked)."""
    try:
        names = {*spec.metric_names, *spec.val_metric_names}
    except Exception:  # noqa: BLE001 - a model that knows its metrics only once built
        return
    if names and not spec.user_defined and metric not in names:
        raise ValueError(f"metric={metric!r}: the {spec.name} model's history has {', '.join(sorted(names))}")


def _rank(study: Any, number: int) -> tuple[int, float]:
    """Finished runs by their score (best first), then the pruned ones by how far they got."""
    trial = study.trials[number]
    if trial.state.name == "COMPLETE" and trial.value is not None:
        return (0, trial.value if study.direction.name == "MINIMIZE" else -trial.value)
    return (1, -max(trial.intermediate_values or [0]))


def _label(chosen: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in chosen.items())


__all__ = ["search"]
