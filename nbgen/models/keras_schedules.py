"""Your optimizer's learning-rate schedule as a live control: ``learning_rate_scale`` multiplies it.

A Keras optimizer built with a ``LearningRateSchedule`` (``Adam(ExponentialDecay(...))``) has
no learning-rate variable to set: its rate is the schedule's value at the optimizer's step.
What a live control can honestly move is a factor on that value. So a model whose optimizer has
a schedule gets a ``learning_rate_scale`` slider (1 = your schedule as written): while nbgen
traces the training step, the optimizer reads the schedule through :func:`scaled`, which
multiplies it by the step's live input, and gives the optimizer its own schedule back after the
trace (your model keeps the schedule it had; ``model.fit`` later runs it unscaled). A change is
a live change like any other: applied at the next dispatch, in the timeline, replayed exactly.

ReduceLROnPlateau cannot set a scheduled rate (Keras refuses it under ``fit`` too): move the
scale instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import keras

from .. import _config

SCALE = "learning_rate_scale"

ROW = _config.HParam(
    SCALE,
    "live",
    "float",
    "multiplies your optimizer's learning-rate schedule (1: the schedule as written)",
    0.0,
    1000.0,
    lo_open=True,
    control="log_slider",
    view=(-2, 2, 0.05),
    label="lr scale",
    css="nbgen-lr-scale",
)


def schedule_of(optimizer: Any) -> keras.optimizers.schedules.LearningRateSchedule | None:
    """The optimizer's learning-rate schedule, or None when its rate is a number (a variable)."""
    lr = getattr(optimizer, "_learning_rate", None)
    return lr if isinstance(lr, keras.optimizers.schedules.LearningRateSchedule) else None


class _Scaled(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, inner: keras.optimizers.schedules.LearningRateSchedule, scale: Any):
        self.inner, self.scale = inner, scale

    def __call__(self, step: Any) -> Any:
        return self.inner(step) * keras.ops.cast(self.scale, "float32")

    def get_config(self) -> dict:
        return self.inner.get_config()


@contextlib.contextmanager
def scaled(optimizer: Any, scale: Any) -> Iterator[None]:
    """Inside the block, ``optimizer``'s schedule is multiplied by ``scale`` (a traced step input)."""
    inner = schedule_of(optimizer)
    if inner is None:
        yield
        return
    optimizer._learning_rate = _Scaled(inner, scale)
    try:
        yield
    finally:
        optimizer._learning_rate = inner
