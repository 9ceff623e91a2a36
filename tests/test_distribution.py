"""Data parallelism over 4 forced CPU devices, in a subprocess (the rest of the suite keeps 1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = r"""
import json, warnings
import jax, numpy as np
import nbgen

assert len(jax.devices()) == 4, jax.devices()
single = nbgen.train("vae", "digits", epochs=3, batch_size=128)
multi = nbgen.Session("vae", "digits", epochs=3, batch_size=128, distribution="data_parallel")
e = multi.engine
rows = np.zeros((e.chunk, 128), np.int32)
shards = [s.data.shape for s in e._put_rows(rows).addressable_shards]
hlo = e._chunk_fn.lower(*e.step_arguments(e._data, rows, e.chunk, np.zeros(e.chunk, np.int32),
                                          np.zeros(e.chunk, bool))).compile().as_text()
multi.train()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    odd = nbgen.Session("autoencoder", "digits", epochs=1, batch_size=30, distribution="data_parallel")
    odd.train()
print(json.dumps({
    "shards": shards, "chunk": e.chunk, "all_reduce": "all-reduce" in hlo,
    "single": single.history["loss"], "multi": multi.history["loss"],
    "odd_batch": odd.hyperparameters["batch_size"], "odd_steps": odd.step,
    "warning": [str(w.message) for w in caught],
}))
"""


def test_data_parallel_shards_the_batch_and_matches_one_device():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "PYTHONPATH": ROOT}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    # each of the 4 devices holds a quarter of every batch's rows
    assert r["shards"] == [[r["chunk"], 32]] * 4
    assert r["all_reduce"]  # gradients are summed across devices
    # same seed, same global batch: the same history up to float summation order
    assert len(r["multi"]) == 3
    for a, b in zip(r["single"], r["multi"]):
        assert abs(a - b) <= 1e-3 * abs(a), (r["single"], r["multi"])
    # a batch that does not divide over 4 devices is rounded down, with a warning
    assert r["odd_batch"] == 28 and r["odd_steps"] == 1437 // 28
    assert any("batch_size=30 does not divide over 4 devices; using batch_size=28" in w for w in r["warning"])
