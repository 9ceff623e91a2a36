"""A checkpointed training process killed with SIGKILL at random moments, resumed each time.

Run:  python benchmarks/checkpoint_faults.py [--kills 20] [--seed 0]

A VAE on digits (hidden 16, 600 epochs, 6,600 steps, ``checkpoint_every=0``: a checkpoint
at every dispatch boundary at which the writer is free, so that many kills land in a write)
is trained by a child process (tests/_faults.py), killed ``--kills`` times (most kills up to
0.6 s after the process wrote its first checkpoint, one in five at any moment of its first 6
seconds), resumed with ``nbgen.resume(folder)`` each time, then left to finish. The final
checkpoint is compared with the one of the same run trained without a kill.

Prints: kills made, kills during a write (a temporary file was left), checkpoints that could
not be read (every file of the folder, after every kill), kills after which no checkpoint was
readable, the runs nbgen.runs() lists (1) and whether it misses the run's final checkpoint,
and what differs between the resumed run and the uninterrupted one at the end
(history, per-step metrics, epoch ends, timeline, weights: compared exactly).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import _faults


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=None, help="default: enough for --kills (60 per kill, >= 600)")
    args = parser.parse_args()
    settings = dict(_faults.SETTINGS, epochs=args.epochs or max(600, 60 * args.kills))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        reference = _faults.reference_run(Path(tmp) / "reference", settings)
        t1 = time.perf_counter()
        counts = _faults.fault_run(Path(tmp) / "killed", args.kills, seed=args.seed, settings=settings)
        t2 = time.perf_counter()
        diffs = _faults.compare(reference, counts["final"])
    print(
        f"VAE on digits, {settings['epochs']} epochs, checkpoint_every=0; reference {t1 - t0:.0f} s, faults {t2 - t1:.0f} s"
    )
    print()
    print(
        "| kills | during a write | processes started | unreadable checkpoints | kills leaving none readable | leftover temporaries "
        "| runs listed / missing in nbgen.runs() | mismatches |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {counts['kills']} | {counts['during_write']} | {counts['restarts']} | {counts['unreadable']} | "
        f"{counts['lost']} | {counts['leftover_temporaries']} | {counts['listed']} / {counts['missing']} | {len(diffs)}{' (' + ', '.join(diffs) + ')' if diffs else ''} |"
    )


if __name__ == "__main__":
    main()
