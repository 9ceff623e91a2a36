"""Screen GAN or VAE settings on mnist5k over several seeds at once (issue 29's GAN confidence).

Each (setting, seed) pair is one ``python benchmarks/sharpness.py gan|vae '{...}'`` process; up to
``--jobs`` run side by side. Prints every run's line as it ends, then per setting the median and
the worst seed of the classifier's confidence.

Run:  python benchmarks/seed_screen.py gan '{}' '{"hidden": [512, 512]}' --seeds 0-4 --jobs 2
      python benchmarks/seed_screen.py gan '{"betas": [0.5, 0.99]}' --base '{"architecture": "mlp"}'

``--base`` is merged into every setting (on an accelerator, ``{"architecture": "mlp"}`` trains the
networks a CPU user gets). ``--threads`` caps each process's BLAS threads.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))


def seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def run_one(kind: str, setting: dict, seed: int, threads: int | None) -> tuple[tuple[float, int] | None, str]:
    env = dict(os.environ)
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    cmd = [sys.executable, os.path.join(HERE, "sharpness.py"), kind, json.dumps({**setting, "seed": seed})]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [ln for ln in p.stdout.splitlines() if "confidence" in ln]
    if p.returncode or not lines:
        return None, f"FAILED ({p.returncode}): {p.stderr.strip().splitlines()[-1:] or p.stdout[-300:]}"
    m = re.search(r"confidence ([0-9.]+), (\d+)/10 classes", lines[-1])
    return (float(m.group(1)), int(m.group(2))), lines[-1]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=("gan", "vae"))
    ap.add_argument("settings", nargs="*", default=["{}"], help="JSON settings, as sharpness.py takes them")
    ap.add_argument("--seeds", default="0-4", help="e.g. 0-4 or 0,2,5")
    ap.add_argument("--jobs", type=int, default=2, help="processes side by side")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads per process")
    ap.add_argument("--base", default="{}", help="JSON merged into every setting")
    a = ap.parse_intermixed_args(argv)
    base = json.loads(a.base)
    settings = [{**base, **json.loads(s)} for s in (a.settings or ["{}"])]
    jobs = [(i, s) for i in range(len(settings)) for s in seeds(a.seeds)]
    results: dict[int, dict[int, tuple[float, int] | None]] = {i: {} for i in range(len(settings))}
    t0 = time.perf_counter()

    def go(job):
        i, seed = job
        conf, line = run_one(a.kind, settings[i], seed, a.threads)
        results[i][seed] = conf
        print(f"[{time.perf_counter() - t0:6.0f} s] {line}", flush=True)

    with ThreadPoolExecutor(a.jobs) as pool:
        list(pool.map(go, jobs))
    print("\nsetting | confidence, seeds in order | median | worst (seed) | seeds with 10/10 classes")
    for i, setting in enumerate(settings):
        got = {s: c[0] for s, c in sorted(results[i].items()) if c is not None}
        full = sum(c[1] == 10 for c in results[i].values() if c is not None)
        if not got:
            print(f"{json.dumps(setting)} | all failed")
            continue
        worst = min(got, key=got.get)
        print(
            f"{json.dumps(setting)} | {' / '.join(f'{c:.3f}' for c in got.values())} | "
            f"{statistics.median(got.values()):.3f} | {got[worst]:.3f} ({worst}) | {full}/{len(got)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
