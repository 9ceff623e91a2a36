"""nbgen.search: settings sampled by Optuna (TPE or random), a run trained for each, poor runs
stopped early by Optuna's median pruner; a search with a checkpoint folder goes on after an
interruption without training its finished trials again (skipped without Optuna:
pip install "nbgen[optuna]")."""

from __future__ import annotations

import io

import pytest
from _interrupt import interrupt_train_call

import nbgen

optuna = pytest.importorskip("optuna")

SPACE = {"learning_rate": ("log", 1e-5, 3e-2), "hidden": [(16,), (32,)], "latent_dim": ("int", 2, 4)}


def test_a_search_samples_within_its_space_and_prunes_poor_runs():
    out = io.StringIO()
    c = nbgen.search("ae", "digits", trials=8, epochs=4, sampler="random", seed=1, stream=out, progress=True, **SPACE)
    study = c.study
    states = [t.state.name for t in study.trials]
    assert len(states) == 8 and set(states) <= {"COMPLETE", "PRUNED"} and "PRUNED" in states, states
    for t in study.trials:
        assert 1e-5 <= t.params["learning_rate"] <= 3e-2 and 2 <= t.params["latent_dim"] <= 4
    runs = {row["trial"]: (row, s) for row, s in zip(c.table, c.sessions)}
    for t in study.trials:  # each trial's run: its sampled settings; a pruned one stopped before its 4 epochs
        row, s = runs[t.number]
        assert row["state"] == t.state.name.lower() and s.run.settings["learning_rate"] == t.params["learning_rate"]
        assert s.hyperparameters["hidden"] == SPACE["hidden"][t.params["hidden"]]
        assert s.hyperparameters["latent_dim"] == t.params["latent_dim"]
        assert (s.epoch < 4) == (t.state.name == "PRUNED")
        if t.state.name == "COMPLETE":
            assert t.value == s.history["val_loss"][-1]
    best = c.sessions[0]  # best first
    assert best.history["val_loss"][-1] == study.best_value
    assert len(out.getvalue().splitlines()) == 8 and "pruned at epoch" in out.getvalue()


def test_a_search_with_a_folder_goes_on_without_training_finished_trials_again(tmp_path, monkeypatch):
    monkeypatch.setattr(nbgen.config, "_runs_dir", str(tmp_path / "runs"))
    folder = tmp_path / "search"
    first = nbgen.search("ae", "digits", trials=2, epochs=2, checkpoint=folder, progress=False, **SPACE)
    again = nbgen.search("ae", "digits", trials=3, epochs=2, checkpoint=folder, progress=False, **SPACE)
    assert len(again.study.trials) == 3 and len(again.sessions) == 3
    loaded = [s for s in again.sessions if s.engine.dispatches == 0]  # the first call's runs, loaded
    assert sorted(s.history["loss"][-1] for s in loaded) == sorted(s.history["loss"][-1] for s in first.sessions)
    assert len(nbgen.runs(model="ae")) == 3 and (folder / "optuna.db").exists()


def test_a_diverging_trial_fails_and_the_search_goes_on():
    c = nbgen.search("vae", "digits", trials=4, epochs=2, hidden=(16,), sampler="random", prune=False, progress=False,
                     learning_rate=[1e-3, 10.0])  # fmt: skip
    states = {t.params["learning_rate"]: t.state.name for t in c.study.trials}
    assert states == {0: "COMPLETE", 1: "FAIL"}, states
    assert c.table[0]["state"] == "complete" and c.sessions[0].run.settings["learning_rate"] == 1e-3


def test_bad_input_is_named_before_anything_trains():
    with pytest.raises(ValueError, match=r"learning_rate=\('log', 0, 0.1\): give numbers low < high \(and low > 0"):
        nbgen.search("ae", "digits", learning_rate=("log", 0, 0.1))
    with pytest.raises(ValueError, match=r"beta=\('normal', 0, 1\): a range is \(kind, low, high\)"):
        nbgen.search("vae", "digits", beta=("normal", 0, 1))
    with pytest.raises(ValueError, match="sampler='grid'"):
        nbgen.search("ae", "digits", sampler="grid", latent_dim=[2, 4])
    with pytest.raises(ValueError, match="search\\(\\) needs a range or a list"):
        nbgen.search("ae", "digits", epochs=2)
    with pytest.raises(ValueError, match="metric='val_los': the vae model's history has kl, loss, reconstruction"):
        nbgen.search("vae", "digits", metric="val_los", beta=[1, 2])
    with pytest.raises(ValueError, match="latent_dim"):  # the range's ends are validated as settings
        nbgen.search("ae", "digits", latent_dim=("int", 0, 4))


def test_an_interrupted_search_keeps_its_runs_and_goes_on_where_it_was(tmp_path, monkeypatch):
    monkeypatch.setattr(nbgen.config, "_runs_dir", str(tmp_path / "runs"))
    original = nbgen.Session.train
    interrupt_train_call(monkeypatch, 2)
    options = {"trials": 3, "epochs": 2, "checkpoint": tmp_path / "s", "progress": False, "prune": False}
    cut = nbgen.search("ae", "moons", hidden=(16,), latent_dim=("int", 1, 2), **options)
    assert (
        cut.interrupted and len(cut.sessions) == 1 and [t.state.name for t in cut.study.trials] == ["COMPLETE", "FAIL"]
    )
    monkeypatch.setattr(nbgen.Session, "train", original)
    again = nbgen.search("ae", "moons", hidden=(16,), latent_dim=("int", 1, 2), **options)
    assert not again.interrupted and [t.state.name for t in again.study.trials] == [
        "COMPLETE",
        "FAIL",
        "COMPLETE",
        "COMPLETE",
    ]
    assert len(again.sessions) == 3 and sorted(row["trial"] for row in again.table) == [0, 2, 3]
