"""A checkpointed sweep whose process is killed with SIGKILL in the middle of its second run goes
on, in a new process, where it was: the finished run is loaded (not trained again), the run the
kill cut short continues under its own id and ends with the history it would have had, the rest
train; nbgen.runs() lists each run once (a real kill: the sweep runs in a child process)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

import nbgen

pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRID = {"epochs": 40, "latent_dim": [2, 4, 8], "hidden": (16,), "checkpoint_every": "1 epochs"}
CHILD = r"""
import sys
import nbgen
nbgen.sweep("ae", "digits", checkpoint=sys.argv[1], evaluate=False, progress=False,
            epochs=40, latent_dim=[2, 4, 8], hidden=(16,), checkpoint_every="1 epochs")
"""


def test_a_sweep_killed_in_its_second_run_goes_on_without_repeating_the_first(tmp_path, monkeypatch):
    runs_dir = tmp_path / "runs"
    monkeypatch.setattr(nbgen.config, "_runs_dir", str(runs_dir))
    folder = tmp_path / "sweep"
    env = {**os.environ, "PYTHONPATH": ROOT, "NBGEN_RUNS": str(runs_dir)}
    env.pop("XLA_FLAGS", None)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(folder)], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    second = str(folder / "latent_dim=4")
    while child.poll() is None and time.monotonic() < deadline:  # until the second run is listed (its first
        if second in set(nbgen.runs()["folder"]):  # checkpoint written and recorded), then kill
            break
        time.sleep(0.01)
    assert child.poll() is None, child.communicate()[1][-2000:]
    os.kill(child.pid, signal.SIGKILL)
    _, err = child.communicate()
    assert child.returncode == -signal.SIGKILL, err[-2000:]
    before = {r["folder"]: r for r in nbgen.runs().to_dict("records")}
    cut = before[str(folder / "latent_dim=4")]
    assert before[str(folder / "latent_dim=2")]["status"] == "finished"
    assert cut["status"] == "running" and 1 <= cut["epoch"] < 40, cut["epoch"]  # killed mid-run
    assert not (folder / "latent_dim=8").exists()

    again = nbgen.sweep("ae", "digits", checkpoint=folder, evaluate=False, progress=False, **GRID)
    done, resumed, fresh = again.sessions
    assert done.engine.dispatches == 0 and done.history == before[str(folder / "latent_dim=2")]["history"]
    alone = nbgen.train("ae", "digits", epochs=40, latent_dim=4, hidden=(16,), progress=False)
    assert resumed.epoch == 40 and resumed.history == alone.history  # as if never killed
    assert fresh.epoch == 40
    after = nbgen.runs().to_dict("records")
    assert len(after) == 3 and {r["status"] for r in after} == {"finished"}  # each run once, none repeated
    assert next(r for r in after if r["folder"] == cut["folder"])["run"] == cut["run"]  # the cut run kept its id


SIDE_BY_SIDE = r"""
import json, sys
import nbgen
call = lambda: nbgen.sweep("ae", "moons", checkpoint=sys.argv[1], epochs=2, hidden=(16,), latent_dim=[1, 2, 3],
                           parallel=True, evaluate=False, progress=False)
first, again = call(), call()
print(json.dumps({"epochs": [s.epoch for s in again.sessions], "dispatches": [s.engine.dispatches for s in again.sessions],
                  "same": [a.history == b.history for a, b in zip(first.sessions, again.sessions)]}))
"""


def test_a_sweep_side_by_side_on_several_devices_takes_up_its_finished_runs_without_training_them(tmp_path):
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "PYTHONPATH": ROOT}
    env["NBGEN_RUNS"] = str(tmp_path / "runs")
    out = subprocess.run([sys.executable, "-c", SIDE_BY_SIDE, str(tmp_path / "s")], capture_output=True, text=True,
                         env=env, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r == {"epochs": [2, 2, 2], "dispatches": [0, 0, 0], "same": [True, True, True]}
