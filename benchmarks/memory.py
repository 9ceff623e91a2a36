"""Peak memory (RSS): a digits VAE run, and streaming .npy files of growing size.

Run:  python benchmarks/memory.py [--sizes-mb 100,500,2000] [--steps 300]

Each figure is the peak resident set size (VmHWM of /proc/self/status; ru_maxrss would
inherit the parent's peak across exec) of a fresh child process that
imports nbgen and trains; the file-backed runs open the file with
``np.load(path, mmap_mode="r")`` and train a VAE (64 features, batch 128) for a fixed
number of steps, so the work is the same and only the file size changes. A flat
column means the data is streamed, not loaded. Files are written to a temporary
directory (``--dir``) and deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FEATURES = 64

CHILD = r"""
import sys, time
import numpy as np

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

import nbgen
path, steps = sys.argv[1], int(sys.argv[2])
data = "digits" if path == "digits" else np.load(path, mmap_mode="r")
base = hwm()
s = nbgen.Session("vae", data, batch_size=128, latent_dim=2, hidden=(256, 256))
def stop_at(event):
    if event["type"] == "steps" and 0 < steps <= s.step:
        s.engine.stop()
s.subscribe(stop_at)
t0 = time.perf_counter()
s.train(epochs=10**6 if path != "digits" else 300)
print(base, hwm(), s.step, time.perf_counter() - t0)
"""


def child(path: str, steps: int) -> tuple[float, float, int, float]:
    env = {**os.environ, "PYTHONPATH": ROOT}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, path, str(steps)], capture_output=True, text=True, env=env, check=True
    )
    base, peak, done, secs = out.stdout.split()[-4:]
    return int(base) / 1024, int(peak) / 1024, int(done), float(secs)


def write_npy(path: str, mb: int) -> int:
    import numpy as np

    rows = mb * 2**20 // (4 * FEATURES)
    arr = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, FEATURES))
    rng = np.random.default_rng(0)
    for i in range(0, rows, 1 << 18):
        k = min(1 << 18, rows - i)
        arr[i : i + k] = rng.random((k, FEATURES), dtype=np.float32)
    arr.flush()
    del arr
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes-mb", default="100,500,2000")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--dir", default=None, help="where to write the temporary .npy files")
    args = p.parse_args(argv)
    base, peak, steps, secs = child("digits", 0)
    print(
        f"digits VAE, 300 epochs (in memory): peak RSS {peak:.0f} MB (after imports {base:.0f} MB), {steps} steps in {secs:.1f} s"
    )
    print()
    print("| .npy file | rows | peak RSS MB | RSS after imports MB | steps | seconds |")
    print("|---|---|---|---|---|---|")
    tmp = tempfile.mkdtemp(dir=args.dir)
    try:
        for mb in (int(v) for v in args.sizes_mb.split(",")):
            path = os.path.join(tmp, f"rows_{mb}mb.npy")
            rows = write_npy(path, mb)
            base, peak, steps, secs = child(path, args.steps)
            print(f"| {mb} MB | {rows:,} | {peak:.0f} | {base:.0f} | {steps} | {secs:.1f} |", flush=True)
            os.remove(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
