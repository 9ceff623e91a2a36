"""The panel's Compare section lists the runs of earlier kernels (nbgen.runs()) beside this
kernel's sessions: an earlier run compares, and Load brings it into this kernel; the Load button
is made only when the section is first opened (the saved notebook stays small)."""

from __future__ import annotations

import os
import subprocess
import sys

import nbgen
from nbgen.ui.show import show

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EARLIER = "import nbgen; nbgen.train('ae', 'moons', epochs=2, hidden=(16,), learning_rate=2e-3, checkpoint=True, progress=False)"


def test_runs_of_an_earlier_kernel_are_listed_compared_and_loaded(tmp_path, monkeypatch):
    runs_dir = tmp_path / "runs"
    monkeypatch.setattr(nbgen.config, "_runs_dir", str(runs_dir))
    env = {**os.environ, "PYTHONPATH": ROOT, "NBGEN_RUNS": str(runs_dir)}
    env.pop("XLA_FLAGS", None)
    subprocess.run([sys.executable, "-c", EARLIER], env=env, check=True, capture_output=True, timeout=300)
    (row,) = nbgen.runs().to_dict("records")  # the earlier kernel's run
    s = show("ae", "moons", display=False, epochs=2, hidden=(16,), checkpoint=True)
    view = s.widget
    try:
        assert view.compare.load_button is None  # not built until the section is opened
        s.train()
        view.compare_box.selected_index = 0
        options = dict((v, label) for label, v in view.compare_runs.options)
        assert row["run"] in options and options[row["run"]].startswith(
            "earlier: autoencoder on moons: finished, epoch 2"
        )
        assert (
            len([v for v in options if isinstance(v, str)]) == 1
        )  # this kernel's own checkpointed run is not "earlier"
        view.compare_runs.value = (id(s), row["run"])
        view.compare_button.click()
        page = view.compare_view.value
        assert "#c62828" not in view.status_line.value, view.status_line.value
        assert "nbgen comparison of 2 runs" in page and "learning_rate=0.002" in page and "learning_rate=0.001" in page
        labels = [label for label, _ in view.compare_runs.options]  # compared, it is loaded: one of this kernel's now
        assert any(f"(loaded run {row['run'][:8]})" in label for label in labels)
        assert not any(label.startswith("earlier:") for label in labels)
        view.compare_runs.value = ()
        view.compare.load_button.click()
        assert "choose one or more earlier runs" in view.status_line.value
    finally:
        s.close()


def test_load_brings_an_earlier_run_into_this_kernel(tmp_path, monkeypatch):
    monkeypatch.setattr(nbgen.config, "_runs_dir", str(tmp_path / "runs"))
    env = {**os.environ, "PYTHONPATH": ROOT, "NBGEN_RUNS": str(tmp_path / "runs")}
    env.pop("XLA_FLAGS", None)
    subprocess.run([sys.executable, "-c", EARLIER], env=env, check=True, capture_output=True, timeout=300)
    (row,) = nbgen.runs().to_dict("records")
    s = show("vae", "moons", display=False, epochs=1)
    view = s.widget
    try:
        view.compare_box.selected_index = 0
        view.compare_runs.value = (row["run"],)
        view.compare.load_button.click()
        (chosen,) = view.compare_runs.value  # the loaded session, chosen in the list
        loaded = view.compare._loaded[row["run"]]
        assert chosen == id(loaded) and loaded.history == row["history"] and loaded.epoch == 2
    finally:
        s.close()
