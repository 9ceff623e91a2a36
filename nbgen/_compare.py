"""Runs side by side: ``compare`` overlays histories and tabulates metrics; ``sweep`` trains a grid.

Both are plain functions of sessions (no widget): the figure is a static Plotly figure
(``fig.write_html`` works), the table a list of dicts (and a pandas DataFrame when pandas
is installed).
"""

from __future__ import annotations

import itertools
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from . import _hooks
from . import checkpoint as _checkpoint
from . import progress as _progress
from .api import load, resume
from .runlog import summary
from .seed_groups import band, by_seed, group_rows
from .session import Session

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
_SKIP = {"data"}  # shown through the data set's name


@dataclass
class Comparison:
    """What :func:`compare` and :func:`sweep` return.

    Attributes:
        sessions: the runs, in the order given.
        labels: each run's name: the settings that differ between the runs.
        table: one dict per run: its label, the differing settings, the epochs trained,
            the last value of each history metric and its ``evaluate()`` metrics.
        figure: a Plotly figure with one panel per history metric, runs overlaid.
        interrupted: True when a sweep was interrupted (the finished runs are kept).
        groups: one dict per group of runs that differ only by their seed (``seeds="group"``):
            its label, seeds, and the mean and std of each metric's last and best value
            (:mod:`nbgen.seed_groups`).
        study: the Optuna study of a ``nbgen.search`` (None otherwise).
    """

    sessions: list[Session]
    labels: list[str]
    table: list[dict[str, Any]]
    figure: Any
    interrupted: bool = False
    differing: list[str] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    study: Any = None

    @property
    def frame(self):
        """The table as a pandas DataFrame (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "Comparison.frame needs pandas (pip install pandas); .table is the same as dicts"
            ) from exc
        return pd.DataFrame(self.table).set_index("run")

    def samples_at(self, step: int | None = None):
        """A Plotly figure of each run's samples side by side at the same ``step`` (its last kept
        frame at or before it, named in its title; ``None``: each run's last frame). Runs keep
        frames when shown, or after ``session.frames.start()`` (:mod:`nbgen.frames`).

        Example:
            >>> c.samples_at(200).show()  # doctest: +SKIP
        """
        return _hooks.get("pictures").samples_at(self, step)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.figure._repr_mimebundle_(include=include, exclude=exclude)

    def __repr__(self) -> str:
        lines = [f"<nbgen Comparison of {len(self.sessions)} runs" + (" (interrupted)" if self.interrupted else "")]
        lines += [f"  {label}: {s.summary()}" for label, s in zip(self.labels, self.sessions)]
        return "\n".join(lines) + ">"


def _settings(session: Session) -> dict[str, Any]:
    """What a run is named by: its settings (the learning rate before an anneal drop), its data's name."""
    chosen = session.run.settings
    cfg = {k: chosen.get(k, v) for k, v in session.config.items() if k not in _SKIP}
    cfg["data"] = session.dataset.name
    return cfg


def _differing(configs: list[dict[str, Any]]) -> list[str]:
    keys: list[str] = []
    for cfg in configs:
        keys += [k for k in cfg if k not in keys]
    return [k for k in keys if len({repr(c.get(k)) for c in configs}) > 1]


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value)
    return str(value)


def _label(cfg: dict[str, Any], keys: list[str], index: int) -> str:
    if not keys:
        return f"run {index + 1}"
    return ", ".join(f"{k}={_short(cfg.get(k))}" for k in keys)


def _as_session(run: Any) -> Session:
    """A session, a saved session's path, a run of ``nbgen.runs()`` (a row, or its id)."""
    if isinstance(run, Session):
        return run
    if hasattr(run, "get") and run.get("checkpoint"):  # a row of nbgen.runs() (a dict or pandas row)
        return load(run["checkpoint"])
    if isinstance(run, str) and not os.path.exists(run):
        from .runlog import runs

        listed = runs()
        found = [r for r in (listed.to_dict("records") if hasattr(listed, "to_dict") else listed) if r["run"] == run]
        if found and found[-1].get("checkpoint"):
            return load(found[-1]["checkpoint"])
        raise ValueError(f"compare(): {run!r} is neither a file nor the id of a run in nbgen.runs()")
    if isinstance(run, (str, os.PathLike)):
        return load(run)
    raise TypeError(
        "compare() takes sessions, paths to saved sessions or runs of nbgen.runs() (rows or ids), "
        f"got {type(run).__name__}"
    )


