"""A run in MLflow: its curves, settings, hyperparameter changes and picture in a tracking store.

``nbgen.to_mlflow(session, "mlruns")`` writes what the session has (after training) as one
MLflow run of the experiment ``"nbgen"``, and with ``live=True`` keeps writing as it trains (a
session listener, at each epoch, change and the run's end, when the MLflow run is marked
finished, killed or failed). The MLflow run holds:

- metrics ``step/<loss>``, ``epoch/<metric>`` and ``hparams/<name>`` at their steps
  (:mod:`nbgen.run_points`, the same points as ``nbgen.to_tensorboard``);
- params: the settings as they were when the run started, with ``model`` and ``data``;
- tags ``nbgen.model``, ``nbgen.data``, ``nbgen.version`` and ``nbgen.run`` (the id in
  ``nbgen.runs()`` of a checkpointed run);
- artifacts ``timeline.json`` (every change: step, epoch, name, old, new, time) and
  ``snapshot.png`` (``session.snapshot``).

A ``tracking_uri`` that is a folder is MLflow's local file store (MLflow 3 keeps it in
maintenance mode and refuses it unless the environment variable ``MLFLOW_ALLOW_FILE_STORE`` is
true: nbgen sets it in its process when it is not set; set it yourself to read the folder with
MLflow's tools in another process). Any other tracking URI
(``sqlite:///mlflow.db``, a server's address) goes to MLflow as it is. It needs
``pip install "nbgen[mlflow]"`` (``mlflow-skinny``, MLflow's client without its server).
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

from . import __version__
from .run_points import Marks, at_start, follow, points
from .run_points import picture as _picture

BATCH = 1000  # MLflow takes at most 1000 metrics (and 100 params) in one log_batch
STATUS = {"finished": "FINISHED", "stopped": "KILLED", "error": "FAILED", "diverged": "FAILED"}
WRITTEN = "nbgen.written"  # the tag holding the marks: what a later call (run_id=) goes on from


def _mlflow() -> Any:
    try:
        import mlflow  # noqa: F401
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise ModuleNotFoundError('to_mlflow() needs MLflow\'s client: pip install "nbgen[mlflow]"') from exc
    return MlflowClient


def client(tracking_uri: str | os.PathLike) -> Any:
    """An MLflow client of ``tracking_uri`` (a folder: MLflow's local file store)."""
    MlflowClient = _mlflow()
    uri = os.fspath(tracking_uri)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:", uri) and not re.match(r"^[A-Za-z]:[\\/]", uri):  # a URI, not C:\
        if uri.startswith("file:"):
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        return MlflowClient(tracking_uri=uri)
    try:
        os.makedirs(uri, exist_ok=True)
    except OSError as exc:
        raise OSError(f"tracking_uri {uri!r} cannot be made ({exc}): give a folder you can write to") from exc
    # MLflow 3 refuses its file store unless this is set, each time it opens one (it keeps 100
    # open): a live export's later writes may open it again, so it stays set
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return MlflowClient(tracking_uri=os.path.abspath(uri))


def _write(mlflow: Any, run_id: str, session: Any, marks: Marks) -> Marks:
    from mlflow.entities import Metric

    written, new = points(session, marks)
    if not written and new == marks:
        return marks
    now = int(time.time() * 1000)
    metrics = [Metric(tag, value, now, step) for tag, value, step in written]
    for i in range(0, len(metrics), BATCH):
        mlflow.log_batch(run_id, metrics=metrics[i : i + BATCH])
    if new[2] != marks[2] or marks == (0, 0, 0):  # the timeline changed (or is written the first time)
        mlflow.log_dict(run_id, list(session.timeline), "timeline.json")
    mlflow.set_tag(run_id, WRITTEN, json.dumps(list(new)))
    return new


def _start(mlflow: Any, session: Any, experiment: str, run_name: str | None) -> str:
    from mlflow.entities import Param

    found = mlflow.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found is not None else mlflow.create_experiment(experiment)
    tags = {"nbgen.model": session.kind, "nbgen.data": session.dataset.name, "nbgen.version": __version__,
            WRITTEN: json.dumps([0, 0, 0])}  # fmt: skip
    checkpointer = getattr(session, "checkpointer", None)
    if checkpointer is not None:
        tags["nbgen.run"] = checkpointer.run
    run = mlflow.create_run(experiment_id, run_name=run_name, tags=tags)
    settings = {"model": session.kind, "data": session.dataset.name, **at_start(session)}
    params = [Param(k, json.dumps(v, default=str) if not isinstance(v, str) else v) for k, v in settings.items()]
    for i in range(0, len(params), 100):
        mlflow.log_batch(run.info.run_id, params=params[i : i + 100])
    return run.info.run_id


def to_mlflow(
    session: Any,
    tracking_uri: str | os.PathLike = "mlruns",
    live: bool = False,
    picture: bool = True,
    *,
    experiment: str = "nbgen",
    run_name: str | None = None,
    run_id: str | None = None,
) -> str:
    """Write ``session``'s run to MLflow; returns the MLflow run's id.

    Args:
        session: the run (trained, training, or about to train with ``live=True``).
        tracking_uri: a folder (MLflow's local file store), or an MLflow tracking URI.
        live: also write what the session trains from now on, and mark the MLflow run
            finished (or killed, failed) when the session's run ends.
        picture: add the session's snapshot as ``snapshot.png`` (drawn now).
        experiment: the MLflow experiment (made when missing).
        run_name: the MLflow run's name (MLflow makes one up when None).
        run_id: go on with this MLflow run (one this function wrote): only what the session
            has that the run does not is written, and the picture again (after a ``live``
            run ends, this adds its final picture).
    """
    mlflow = client(tracking_uri)
    if run_id is None:
        run_id = _start(mlflow, session, experiment, run_name)
        marks: Marks = (0, 0, 0)
    else:
        written = mlflow.get_run(run_id).data.tags.get(WRITTEN)
        if written is None:
            raise ValueError(
                f"run_id {run_id!r} is not a run that nbgen.to_mlflow wrote: give one it returned, or None"
            )
        marks = tuple(json.loads(written))  # type: ignore[assignment]
    marks = _write(mlflow, run_id, session, marks)
    if picture and session.step:
        png, _, _ = _picture(session)
        _log_png(mlflow, run_id, png)
    if live:

        def status(event: dict) -> None:
            if event.get("final"):
                mlflow.set_terminated(run_id, STATUS.get(event.get("status", ""), "FINISHED"))
            elif event.get("status") == "running":  # trained on after an end: running again
                mlflow.update_run(run_id, status="RUNNING")

        follow(session, marks, lambda m: _write(mlflow, run_id, session, m), status)
    elif not session.running:
        mlflow.set_terminated(run_id, STATUS.get(session.status, "FINISHED"))
    return run_id


def _log_png(mlflow: Any, run_id: str, png: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "snapshot.png")
        with open(path, "wb") as f:
            f.write(png)
        mlflow.log_artifact(run_id, path)


__all__ = ["client", "to_mlflow"]
