"""Compare, sweep, replay and the headless progress line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from _interrupt import interrupt_train_call

import nbgen
from nbgen.progress import ProgressLine, default_enabled, headline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FAST = {"hidden": (32,), "progress": False}


@pytest.mark.parametrize("per_dispatch", [{"steps_per_dispatch": 4}, {}], ids=["4 steps per dispatch", "default"])
def test_replay_of_a_hand_steered_run_reproduces_its_history_exactly(tmp_path, per_dispatch):
    # by default a dispatch spans several digits epochs and its size follows the measured step
    # time, so the replay's dispatches differ from the original's: the results may not
    s = nbgen.Session("vae", "digits", hidden=(32,), epochs=3, **per_dispatch)
    s.train(2)
    s.set(learning_rate=3e-3, beta=0.5)  # between runs
    events = []

    def steer(event):  # during a run, at a dispatch boundary: as a slider would
        if event["type"] == "steps" and event["step"] >= 20 and not events:
            events.append(event["step"])
            s.set(beta=2.0)

    unsubscribe = s.subscribe(steer)
    s.train(2)
    unsubscribe()
    s.set(batch_size=64)  # applies at the next epoch boundary
    s.train(1, block=False)
    s.wait()
    assert [r["name"] for r in s.timeline] == ["learning_rate", "beta", "beta", "batch_size"]
    r = s.replay()
    assert r is not s and r.epoch == s.epoch and r.step == s.step
    assert r.history == s.history  # exactly, not approximately
    assert r.steps == s.steps
    assert [(t["step"], t["name"], t["new"]) for t in r.timeline] == [
        (t["step"], t["name"], t["new"]) for t in s.timeline
    ]
    assert r.hyperparameters == s.hyperparameters
    # from a file, too
    path = s.save(tmp_path / "steered.nbgen")
    assert nbgen.replay(path).history == s.history


def test_replay_follows_a_stop_that_cut_an_epoch_short():
    s = nbgen.Session("ae", "digits", hidden=(16,), epochs=50, steps_per_dispatch=2)

    def stop_early(event):
        if event["type"] == "steps" and event["step"] >= 5:
            s.engine.stop()

    unsubscribe = s.subscribe(stop_early)
    s.train(3)
    unsubscribe()
    assert s.status == "stopped" and s.epoch == 1 and s.step < 11  # one short epoch
    s.train(2)
    r = s.replay()
    assert r.engine.epoch_ends == s.engine.epoch_ends and r.history == s.history


def test_replay_keeps_annealing_to_the_engine():
    s = nbgen.train("ae", "moons", hidden=(16,), epochs=6, anneal=0.5, progress=False)
    assert [t["by"] for t in s.timeline] == ["anneal"]
    r = s.replay()
    assert [t["by"] for t in r.timeline] == ["anneal"] and r.history == s.history


def test_compare_names_runs_by_what_differs_and_tabulates_metrics(tmp_path):
    a = nbgen.train("vae", "digits", epochs=2, beta=0.5, **FAST)
    b = nbgen.train("vae", "digits", epochs=2, beta=2.0, **FAST)
    path = b.save(tmp_path / "b.nbgen")
    c = nbgen.compare(a, path)  # a session and a file
    assert c.labels == ["beta=0.5", "beta=2"]
    assert [row["beta"] for row in c.table] == [0.5, 2.0]
    assert all("neg_elbo" in row and "last_loss" in row for row in c.table)
    # the standard sample-quality metrics, each with its real-data floor (the same for both runs)
    for name in ("fid", "kid", "precision", "recall", "density", "coverage"):
        assert all(np.isfinite(row[name]) and np.isfinite(row[f"{name}_floor"]) for row in c.table)
    assert c.table[0]["fid_floor"] == c.table[1]["fid_floor"] and c.table[0]["fid"] > c.table[0]["fid_floor"]
    names = {t.name for t in c.figure.data}
    assert names == {"beta=0.5", "beta=2"}
    titles = [a.text for a in c.figure.layout.annotations]
    assert "loss" in titles and "kl" in titles and titles[-1] == "learning_rate"
    colours = {t.name: t.line.color for t in c.figure.data}
    assert colours["beta=0.5"] != colours["beta=2"]
    pd = pytest.importorskip("pandas")
    assert isinstance(c.frame, pd.DataFrame) and list(c.frame.index) == ["beta=0.5", "beta=2"]


def test_compare_runs_of_different_models_on_the_same_data():
    ae = nbgen.train("ae", "moons", epochs=1, **FAST)
    gan = nbgen.train("gan", "moons", epochs=1, hidden=(16,), progress=False)
    c = nbgen.compare(ae, gan, evaluate=False)
    assert "model=autoencoder" in c.labels[0] and "model=gan" in c.labels[1]
    panels = [a.text for a in c.figure.layout.annotations]
    assert {"loss", "d_loss", "g_loss"} <= set(panels)
    with pytest.raises(TypeError, match="compare\\(\\) takes sessions, paths to saved sessions or runs of nbgen.runs\\(\\)"):
        nbgen.compare(ae, 3)
    with pytest.raises(ValueError, match="at least one"):
        nbgen.compare()


def test_sweep_trains_every_combination_and_validates_first():
    out = io.StringIO()
    result = nbgen.sweep(
        "ae", "moons", epochs=1, hidden=(16,), learning_rate=[1e-3, 3e-3], latent_dim=[1, 2], progress=True, stream=out
    )
    assert len(result.sessions) == 4 and not result.interrupted
    assert sorted((s.hyperparameters["learning_rate"], s.hyperparameters["latent_dim"]) for s in result.sessions) == [
        (1e-3, 1),
        (1e-3, 2),
        (3e-3, 1),
        (3e-3, 2),
    ]
    text = out.getvalue()
    assert "run 1/4 (learning_rate=0.001, latent_dim=1)" in text and "run 4/4" in text
    assert "compiling" in text and "finished after 1/1 epochs" in text
    assert "run 2/4 (learning_rate=0.001, latent_dim=2; sweep ETA " in text  # from the first run's time
    with pytest.raises(ValueError, match="learning_rate must be > 0, got -1"):
        nbgen.sweep("ae", "moons", epochs=1, learning_rate=[1e-3, -1], progress=False)
    with pytest.raises(ValueError, match=r"beta=\[\] gives nothing to sweep"):
        nbgen.sweep("vae", "moons", epochs=1, beta=[], progress=False)


def test_sweep_interrupted_keeps_the_finished_runs(monkeypatch):
    interrupt_train_call(monkeypatch, 2)
    result = nbgen.sweep("ae", "moons", epochs=1, hidden=(16,), latent_dim=[1, 2, 3], progress=False)
    assert result.interrupted and len(result.sessions) == 1
    assert result.sessions[0].hyperparameters["latent_dim"] == 1


def test_progress_line_shows_epoch_loss_rate_and_eta():
    out = io.StringIO()
    line = ProgressLine(4, stream=out, interval=0.0)
    s = nbgen.Session("ae", "moons", hidden=(16,), epochs=4)
    unsubscribe = s.subscribe(line)
    s.train()
    unsubscribe()
    line.close(s.status)
    text = out.getvalue()
    assert text.startswith("\repoch 0/4 | compiling the training step")
    assert "epoch 4/4" in text and "loss " in text and "samples/s" in text and "ETA 0:00" in text
    assert text.rstrip().endswith(f"loss {s.steps['loss'][-1]:.4g}") and "finished after 4/4 epochs" in text


def test_progress_line_shows_the_models_loss(capsys):
    # the step metrics arrive sorted by name (kl first, code_loss first): the line must still
    # show the loss the README promises, the VAE's "loss" and the GAN's d_loss and g_loss
    s = nbgen.train("vae", "digits", epochs=2, progress=True)
    final = capsys.readouterr().err.split("\r")[-1].strip()
    assert final.startswith("finished after 2/2 epochs")
    assert final.endswith(f"| loss {s.steps['loss'][-1]:.4g}") and "kl" not in final
    g = nbgen.train("gan", "ring", epochs=1, progress=True)
    final = capsys.readouterr().err.split("\r")[-1].strip()
    assert final.endswith(f"| d_loss {g.steps['d_loss'][-1]:.4g}, g_loss {g.steps['g_loss'][-1]:.4g}")
    coded = nbgen.Session("gan", "digits").generative_model  # the InfoGAN code's loss is not the headline
    assert "code_loss" in coded.metric_names and headline(coded.metric_names) == ("d_loss", "g_loss")


def test_progress_defaults_off_in_ci_and_in_pipes(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert not default_enabled()
    monkeypatch.setenv("CI", "")
    monkeypatch.setattr("sys.stderr", io.StringIO())  # not a terminal
    assert not default_enabled()


def test_train_docstring_example_holds():
    s = nbgen.train("autoencoder", "digits", epochs=20, latent_dim=8, progress=False)
    assert s.evaluate()["mse"] < s.evaluate()["pca_mse"]
    assert np.isfinite(s.history["loss"]).all()


SIDE_BY_SIDE = r"""
import io, json, jax, nbgen
grid = dict(epochs=2, hidden=(16,), learning_rate=[1e-3, 3e-3, 1e-2], latent_dim=[1, 2], evaluate=False)
out = io.StringIO()
side = nbgen.sweep("ae", "moons", progress=True, stream=out, **grid)  # 4 devices: side by side
alone = nbgen.sweep("ae", "moons", parallel=False, progress=False, **grid)
key = lambda s: (s.hyperparameters["learning_rate"], s.hyperparameters["latent_dim"])
errors = []
for kwargs in ({"parallel": True, "distribution": "data_parallel"},):
    try:
        nbgen.sweep("ae", "moons", epochs=1, latent_dim=[1, 2], progress=False, **kwargs)
    except ValueError as exc:
        errors.append(str(exc))
