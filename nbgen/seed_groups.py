"""Runs that differ only by their seed, taken together: one mean curve with a band, and the
mean and spread of each metric's last and best value (``nbgen.compare``).

A seed's run is one draw of a random outcome: two settings compared on one seed each can swap
places on another. So ``compare`` groups the runs whose settings are equal but for ``seed``:
the figure draws each group's mean over its runs, epoch by epoch (as far as every run of the
group got), with a band from the lowest to the highest run; the table gains one row per group
(``Comparison.groups``) with the mean and standard deviation of each metric's last and best
value (best: the lowest, the highest for ``*accuracy``, as ``nbgen.runs()`` reports it).
"""

from __future__ import annotations

import statistics
from typing import Any

from .runlog import summary


def by_seed(configs: list[dict[str, Any]]) -> list[list[int]]:
    """The runs' indices grouped by their settings without ``seed``, in first-seen order."""
    groups: dict[str, list[int]] = {}
    for i, cfg in enumerate(configs):
        key = repr(sorted((k, repr(v)) for k, v in cfg.items() if k != "seed"))
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def group_rows(sessions: list[Any], groups: list[list[int]], labels: list[str]) -> list[dict[str, Any]]:
    """One row per group of several runs: its label, its seeds, and the mean and standard
    deviation over its runs of each metric's last and best value."""
    rows = []
    for members, label in zip(groups, labels):
        if len(members) < 2:
            continue
        runs = [summary(sessions[i].history) for i in members]
        row: dict[str, Any] = {"group": label, "runs": len(members),
                               "seeds": [sessions[i].hyperparameters.get("seed") for i in members]}  # fmt: skip
        for which, part in (("last", 0), ("best", 1)):
            names = [m for m in runs[0][part] if all(r[part].get(m) is not None for r in runs)]
            for m in names:
                values = [float(r[part][m]) for r in runs]
                row[f"{which}_{m}_mean"] = statistics.fmean(values)
                row[f"{which}_{m}_std"] = statistics.stdev(values)
        rows.append(row)
    return rows


def band(histories: list[list[float]]) -> tuple[list[float], list[float], list[float]]:
    """Epoch by epoch over the epochs every run has: the mean, the lowest and the highest value."""
    n = min(len(h) for h in histories)
    columns = [[h[e] for h in histories] for e in range(n)]
    return [statistics.fmean(c) for c in columns], [min(c) for c in columns], [max(c) for c in columns]
