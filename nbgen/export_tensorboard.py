"""A run in TensorBoard: its curves, hyperparameter changes and picture as event files.

``nbgen.to_tensorboard(session, logdir)`` writes what the session has (after training), and
with ``live=True`` keeps writing as it trains (a session listener; the file is flushed at
each epoch). TensorBoard (``tensorboard --logdir runs``) then shows:

- ``step/<loss>``: every optimizer step's losses, at their step;
- ``epoch/<metric>``: the epoch means and validation metrics, at each epoch's last step;
- ``hparams/<name>``: each hyperparameter change of the timeline (sliders, ``set``, the
  anneal drop), at its step, starting from its first value;
- ``snapshot``: the session's picture (``session.snapshot``) as an image, when written after
  training.

It needs the ``tensorboard`` package (``pip install "nbgen[tensorboard]"``), not TensorFlow:
the files are written with TensorBoard's own event writer and protocol buffers.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .run_points import Marks, follow, points
from .run_points import picture as _picture


def _writer(logdir: str) -> Any:
    try:
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as exc:
        raise ModuleNotFoundError(
            'to_tensorboard() needs the tensorboard package: pip install "nbgen[tensorboard]" (TensorFlow is not needed)'
        ) from exc
    try:
        os.makedirs(logdir, exist_ok=True)
    except OSError as exc:
        raise OSError(f"logdir {logdir!r} cannot be made ({exc}): give a folder you can write to") from exc
    return EventFileWriter(logdir)


def _scalar(writer: Any, tag: str, value: float, step: int) -> None:
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary

    summary = Summary(value=[Summary.Value(tag=tag, simple_value=float(value))])
    writer.add_event(Event(summary=summary, step=int(step)))


def _image(writer: Any, tag: str, png: bytes, width: int, height: int, step: int) -> None:
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary

    image = Summary.Image(height=height, width=width, colorspace=4, encoded_image_string=png)
    writer.add_event(Event(summary=Summary(value=[Summary.Value(tag=tag, image=image)]), step=int(step)))


def _write_record(writer: Any, session: Any, marks: Marks = (0, 0, 0)) -> Marks:
    written, marks = points(session, marks)
    for tag, value, step in written:
        _scalar(writer, tag, value, step)
    return marks


def to_tensorboard(session: Any, logdir: str | os.PathLike, live: bool = False, picture: bool = True) -> str:
    """Write ``session``'s run as TensorBoard event files in ``logdir``; returns the folder.

    ``live=True`` also writes what the session trains from now on (until ``session.close()``
    or the returned folder's writer is closed by the session's end). ``picture`` adds the
    session's snapshot as an image (written now; a live run's final picture comes from calling
    this again after it ends).
    """
    logdir = os.fspath(logdir)
    writer = _writer(logdir)
    marks = _write_record(writer, session)
    if picture and session.step:
        png, width, height = _picture(session)
        _image(writer, "snapshot", png, width, height, session.step)
    writer.flush()
    if live:

        def write(marks: Marks) -> Marks:
            marks = _write_record(writer, session, marks)
            writer.flush()
            return marks

        follow(session, marks, write)
    else:
        writer.close()
    return logdir


def read_scalars(logdir: str | os.PathLike) -> dict[str, list[tuple[int, float]]]:
    """What TensorBoard reads back from ``logdir``: ``{tag: [(step, value), ...]}`` (for checks)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(os.fspath(logdir), size_guidance={"scalars": 0, "images": 0})
    acc.Reload()
    return {tag: [(e.step, float(np.float32(e.value))) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
