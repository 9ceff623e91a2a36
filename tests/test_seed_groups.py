"""compare() takes runs that differ only by their seed together: a mean curve with a band, and
each metric's last and best value as a mean and spread (nbgen/seed_groups.py, issue 28)."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

import nbgen


@pytest.fixture(scope="module")
def runs():
    return [nbgen.train("ae", "digits", epochs=3, seed=seed, latent_dim=d, progress=False)
            for d in (2, 4) for seed in (0, 1, 2)]  # fmt: skip


def test_runs_that_differ_only_by_seed_are_one_mean_curve_with_a_band_and_a_row(runs):
    c = nbgen.compare(*runs, evaluate=False)
    assert [g["group"] for g in c.groups] == ["latent_dim=2 (3 seeds)", "latent_dim=4 (3 seeds)"]
    first = c.groups[0]
    assert first["runs"] == 3 and first["seeds"] == [0, 1, 2]
    last = [r.history["val_loss"][-1] for r in runs[:3]]
    best = [min(r.history["val_loss"]) for r in runs[:3]]
    assert first["last_val_loss_mean"] == pytest.approx(statistics.fmean(last))
    assert first["last_val_loss_std"] == pytest.approx(statistics.stdev(last))
    assert first["best_val_loss_mean"] == pytest.approx(statistics.fmean(best))
    # the figure: per group and metric a band (lowest to highest run) and the mean line
    mean = next(t for t in c.figure.data if t.name == "latent_dim=2 (3 seeds)" and t.yaxis == "y")
    spread = next(t for t in c.figure.data if t.name == "latent_dim=2 (3 seeds) (spread)" and t.yaxis == "y")
    metric = c.figure.layout.annotations[0].text
    values = np.array([r.history[metric] for r in runs[:3]])
    assert np.allclose(mean.y, values.mean(0)) and spread.fill == "toself"
    assert np.allclose(spread.y, list(values.max(0)) + list(values.min(0)[::-1]))
    # each run's own row still has its last and best values
    assert c.table[0]["best_val_loss"] == pytest.approx(best[0]) and c.table[0]["last_val_loss"] == pytest.approx(last[0])


def test_apart_keeps_each_run_alone_and_a_bad_option_is_refused(runs):
    c = nbgen.compare(*runs[:3], evaluate=False, seeds="apart")
    assert c.groups == [] and c.labels == ["seed=0", "seed=1", "seed=2"]
    with pytest.raises(ValueError, match="seeds must be 'group' or 'apart', got 'mean'"):
        nbgen.compare(*runs[:3], seeds="mean")


def test_runs_of_earlier_kernels_compare_by_row_or_id(tmp_path, monkeypatch):
    monkeypatch.setattr(nbgen.config, "_runs_dir", str(tmp_path / "runs"))  # as tests/test_runs.py does
    a = nbgen.train("ae", "digits", epochs=2, seed=0, checkpoint=True, progress=False)
    b = nbgen.train("ae", "digits", epochs=2, seed=1, checkpoint=True, progress=False)
    listed = nbgen.runs()
    rows = listed.to_dict("records") if hasattr(listed, "to_dict") else listed
    c = nbgen.compare(rows[0], rows[1]["run"], evaluate=False)
    assert [s.history for s in c.sessions] == [a.history, b.history]
    whole = nbgen.compare(nbgen.runs(model="ae"), evaluate=False)  # the frame itself: all its runs, by seed
    assert [s.history for s in whole.sessions] == [a.history, b.history] and whole.groups[0]["seeds"] == [0, 1]
    with pytest.raises(ValueError, match="neither a file nor the id of a run"):
        nbgen.compare("no-such-run")


def test_runs_are_named_by_their_learning_rate_before_the_anneal_drop():
    a = nbgen.train("ae", "digits", epochs=3, learning_rate=1e-3, anneal=0.5, progress=False)
    b = nbgen.train("ae", "digits", epochs=3, learning_rate=3e-3, anneal=0.5, progress=False)
    assert a.hyperparameters["learning_rate"] == pytest.approx(1e-4)  # annealed: a tenth at the end
    assert nbgen.compare(a, b, evaluate=False).labels == ["learning_rate=0.001", "learning_rate=0.003"]


def test_a_checkpointed_sweep_goes_on_where_it_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(nbgen.config, "_runs_dir", str(tmp_path / "runs"))
    folder = tmp_path / "sweep"
    first = nbgen.sweep("ae", "digits", epochs=2, latent_dim=[2], checkpoint=folder, evaluate=False, progress=False)
    # a run that a crash cut short after one of its two epochs
    cut = nbgen.Session("ae", "digits", epochs=2, latent_dim=4, checkpoint=folder / "latent_dim=4")
    cut.train(epochs=1)
    cut.close()
    again = nbgen.sweep("ae", "digits", epochs=2, latent_dim=[2, 4, 8], checkpoint=folder, evaluate=False, progress=False)
    done, resumed, fresh = again.sessions
    assert done.history == first.sessions[0].history and done.engine.dispatches == 0  # loaded, not trained again
    alone = nbgen.train("ae", "digits", epochs=2, latent_dim=4, progress=False)
    assert resumed.epoch == 2 and resumed.history == alone.history  # the cut run went on, as if never cut
    assert fresh.epoch == 2 and sorted(p.name for p in folder.iterdir()) == ["latent_dim=2", "latent_dim=4", "latent_dim=8"]
    assert len(nbgen.runs(model="ae")) == 3  # each run recorded as it went


def test_a_sweeps_bad_checkpoint_period_is_refused_before_anything_trains(tmp_path):
    with pytest.raises(ValueError, match="checkpoint_every='soon'"):
        nbgen.sweep("ae", "digits", latent_dim=[2, 4], checkpoint=tmp_path / "s", checkpoint_every="soon")
    assert not (tmp_path / "s").exists()


def test_a_sweep_folder_taken_up_with_other_settings_is_refused_and_more_epochs_train_on(tmp_path, monkeypatch):
    monkeypatch.setattr(nbgen.config, "_runs_dir", str(tmp_path / "runs"))
    folder = tmp_path / "sweep"
    nbgen.sweep("ae", "digits", epochs=1, hidden=(16,), latent_dim=[2], checkpoint=folder, evaluate=False, progress=False)
    with pytest.raises(ValueError, match=r"holds a run with hidden=16 \(this sweep: 32\): give the sweep another"):
        nbgen.sweep("ae", "digits", epochs=1, hidden=(32,), latent_dim=[2], checkpoint=folder, progress=False)
    (longer,) = nbgen.sweep("ae", "digits", epochs=2, hidden=(16,), latent_dim=[2], checkpoint=folder, evaluate=False,
                            progress=False).sessions  # fmt: skip
    assert longer.epoch == 2 and len(nbgen.runs()) == 1  # the same run, trained on
