"""The run history across kernels (nbgen.runs()): every checkpointed run in one SQLite file,
kept apart when two processes write at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import nbgen
from nbgen import checkpoint as ck
from nbgen import runlog, saving

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def runs_dir(tmp_path, monkeypatch):
    folder = tmp_path / "runs"
    monkeypatch.setattr(nbgen.config, "_runs_dir", str(folder))
    return folder


def rows(**filters) -> list[dict]:
    got = nbgen.runs(**filters)
    return got.to_dict("records") if hasattr(got, "to_dict") else got


def test_a_checkpointed_run_is_listed_with_its_settings_history_and_best_values(tmp_path):
    s = nbgen.Session("ae", "digits", epochs=3, checkpoint=tmp_path / "a", hidden=(16,), learning_rate=2e-3)
    s.train(2)
    (run,) = rows()
    assert run["model"] == "autoencoder" and run["data"] == "digits" and run["status"] == "finished"
    assert (run["step"], run["epoch"]) == (s.step, s.epoch) and run["history"] == s.history
    assert run["config"]["learning_rate"] == 2e-3 and run["config"]["hidden"] == [16]
    assert run["final"]["loss"] == s.history["loss"][-1] and run["best"]["loss"] == min(s.history["loss"])
    assert run["checkpoint"] == ck.checkpoints(tmp_path / "a")[-1] and run["nbgen"] == nbgen.__version__
    r = nbgen.resume(tmp_path / "a", epochs=1, progress=False)  # the same run, one row, brought up to date
    (again,) = rows()
    assert again["run"] == run["run"] and again["step"] == r.step and again["started"] == run["started"]
    r.reset()  # a new run in the same folder: a row of its own
    r.train(1)
    assert len(rows()) == 2 and len(rows(model="ae")) == 2 and rows(model="vae") == []
    nbgen.Session("vae", "moons", epochs=1, checkpoint=True, hidden=(16,)).train()
    assert [r["data"] for r in rows(model="vae")] == ["moons"] and len(rows(data="digits")) == 2


def test_runs_without_pandas_is_a_list_of_dicts(monkeypatch, tmp_path):
    nbgen.Session("ae", "digits", epochs=1, checkpoint=tmp_path / "a", hidden=(16,)).train()
    monkeypatch.setitem(sys.modules, "pandas", None)
    got = nbgen.runs()
    assert isinstance(got, list) and got[0]["model"] == "autoencoder"


CHILD = r"""
import os, sys, time
import nbgen
barrier = sys.argv[1]  # both processes start training together, once both are up
open(os.path.join(barrier, str(os.getpid())), "w").close()
deadline = time.monotonic() + 120
while len(os.listdir(barrier)) < 2 and time.monotonic() < deadline:
    time.sleep(0.01)
for seed in map(int, sys.argv[2:]):
    nbgen.train("ae", "digits", epochs=30, seed=seed, hidden=[16], steps_per_dispatch=2,
                checkpoint=True, checkpoint_every=0, progress=False)
"""


def test_two_processes_recording_runs_at_once_lose_nothing_and_mix_nothing(runs_dir, tmp_path):
    env = {**os.environ, "PYTHONPATH": ROOT, "NBGEN_RUNS": str(runs_dir)}
    (tmp_path / "barrier").mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path / "barrier"), *seeds], env=env, stderr=subprocess.PIPE, text=True
        )
        for seeds in (["0", "1"], ["2", "3"])
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
    listed = rows()
    assert sorted(r["config"]["seed"] for r in listed) == [0, 1, 2, 3]  # nothing lost
    for r in listed:  # nothing mixed: each row is its own run's, as its final checkpoint holds it
        saved = saving.read(r["checkpoint"])
        assert saved.checkpoint["run"] == r["run"] and saved.config["seed"] == r["config"]["seed"]
        assert r["status"] == "finished" and r["epoch"] == 30 and r["history"] == saved.record["history"]
    assert len({json.dumps(r["history"]) for r in listed}) == 4
    a, b = ([r for r in listed if r["pid"] == pid] for pid in sorted({r["pid"] for r in listed}))
    assert any(x["started"] < y["updated"] and y["started"] < x["updated"] for x in a for y in b)  # at once
    assert os.path.exists(runlog.database())
