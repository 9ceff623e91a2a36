"""What checkpoints cost a headless run: throughput with ``checkpoint_every=10`` against none.

Run:  python benchmarks/checkpoint_cost.py [--pairs 3] [--seconds 40] [--every 10]

The VAE of throughput.py (digits, hidden 256,256, latent 2, batch 128) trains ``--seconds``
per run (epochs sized from a calibration run), once without checkpoints and once with
``checkpoint=<a temporary folder>, checkpoint_every=10``, in pairs whose order alternates,
in one process, after a warm-up. Figures: samples/s (wall), kernel CPU time per sample (all
threads, the writer's included), the ratio with/without per pair and its median; and, for the
runs with checkpoints, how long the training thread spent at each checkpoint (the capture at a
dispatch boundary: the work that could stall training) against the median time between
dispatches, and the CPU time of each write (serialising, compressing, fsync, the run history)
as a share of the run's. On a shared machine the wall-clock ratio moves by +-10-20% from pair
to pair; the CPU figures are the steadier measure of the cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import nbgen
from nbgen import checkpoint as ck

HP = dict(hidden=(256, 256), latent_dim=2, batch_size=128, learning_rate=1e-3, seed=0, prior_components=0)
STALLS: list[float] = []
WRITES: list[
    float
] = []  # CPU seconds of each checkpoint write (the writer thread's, or the training thread's at the end)


def _timed_write(fn):
    def write(self, job):
        c0 = time.thread_time()
        try:
            return fn(self, job)
        finally:
            WRITES.append(time.thread_time() - c0)

    return write


def _timed(fn):
    def at_boundary(self, cur, final):
        seq, t0 = getattr(self, "_seq", 0), time.perf_counter()
        try:
            return fn(self, cur, final)
        finally:
            if (
                getattr(self, "_seq", 0) != seq and not final
            ):  # a checkpoint was captured (the final one is written here)
                STALLS.append(time.perf_counter() - t0)

    return at_boundary


def one_run(epochs: int, folder: str | None, every: float) -> dict:
    s = nbgen.Session("vae", "digits", epochs=epochs + 2, checkpoint=folder, checkpoint_every=every, **HP)
    gaps: list[float] = []
    last = [None, -1]  # the time and count of the last dispatch seen

    def on_steps(event):  # a dispatch spanning several epochs sends one steps event per epoch
        if event["type"] == "steps" and s.engine.dispatches != last[1]:
            now = time.perf_counter()
            if last[0] is not None:
                gaps.append(now - last[0])
            last[0], last[1] = now, s.engine.dispatches

    s.train(2)  # compile and warm up
    s.subscribe(on_steps)
    step0, t0, c0 = s.step, time.perf_counter(), time.process_time()
    s.train(epochs)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    samples = (s.step - step0) * HP["batch_size"]
    written = s.checkpointer.written if folder else 0
    s.close()
    return {
        "rate": samples / wall,
        "cpu_us": 1e6 * cpu / samples,
        "cpu_s": cpu,
        "gap": statistics.median(gaps),
        "written": written,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--every", type=float, default=10.0)
    args = parser.parse_args()
    ck.Checkpointer._at_boundary = _timed(ck.Checkpointer._at_boundary)
    ck.Checkpointer._write = _timed_write(ck.Checkpointer._write)
    calib = one_run(20, None, args.every)
    epochs = max(20, int(args.seconds * calib["rate"] / (HP["batch_size"] * 11)))  # 11 steps per digits epoch
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for pair in range(args.pairs):
            order = ["without", "with"] if pair % 2 == 0 else ["with", "without"]
            got = {}
            for mode in order:
                folder = os.path.join(tmp, f"run{pair}") if mode == "with" else None
                got[mode] = one_run(epochs, folder, args.every)
            rows.append(got)
    print(f"VAE 256-256 on digits, {epochs} epochs per run (~{args.seconds:.0f} s), checkpoint_every={args.every:g} s")
    print()
    print(
        "| pair | without: samples/s | with: samples/s | ratio with/without | CPU us/sample without / with | checkpoints written |"
    )
    print("|---|---|---|---|---|---|")
    for i, r in enumerate(rows):
        a, b = r["without"], r["with"]
        print(
            f"| {i + 1} | {a['rate']:,.0f} | {b['rate']:,.0f} | {b['rate'] / a['rate']:.3f} | "
            f"{a['cpu_us']:.1f} / {b['cpu_us']:.1f} | {b['written']} |"
        )
    ratios = [r["with"]["rate"] / r["without"]["rate"] for r in rows]
    cpu = [r["without"]["cpu_us"] / r["with"]["cpu_us"] for r in rows]
    gap = statistics.median(r["with"]["gap"] for r in rows)
    print()
    print(
        f"median throughput ratio with/without: {statistics.median(ratios):.3f} (cost {100 * (1 - statistics.median(ratios)):.1f}%)"
    )
    print(f"median CPU-per-sample ratio without/with: {statistics.median(cpu):.3f}")
    run_cpu = statistics.median(r["with"]["cpu_s"] for r in rows)
    per_run = statistics.median(r["with"]["written"] for r in rows)
    print(
        f"a checkpoint write: median {1e3 * statistics.median(WRITES):.0f} ms of CPU; {per_run} per run: "
        f"{100 * per_run * statistics.median(WRITES) / run_cpu:.2f}% of a run's CPU time"
    )
    print(
        f"training thread at a checkpoint: median {1e3 * statistics.median(STALLS):.2f} ms, max {1e3 * max(STALLS):.2f} ms "
        f"({len(STALLS)} checkpoints); median time between dispatches {1e3 * gap:.1f} ms"
    )


if __name__ == "__main__":
    main()
