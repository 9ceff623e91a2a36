"""What an optional extra costs to install: a fresh virtual environment, then ``pip install`` of
the extra's package (``mlflow-skinny`` for ``nbgen[mlflow]`` by default) with every dependency,
timed; and the disk it adds.

Run:  python benchmarks/extra_install.py [--package mlflow-skinny] [--repeats 1]

Needs the package index pip is set up for (it downloads). Prints, per repeat, the wall time of
the install, the number of distributions installed and the megabytes added to the environment
(its size after the install less its size when new). The pip cache is off, so each repeat
downloads as a first install does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


def _size(folder: str) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files if not os.path.islink(os.path.join(root, f)))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="mlflow-skinny")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            venv = os.path.join(tmp, "venv")
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
            pip = [os.path.join(venv, "bin", "python"), "-m", "pip"]
            before = _size(venv)
            listed = len(subprocess.run([*pip, "list"], capture_output=True, text=True).stdout.splitlines())
            t = time.perf_counter()
            subprocess.run([*pip, "install", "-q", "--no-cache-dir", args.package], check=True, capture_output=True)
            seconds = time.perf_counter() - t
            after = len(subprocess.run([*pip, "list"], capture_output=True, text=True).stdout.splitlines())
            print(
                f"{args.package} (repeat {repeat + 1}): {seconds:.1f} s, {after - listed} distributions, "
                f"+{(_size(venv) - before) / 1e6:.0f} MB",
                flush=True,
            )


if __name__ == "__main__":
    main()
