"""Data parallelism across two processes on 127.0.0.1 (jax.distributed, CPU collectives over gloo).

Each process calls ``jax.distributed.initialize`` and trains the same data-parallel session;
the histories must equal a one-process run within the tolerance of
``tests/test_distribution.py``. When one process dies mid-run, the other fails with nbgen's
DistributedError and exits: no hang (every wait here is bounded).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

import nbgen

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.slow

WORKER = r"""
import json, os, sys
pid, port, die_at = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
import jax
jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.distributed.initialize(coordinator_address=f"127.0.0.1:{port}", num_processes=2, process_id=pid,
                           initialization_timeout=60, heartbeat_timeout_seconds=10, shutdown_timeout_seconds=10)
import nbgen
s = nbgen.Session("vae", "digits", epochs=int(sys.argv[4]), batch_size=128, distribution="data_parallel")
if die_at:
    def die(event):
        if event["type"] == "epoch" and event["epoch"] == die_at:
            print("DYING", flush=True)
            os._exit(3)
    s.subscribe(die)
try:
    s.train()
    print("RESULT " + json.dumps({"devices": len(jax.devices()), "loss": s.history["loss"]}), flush=True)
except Exception as exc:
    print("ERROR " + type(exc).__name__ + ": " + str(exc), flush=True)
    raise SystemExit(1)
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(pid: int, port: int, die_at: int, epochs: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": ROOT, "NBGEN_COMPILE_CACHE": "0"}
    env.pop("XLA_FLAGS", None)  # one CPU device per process
    return subprocess.Popen(
        [sys.executable, "-u", "-c", WORKER, str(pid), str(port), str(die_at), str(epochs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def _finish(procs: list[subprocess.Popen], timeout: float) -> list[tuple[int, str]]:
    deadline = time.monotonic() + timeout
    out = []
    for p in procs:
        try:
            text, _ = p.communicate(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise AssertionError(f"a process hung for more than {timeout:.0f} s") from None
        out.append((p.returncode, text))
    return out


def test_two_processes_train_one_data_parallel_session():
    port = _port()
    results = _finish([_start(0, port, 0, 3), _start(1, port, 0, 3)], timeout=240)
    histories = []
    for rc, text in results:
        assert rc == 0, text[-3000:]
        line = next(x for x in text.splitlines() if x.startswith("RESULT "))
        r = json.loads(line[len("RESULT ") :])
        assert r["devices"] == 2  # one CPU device in each process, one mesh over both
        histories.append(r["loss"])
    assert histories[0] == histories[1]  # both processes hold the same replicated model
    single = nbgen.train("vae", "digits", epochs=3, batch_size=128, progress=False).history["loss"]
    for a, b in zip(single, histories[0]):
        assert abs(a - b) <= 1e-3 * abs(a), (single, histories[0])


def test_a_process_that_dies_makes_the_other_fail_clearly_not_hang():
    port = _port()
    t0 = time.monotonic()
    (rc0, text0), (rc1, text1) = _finish([_start(0, port, 0, 50), _start(1, port, 2, 50)], timeout=180)
    assert rc1 == 3 and "DYING" in text1
    assert rc0 != 0, text0[-3000:]
    error = next((x for x in text0.splitlines() if x.startswith("ERROR ")), None)
    assert error is not None, text0[-3000:]
    assert error.startswith("ERROR DistributedError: a training step across 2 processes failed in process 0")
    assert "another process of this multi-host run stopped" in error
    assert time.monotonic() - t0 < 180