result = {
    "same": [a.history == b.history and a.step == b.step for a, b in zip(side.sessions, alone.sessions)],
    "order": [key(s) for s in side.sessions] == [key(s) for s in alone.sessions],
    "devices": sorted({str(d) for s in side.sessions for d in jax.tree.leaves(s.engine.state)[0].devices()}),
    "lines": out.getvalue().splitlines(),
    "errors": errors,
}
on = lambda s: {str(d) for d in jax.tree.leaves(s.engine.state)[0].devices()}
last = next(s for s in side.sessions if on(s) != {"cpu:0"})
placed = on(last)
last.reset()  # a Reset (the widget's button) keeps the run on its device
last.train(epochs=1, block=True)
result["reset_keeps_device"] = placed == on(last) and placed != {"cpu:0"}
print(json.dumps(result))
"""


def test_sweep_runs_side_by_side_on_several_devices_with_the_histories_of_lone_runs():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "PYTHONPATH": ROOT}
    out = subprocess.run([sys.executable, "-c", SIDE_BY_SIDE], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["same"] == [True] * 6 and r["order"]  # each run as it would be alone, in grid order
    assert r["devices"] == ["cpu:0", "cpu:1", "cpu:2", "cpu:3"]  # 6 runs spread over the 4 devices
    assert r["reset_keeps_device"]
    assert len(r["lines"]) == 6 and "6/6 done" in r["lines"][-1] and "sweep ETA" in r["lines"][0]
    assert "finished" in r["lines"][0] and "on " in r["lines"][0]
    assert "distribution='data_parallel' spreads one run over all" in r["errors"][0]
    # in this one-device process, side by side cannot be asked for
    with pytest.raises(ValueError, match="parallel=True needs several JAX devices; this process has 1"):
        nbgen.sweep("ae", "moons", epochs=1, latent_dim=[1, 2], parallel=True, progress=False)
