"""The engine's epochs: each one's shuffled rows, where a run is inside one, and the plan of the
next dispatch across their boundaries.

An epoch's rows are a function of the seed and the epoch's number alone (``epoch_rows``), and a
run's place inside an epoch is a small cursor (its number, steps done, metric sums): so a run
stopped, checkpointed or stepped inside an epoch takes it up exactly where it was, and how the
steps are grouped into dispatches never changes which rows a step trains on.

``plan`` decides what the next dispatch runs: from the current epoch on into the following ones
while their boundaries are free (the engine says when one is not: a change due there, the
anneal drop, a pause, the run's end), up to the dispatch's size, and never past a step at
which a replayed change is due.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .data import Dataset, ShuffledBatches


class Epoch:
    """Where the loop is in one epoch: its shuffled rows, the steps done and their sums."""

    def __init__(self, index: int, steps: int, end: int, idx: Any):
        self.index, self.steps, self.end, self.idx = index, steps, end, idx
        self.done = 0
        self.sums: dict[str, float] = {}  # per metric, filled by the engine


def epoch_rows(dataset: Dataset, batch_size: int, seed: int, index: int) -> tuple[int, Any]:
    """Epoch ``index``'s steps and their rows: ``(steps, batch)`` indices into the training split
    (whole batches; a last partial one is dropped), shuffled by the seed and the epoch's number."""
    n = len(dataset.x_train)
    steps = n // batch_size
    if dataset.streaming:  # shuffled chunk by chunk: no O(n) index array
        return steps, ShuffledBatches(n, steps, batch_size, key=seed * 1_000_003 + index)
    rng = np.random.default_rng([seed, index])
    return steps, rng.permutation(n)[: steps * batch_size].reshape(steps, batch_size).astype(np.int32)


def cursor(cur: Epoch | None) -> dict[str, Any] | None:
    """Where a run is inside epoch ``cur`` (its number, steps done and their metric sums), for a
    checkpoint; None between epochs."""
    if cur is None or cur.done == 0:
        return None
    return {"epoch": cur.index, "done": cur.done, "sums": dict(cur.sums)}


def plan(
    cur: Epoch,
    size: int,
    step: int,
    due: int | None,
    free: Callable[[int], bool],
    new_epoch: Callable[[int, int], Epoch],
) -> list[tuple[Epoch, int, int]]:
    """The next dispatch of ``size`` steps from global step ``step``: ``(epoch, first step in it,
    steps)`` segments from ``cur`` on, into epoch ``i + 1`` while ``free(i + 1)``, stopping at step
    ``due`` (a replayed change) if given. ``new_epoch(index, first_step)`` makes the next epoch."""
    segments, epoch, pos = [], cur, cur.done
    while size > 0:
        take = min(size, epoch.end - pos)
        if due is not None:
            take = min(take, due - step)
        segments.append((epoch, pos, take))
        size, step = size - take, step + take
        if pos + take < epoch.end or not free(epoch.index + 1):
            break
        epoch = new_epoch(epoch.index + 1, step)
        pos = 0
    return segments
