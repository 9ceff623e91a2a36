"""The events a session sends to its listeners (``Session.subscribe``): one typed description.

Every event is a plain dict with a ``"type"``; these TypedDicts say which keys each type
carries. Listeners run in the training thread: keep them cheap (the widget only marks
itself dirty and draws from its own thread).

Example:
    >>> def on_event(event: Event) -> None:
    ...     if event["type"] == "epoch":
    ...         print(event["epoch"], event["metrics"]["loss"])
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict


class StepsEvent(TypedDict):
    """After each dispatch (at most ``steps_per_dispatch`` steps), once per epoch it touched:
    those steps' numbers and metrics (``epoch``: the epochs finished before them)."""

    type: Literal["steps"]
    step: int
    epoch: int
    steps: list[int]
    metrics: dict[str, list[float]]
    samples_per_sec: float


class EpochEvent(TypedDict):
    """At the end of an epoch: its training means, validation metrics and learning rate."""

    type: Literal["epoch"]
    epoch: int
    step: int
    metrics: dict[str, float]


class ChangeEvent(TypedDict):
    """A hyperparameter changed (``set``, a slider, ``anneal``, a replayed change): a timeline record."""

    type: Literal["change"]
    step: int
    epoch: int
    name: str
    old: Any
    new: Any
    by: str
    time: float


class _Status(TypedDict):
    type: Literal["status"]
    status: str
    step: int


class StatusEvent(_Status, total=False):
    """The run's status: "running", "paused", then a final one ("finished", "stopped",
    "error", "diverged") with ``final=True`` and the ``error`` that ended it, if any."""

    final: bool
    error: BaseException | None


class ResetEvent(TypedDict):
    """The networks were rebuilt (``reset``) or the model or data replaced (``rebind``)."""

    type: Literal["reset"]
    step: int


Event = StepsEvent | EpochEvent | ChangeEvent | StatusEvent | ResetEvent
EVENT_TYPES = ("steps", "epoch", "change", "status", "reset")

__all__ = ["EVENT_TYPES", "ChangeEvent", "EpochEvent", "Event", "ResetEvent", "StatusEvent", "StepsEvent"]
