"""A training process killed with SIGKILL at random moments, and resumed from its checkpoints.

:func:`fault_run` starts :data:`CHILD` (a script that trains with ``checkpoint=folder``, or
``nbgen.resume(folder)`` when the folder already holds checkpoints), waits until the process
has written a checkpoint of its own, then kills it at a random moment and checks that the
folder's latest checkpoint reads; ``kills`` times, then lets the last process finish.
:func:`reference_run` trains the same run without a stop. :func:`compare` says whether the two
final checkpoints hold the same run (history, per-step metrics, epoch ends and weights, exactly).

Used by tests/test_checkpoint_faults.py (5 kills) and benchmarks/checkpoint_faults.py (20),
which puts this folder on ``sys.path``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from nbgen import checkpoint as ck
from nbgen import runlog, saving

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys
folder, settings = sys.argv[1], json.loads(sys.argv[2])
import nbgen
from nbgen import checkpoint as ck
if ck.checkpoints(folder):
    s = nbgen.resume(folder, progress=False)
else:
    s = nbgen.train(settings.pop("model"), settings.pop("data"), checkpoint=folder, progress=False, **settings)
print("DONE", s.step, s.checkpoint_error, flush=True)
"""

SETTINGS = {
    "model": "vae",
    "data": "digits",
    "epochs": 600,
    "hidden": [16],
    "steps_per_dispatch": 8,
    "checkpoint_every": 0,  # at every dispatch boundary at which the writer is free: many kills land in a write
}


def _env(folder: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NBGEN_RUNS": runs_dir(folder)}
    env.pop("XLA_FLAGS", None)  # one CPU device, in the reference and in the killed processes alike
    return env


def _start(folder: Path, settings: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), json.dumps(settings)],
        env=_env(folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def runs_dir(folder: Path) -> str:
    """The runs folder (of nbgen.runs()) of the processes training in ``folder``."""
    return str(folder) + "-runs"


def _newest_sequence(folder: Path) -> int:
    files = ck.checkpoints(folder)
    return int(ck.NAME.match(os.path.basename(files[-1])).group(1)) if files else 0


def _temporaries(folder: Path) -> list[str]:
    return [n for n in os.listdir(folder) if n.startswith(saving.TMP_PREFIX)]


def reference_run(folder: Path, settings: dict = SETTINGS, timeout: float = 600) -> str:
    """Train the run to its end in one process; the path of its final checkpoint."""
    folder.mkdir(parents=True, exist_ok=True)
    p = _start(folder, dict(settings))
    out, err = p.communicate(timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"the reference run failed ({p.returncode}): {err[-2000:]}")
    return ck.checkpoints(folder)[-1]


def fault_run(
    folder: Path, kills: int, seed: int = 0, settings: dict = SETTINGS, max_delay: float = 0.6, timeout: float = 900
) -> dict:
    """Kill the run ``kills`` times at random moments, resuming it each time; then let it end.

    Most kills come up to ``max_delay`` seconds after the process wrote its first checkpoint;
    one in five comes at any moment of its first seconds instead (while it starts, reads the
    checkpoint, compiles: it may have written nothing).

    Returns counts: ``kills`` (made), ``during_write`` (kills that left a temporary checkpoint
    file: the process was writing one), ``unreadable`` (checkpoints that could not be read,
    all files of the folder checked after every kill), ``lost`` (kills after which the folder
    held no readable checkpoint though it had held one), ``listed`` (runs that ``nbgen.runs()`` lists: 1),
    ``missing`` (1 when it does not list the run with its final checkpoint) and ``final``
    (the last checkpoint's path)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {"kills": 0, "during_write": 0, "unreadable": 0, "lost": 0, "restarts": 0}
    deadline = time.monotonic() + timeout
    had = False  # whether a readable checkpoint was ever seen
    while counts["kills"] < kills:
        before = _newest_sequence(folder)
        p = _start(folder, dict(settings))
        counts["restarts"] += 1
        if rng.random() < 0.2:
            time.sleep(rng.uniform(0.0, 6.0))
        else:
            while p.poll() is None and _newest_sequence(folder) <= before and time.monotonic() < deadline:
                time.sleep(0.01)  # the process is up and has written a checkpoint of its own
            time.sleep(rng.uniform(0.0, max_delay))
        if p.poll() is not None:  # it finished first: the run is over
            _, err = p.communicate()
            if p.returncode != 0:
                raise RuntimeError(f"a resumed run failed ({p.returncode}): {err[-2000:]}")
            break
        os.kill(p.pid, signal.SIGKILL)
        p.communicate()
        counts["kills"] += 1
        counts["during_write"] += bool(_temporaries(folder))
        readable = 0
        for f in ck.checkpoints(folder):
            try:
                saving.read(f)
                readable += 1
            except ValueError:
                counts["unreadable"] += 1
        had = had or readable > 0
        counts["lost"] += had and readable == 0  # not when killed before its first checkpoint
        if time.monotonic() > deadline:
            raise TimeoutError(f"{counts['kills']} kills in {timeout} s")
    p = _start(folder, dict(settings))  # the last life: to the run's end
    counts["restarts"] += 1
    _, err = p.communicate(timeout=max(deadline - time.monotonic(), 60))
    if p.returncode != 0:
        raise RuntimeError(f"the last resumed run failed ({p.returncode}): {err[-2000:]}")
    counts["leftover_temporaries"] = len(_temporaries(folder))  # a crash's leftovers are removed on resume
    counts["final"] = ck.checkpoints(folder)[-1]
    listed = runlog.runs(runs_dir=runs_dir(folder))
    listed = listed.to_dict("records") if hasattr(listed, "to_dict") else listed
    final = saving.read(counts["final"])
    counts["listed"] = len(listed)  # one run, however many processes trained it
    counts["missing"] = int(
        not any(r["run"] == final.checkpoint["run"] and r["checkpoint"] == counts["final"] for r in listed)
    )
    return counts


def compare(a: str, b: str) -> list[str]:
    """What differs between the runs in checkpoint files ``a`` and ``b`` (empty: the same run)."""
    x, y = saving.read(a), saving.read(b)
    diffs = [k for k in ("step", "epoch", "history", "steps", "epoch_ends") if x.record[k] != y.record[k]]
    strip = [[{k: v for k, v in r.items() if k != "time"} for r in s.record["timeline"]] for s in (x, y)]
    if strip[0] != strip[1]:
        diffs.append("timeline")
    keys = sorted(k for k in x.arrays if k.startswith("state_"))
    if keys != sorted(k for k in y.arrays if k.startswith("state_")) or not all(
        np.array_equal(x.arrays[k], y.arrays[k]) for k in keys
    ):
        diffs.append("weights")
    return diffs
