"""A run as points for the trackers (``nbgen.to_tensorboard``, ``nbgen.to_mlflow``): what each
writes, and when a live export writes more.

- ``step/<loss>``: every optimizer step's losses, at their step;
- ``epoch/<metric>``: the epoch means and validation metrics, at each epoch's last step;
- ``hparams/<name>``: each numeric hyperparameter change of the timeline (sliders, ``set``,
  the anneal drop), at its step, starting from its first value at step 0.

A tracker keeps *marks* (steps, epochs and changes written so far) so that a live export
writes each point once.
"""

from __future__ import annotations

import os
import struct
import tempfile
from collections.abc import Callable
from typing import Any

Marks = tuple[int, int, int]
Point = tuple[str, float, int]  # tag, value, step


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def points(session: Any, marks: Marks = (0, 0, 0)) -> tuple[list[Point], Marks]:
    """The points of ``session`` beyond ``marks``, and the marks after them."""
    since_step, since_epoch, since_change = marks
    out: list[Point] = []
    steps = session.steps
    ids = steps.get("step", [])
    for name, values in steps.items():
        if name != "step":
            out += [
                (f"step/{name}", float(values[i]), int(ids[i])) for i in range(since_step, min(len(ids), len(values)))
            ]
    ends = session.engine.epoch_ends
    for name, values in session.history.items():
        out += [
            (f"epoch/{name}", float(values[e]), int(ends[e])) for e in range(since_epoch, min(len(values), len(ends)))
        ]
    timeline = session.timeline
    for i, change in enumerate(timeline[since_change:], since_change):
        if _number(change.get("new")):
            if not any(c["name"] == change["name"] for c in timeline[:i]) and _number(change.get("old")):
                out.append((f"hparams/{change['name']}", float(change["old"]), 0))  # its value from the start
            out.append((f"hparams/{change['name']}", float(change["new"]), int(change["step"])))
    return out, (len(ids), len(ends), len(timeline))


def at_start(session: Any) -> dict[str, Any]:
    """The run's settings as they were when it started (before any change of its timeline)."""
    settings = {k: v for k, v in session.config.items() if k not in ("model", "data")}
    for change in reversed(session.timeline):  # the earliest change's "old" wins
        if change["name"] in settings:
            settings[change["name"]] = change.get("old")
    return settings


def picture(session: Any) -> tuple[bytes, int, int]:
    """The session's snapshot as PNG bytes, with its width and height."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(session.snapshot(os.path.join(tmp, "run.png")), "rb") as f:
            png = f.read()
    width, height = struct.unpack(">II", png[16:24])  # the PNG's IHDR
    return png, width, height


def follow(session: Any, marks: Marks, write: Callable[[Marks], Marks], status: Callable[[dict], None] | None = None):
    """Call ``write(marks)`` (which returns the new marks) at each epoch, change and the run's
    end, in the training thread; ``status(event)`` at each status event (after ``write`` at the
    run's end: ``event["final"]``). Returns the unsubscribe function."""
    state = {"marks": marks}

    def on(event: dict) -> None:
        if event.get("type") in ("epoch", "change") or event.get("final"):
            state["marks"] = write(state["marks"])
        if event.get("type") == "status" and status is not None:
            status(event)

    return session.subscribe(on)


__all__ = ["at_start", "follow", "picture", "points"]