def figure_of(sessions: list[Session], labels: list[str], groups: list[list[int]] | None = None):
    """One panel per history metric (the union over runs), each run (or each group of runs that
    differ only by seed: its mean, and a band from its lowest to its highest run) in its own colour."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    metrics: list[str] = []
    for s in sessions:
        metrics += [m for m in s.history if m not in metrics]
    metrics = [m for m in metrics if m != "learning_rate"] + (["learning_rate"] if "learning_rate" in metrics else [])
    cols = min(3, max(1, len(metrics)))
    rows = max(1, -(-len(metrics) // cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=metrics or ["(no epochs trained)"])
    groups = groups or [[i] for i in range(len(sessions))]
    for i, (members, label) in enumerate(zip(groups, labels)):
        colour = PALETTE[i % len(PALETTE)]
        for j, m in enumerate(metrics):
            histories = [sessions[k].history.get(m) for k in members]
            if not all(histories):
                continue
            values, lows, highs = band(histories)  # type: ignore[arg-type]
            where = {"row": j // cols + 1, "col": j % cols + 1}
            if len(members) > 1:  # the spread of the seeds: lowest to highest run, shaded
                epochs = list(range(1, len(values) + 1))
                fig.add_trace(
                    go.Scatter(x=epochs + epochs[::-1], y=highs + lows[::-1], fill="toself", fillcolor=colour,
                               opacity=0.2, line={"width": 0}, hoverinfo="skip", showlegend=False,
                               legendgroup=label, name=f"{label} (spread)"), **where)  # fmt: skip
            fig.add_trace(
                go.Scatter(
                    x=list(range(1, len(values) + 1)),
                    y=values,
                    mode="lines",
                    name=label,
                    legendgroup=label,
                    showlegend=j == 0,
                    line={"color": colour},
                ),
                row=j // cols + 1,
                col=j % cols + 1,
            )
    for j, m in enumerate(metrics):
        fig.update_xaxes(title_text="epoch", row=j // cols + 1, col=j % cols + 1)
        if m == "learning_rate":
            fig.update_yaxes(type="log", row=j // cols + 1, col=j % cols + 1)
    fig.update_layout(height=300 * rows, title="nbgen runs compared", template="plotly_white")
    return fig


def compare(*runs: Any, evaluate: bool = True, seeds: str = "group") -> Comparison:
    """Put runs side by side: histories overlaid in one figure, metrics in one table.

    Args:
        *runs: sessions, paths to files written by ``Session.save``, runs of ``nbgen.runs()``
            (a row or a run id; or the frame itself: all its runs); runs of different
            models on the same data compare too (each panel shows the runs that have it).
        evaluate: add each run's ``evaluate()`` metrics to the table.
        seeds: ``"group"``: runs that differ only by their seed are drawn as one mean curve with a
            band (lowest to highest run) and summarised in ``.groups``; ``"apart"``: each run alone.

    Returns:
        A :class:`Comparison`: ``.figure`` (Plotly), ``.table`` (list of dicts),
        ``.frame`` (pandas), ``.labels`` (runs named by what differs in their configs).

    Example:
        >>> a = nbgen.train("vae", "digits", epochs=3, beta=0.5, progress=False)  # doctest: +SKIP
        >>> b = nbgen.train("vae", "digits", epochs=3, beta=2.0, progress=False)  # doctest: +SKIP
        >>> nbgen.compare(a, b).labels  # doctest: +SKIP
        ['beta=0.5', 'beta=2']
    """
    if not runs:
        raise ValueError("compare() needs at least one session or path")
    if seeds not in ("group", "apart"):
        raise ValueError(f"seeds must be 'group' or 'apart', got {seeds!r}")
    if len(runs) == 1 and isinstance(runs[0], (list, tuple)):
        runs = tuple(runs[0])
    elif len(runs) == 1 and hasattr(runs[0], "to_dict") and "run" in getattr(runs[0], "columns", ()):
        runs = tuple(runs[0].to_dict("records"))  # nbgen.runs(...): every run it lists
        if not runs:
            raise ValueError("compare() got a frame of nbgen.runs() with no runs: train a run with checkpoint= first")
    sessions = [_as_session(r) for r in runs]
    for s in sessions:
        if s.running:
            raise RuntimeError("a session in compare() is still training: wait() or stop() it first")
    configs = [_settings(s) for s in sessions]
    keys = _differing(configs)
    labels = [_label(c, keys, i) for i, c in enumerate(configs)]
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):  # identical configs still get distinct names
        if label in seen:
            labels[i] = f"{label} (run {i + 1})"
        seen.setdefault(label, i)
    table = []
    for s, cfg, label in zip(sessions, configs, labels):
        row: dict[str, Any] = {"run": label, **{k: cfg.get(k) for k in keys}, "epochs_trained": s.epoch}
        row.update({f"last_{m}": v[-1] for m, v in s.history.items() if v})
        row.update({f"best_{m}": v for m, v in summary(s.history)[1].items()})
        if evaluate and s.epoch:
            row.update(s.evaluate())
        table.append(row)
    grouped = by_seed(configs) if seeds == "group" else [[i] for i in range(len(sessions))]
    if all(len(g) == 1 for g in grouped):
        return Comparison(sessions, labels, table, figure_of(sessions, labels), differing=keys)
    rest = [k for k in keys if k != "seed"]  # a group is named by what differs but its seeds
    names = [_label(configs[g[0]], rest, n) if len(g) > 1 else labels[g[0]] for n, g in enumerate(grouped)]
    names = [f"{name} ({len(g)} seeds)" if len(g) > 1 else name for name, g in zip(names, grouped)]
    fig = figure_of(sessions, names, grouped)
    return Comparison(sessions, labels, table, fig, differing=keys, groups=group_rows(sessions, grouped, names))


def sweep(
    model: str = "vae",
    data: Any = "digits",
    *,
    epochs: int | None = None,
    progress: bool | None = None,
    evaluate: bool = True,
    stream: TextIO | None = None,
    parallel: bool | None = None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: Any = _checkpoint.DEFAULT_EVERY,
    **grid: Any,
) -> Comparison:
    """Train every combination of the hyperparameters given as lists.

    ``sweep("vae", "digits", epochs=30, beta=[0.5, 1, 4], learning_rate=[1e-3, 3e-4])``
    trains six runs. A value that is not a list is shared by every run (``hidden=(64, 64)``
    is one value; ``hidden=[(64,), (128,)]`` is two). Every combination is validated
    before the first run starts. One after the other, one progress line shows the run,
    epoch and an ETA for the whole sweep. With several JAX devices (``parallel=None``, the
    default, decides so; ``True`` or ``False`` forces it), runs go side by side, one per
    device, and a line is printed as each run ends; each run's history equals the one it
    would have alone (the same seed gives the same draws on any device of a kind).
    Interrupting (Ctrl-C, the kernel's stop button) stops the runs going on and returns the
    runs finished so far (and those stopped after an epoch), with ``interrupted=True``.

    ``checkpoint``: a folder for the sweep; each run checkpoints in a folder of its own there
    (named by its settings; see ``nbgen.resume``) and is recorded in ``nbgen.runs()`` as it
    goes, every ``checkpoint_every`` (seconds, or ``"N epochs"``: as ``Session``'s). The same
    call after a crash or an interruption goes on where the sweep was: a run that finished is
    loaded, not trained again; a run cut short continues from its latest checkpoint (its
    history then equals the one it would have had); the others train.

    Returns:
        A :class:`Comparison` of the runs (``.sessions``, ``.table``, ``.figure``).
    """
    from . import models as _models
    from .data import load as load_data

    axes = {k: v for k, v in grid.items() if isinstance(v, list)}
    fixed = {k: v for k, v in grid.items() if not isinstance(v, list)}
    for name, values in axes.items():
        if not values:
            raise ValueError(f"{name}=[] gives nothing to sweep: give at least one value")
    if epochs is not None:
        fixed["epochs"] = epochs
    dataset = load_data(data)
    spec = _models.resolve(model)
    name = spec if spec.user_defined else spec.name
    combos = [dict(zip(axes, values)) for values in itertools.product(*axes.values())] or [{}]
    for combo in combos:  # all of them, before anything trains
        spec.resolve(dataset, {**fixed, **combo})
    _checkpoint.parse_every(checkpoint_every)  # a bad value fails before anything trains
    show = _progress.default_enabled() if progress is None else bool(progress)
    out = stream if stream is not None else sys.stderr

    def make(combo: dict[str, Any]) -> Session:
        if checkpoint is None:
            return Session(name, data if isinstance(data, str) else dataset, **fixed, **combo)
        folder = os.path.join(os.fspath(checkpoint), re.sub(r"[^A-Za-z0-9_.=,-]+", "_", _combo_label(combo)))
        if os.path.isdir(folder) and _checkpoint.checkpoints(folder):  # this run trained before the sweep stopped: take it up
            return _taken_up(resume(folder, epochs=0, progress=False), {**fixed, **combo}, folder)
        source = data if isinstance(data, str) else dataset
        return Session(name, source, checkpoint=folder, checkpoint_every=checkpoint_every, **fixed, **combo)

    devices = _sweep_devices(parallel, "distribution" in grid and grid["distribution"] is not None)
    if devices:
        sessions, interrupted = _side_by_side(make, combos, devices, show, out)
    else:
        sessions, interrupted = _one_after_another(make, combos, show, out)
    if not sessions:
        raise KeyboardInterrupt("the sweep was interrupted before its first run finished an epoch")
    result = compare(*sessions, evaluate=evaluate)
    result.interrupted = interrupted
    return result


def _plain(value: Any) -> Any:
    return tuple(_plain(v) for v in value) if isinstance(value, (list, tuple)) else value


def _taken_up(s: Session, wanted: dict[str, Any], folder: str) -> Session:
    """A run of a sweep's folder, taken up: refused when the sweep now asks for other settings
    than it has; set to the sweep's ``epochs`` (more, or fewer, than it had)."""
    have = {**s.hyperparameters, **s.run.settings}
    other = [f"{k}={_short(have.get(k))} (this sweep: {_short(v)})" for k, v in wanted.items()
             if k != "epochs" and k in have and _plain(have[k]) != _plain(v)]  # fmt: skip
    if other:
        raise ValueError(
            f"checkpoint folder {folder!r} holds a run with {', '.join(other)}: give the sweep another checkpoint "
            "folder, or the settings it was started with"
        )
    if "epochs" in wanted and wanted["epochs"] != s.hyperparameters["epochs"]:
        s.set(epochs=wanted["epochs"])
    return s


def _left(s: Session) -> int:
    """The epochs a sweep's run still has to train (a run taken up: what it lacks)."""
    return max(int(s.hyperparameters["epochs"]) - s.epoch, 0)


def _combo_label(combo: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in combo.items()) or "defaults"


def _one_after_another(
    make: Callable[[dict[str, Any]], Session], combos: list[dict[str, Any]], show: bool, out: TextIO
) -> tuple[list[Session], bool]:
    """Train the runs of ``combos`` in turn, one progress line each; returns the runs kept and
    whether it was interrupted."""
    sessions: list[Session] = []
    interrupted = False
    started = time.perf_counter()
    for i, combo in enumerate(combos):
        s = make(combo)
        line = unsubscribe = None
        if show:
            prefix = f"run {i + 1}/{len(combos)} ({_combo_label(combo)}"
            if i:  # the runs so far tell how long the rest will take
                left = (time.perf_counter() - started) / i * (len(combos) - i)
                prefix += f"; sweep ETA {_progress.clock(left)}"
            line, unsubscribe = _progress.attach(s, s.hyperparameters["epochs"], prefix=prefix + ") ", stream=out)
        try:
            left = _left(s)
            if left:
                s.train(left)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if unsubscribe is not None:
                unsubscribe()
                line.close(s.status)
        if interrupted:
            if s.epoch:  # the interrupted run is kept too, marked by its status
                sessions.append(s)
            break
        sessions.append(s)
    return sessions, interrupted


def _sweep_devices(parallel: bool | None, data_parallel: bool) -> list[Any]:
    """The devices a sweep's runs go side by side on, or [] to run them one after the other."""
    if parallel is False:
        return []
    import jax

    devices = jax.local_devices()
    if parallel is None:
        return devices if len(devices) > 1 and not data_parallel else []
    if data_parallel:
        raise ValueError("parallel=True runs one run per device; distribution='data_parallel' spreads one run over all")
    if len(devices) < 2:
        raise ValueError(f"parallel=True needs several JAX devices; this process has {len(devices)}")
    return devices


def _side_by_side(
    make: Callable[[dict[str, Any]], Session],
    combos: list[dict[str, Any]],
    devices: list[Any],
    show: bool,
    out: TextIO,
) -> tuple[list[Session], bool]:
    """Train the runs of ``combos`` on ``devices``, one run per device at a time, in the
    background; returns the finished runs in the combinations' order, and whether it was
    interrupted."""
    waiting = list(enumerate(combos))
    free = list(devices)
    running: dict[int, tuple[Session, Any]] = {}
    finished: dict[int, Session] = {}
    started = time.perf_counter()
    interrupted = False
    try:
        while waiting or running:
            while waiting and free:
                i, combo = waiting.pop(0)
                s = make(combo)
                if not _left(s):  # a run taken up that had finished
                    finished[i] = s
                    continue
                device = free.pop(0)
                s.engine.place_on(device)
                running[i] = (s, device)
                s.train(_left(s), block=False)
            time.sleep(0.02)
            for i, (s, device) in list(running.items()):
                if s.running:
                    continue
                del running[i]
                free.append(device)
                s.wait()  # re-raises the error that ended it
                finished[i] = s
                if show:
                    left = (time.perf_counter() - started) / len(finished) * (len(combos) - len(finished))
                    print(
                        f"run {i + 1}/{len(combos)} ({_combo_label(combos[i])}) {s.status} on {device}: {s.epoch} epochs;"
                        f" {len(finished)}/{len(combos)} done, sweep ETA {_progress.clock(left)}",
                        file=out,
                        flush=True,
                    )
    except KeyboardInterrupt:
        interrupted = True
        for i, (s, _) in running.items():
            s.stop()
            if s.epoch:  # a run stopped after an epoch is kept, marked by its status
                finished[i] = s
    except BaseException:  # a run failed (its error goes up): the others stop, not run on unseen
        for s, _ in running.values():
            s.stop()
        raise
    return [finished[i] for i in sorted(finished)], interrupted


__all__ = ["Comparison", "compare", "sweep"]
