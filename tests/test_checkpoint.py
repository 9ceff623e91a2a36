"""Checkpoints and resume: a run written to disk as it trains, continued in another session (or
another process) so that it ends as the run that never stopped ends, exactly."""

from __future__ import annotations

import os

import jax
import numpy as np
import pytest

import nbgen
from nbgen import checkpoint as ck
from nbgen import saving

TINY = {"hidden": (16,), "steps_per_dispatch": 4}


def same_run(a, b) -> None:
    """``a`` and ``b`` made the same steps: history, per-step metrics, timeline and weights equal
    exactly (np.array_equal: on one machine each step is the same computation on the same
    inputs, whichever dispatch it falls in, so no tolerance is needed)."""
    assert (a.step, a.epoch) == (b.step, b.epoch)
    assert a.history == b.history
    assert a.steps == b.steps
    assert a.engine.epoch_ends == b.engine.epoch_ends
    assert [{k: v for k, v in r.items() if k != "time"} for r in a.timeline] == [
        {k: v for k, v in r.items() if k != "time"} for r in b.timeline
    ]
    leaves_a, leaves_b = jax.tree_util.tree_leaves(a.engine.state), jax.tree_util.tree_leaves(b.engine.state)
    assert len(leaves_a) == len(leaves_b)
    assert all(np.array_equal(x, y) for x, y in zip(leaves_a, leaves_b))


def stop_at(session, step: int):
    """Stop ``session``'s run at the first dispatch boundary at or after ``step`` (as Stop does)."""

    def listener(event):
        if event["type"] == "steps" and event["step"] >= step:
            session.engine.stop()

    return session.subscribe(listener)


@pytest.mark.parametrize(
    "model, options",
    [("vae", {}), ("gan", {}), ("ae", {"anneal": 0.5})],
    ids=["vae", "gan (two optimizers)", "ae (anneal after the resume)"],
)
def test_train_k_epochs_checkpoint_resume_to_n_equals_n_epochs_in_one_run(tmp_path, model, options):
    n, k = 4, 2
    ref = nbgen.Session(model, "digits", epochs=n, **TINY, **options)
    ref.train()
    s = nbgen.Session(model, "digits", epochs=n, checkpoint=tmp_path, **TINY, **options)
    s.train(k)
    assert s.checkpoint_error is None
    latest = ck.checkpoints(tmp_path)[-1]
    assert latest.endswith(f"step{s.step}.nbgen")  # written at the run's end, before train() returned
    r = nbgen.resume(tmp_path, epochs=n - k, progress=False)
    same_run(r, ref)
    assert r.checkpoint_folder == str(tmp_path)  # and it goes on checkpointing there
    assert ck.checkpoints(tmp_path)[-1].endswith(f"step{r.step}.nbgen")


def test_a_run_stopped_inside_an_epoch_resumes_where_it_was(tmp_path):
    ref = nbgen.Session("vae", "digits", epochs=3, **TINY)
    ref.train()
    s = nbgen.Session("vae", "digits", epochs=3, checkpoint=tmp_path, checkpoint_every=0, **TINY)
    stop_at(s, 17)  # an epoch of digits is 11 steps: inside the second
    s.train()
    assert s.status == "stopped" and 17 <= s.step < 22
    saved = saving.read(ck.checkpoints(tmp_path)[-1])
    assert saved.record["step"] == s.step and saved.checkpoint["cursor"]["done"] == s.step - 11
    assert saved.record["epoch"] == 1  # the cut epoch is not in the checkpoint's history...
    assert s.epoch == 2  # ...though the stopped session keeps it, as a stop always has
    r = nbgen.resume(tmp_path, progress=False)  # the epochs left of the run: to its end
    same_run(r, ref)


def test_load_of_a_checkpoint_continues_its_epoch_too(tmp_path):
    ref = nbgen.Session("ae", "digits", epochs=2, **TINY)
    ref.train()
    s = nbgen.Session("ae", "digits", epochs=2, checkpoint=tmp_path, checkpoint_every=0, **TINY)
    stop_at(s, 5)
    s.train()
    loaded = nbgen.load(ck.checkpoints(tmp_path)[-1])
    loaded.train(2)  # the cut epoch, then one more
    same_run(loaded, ref)


def test_checkpoints_are_atomic_pruned_to_three_and_hold_the_run(tmp_path):
    s = nbgen.Session("vae", "digits", epochs=6, checkpoint=tmp_path, checkpoint_every=0, **TINY)
    s.train()
    files = ck.checkpoints(tmp_path)
    assert len(files) == ck.KEEP
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(f) for f in files)  # no temporary file left
    saved = saving.read(files[-1])
    assert saved.checkpoint["final"] and saved.checkpoint["target"] == 6 and saved.checkpoint["cursor"] is None
    assert saved.record["history"] == s.history and saved.nbgen_version == nbgen.__version__
    assert nbgen.resume(tmp_path, progress=False).step == s.step  # a finished run: nothing left to train


def test_checkpoint_every_epochs_and_true_for_a_new_folder_in_the_runs_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(nbgen.config, "_runs_dir", str(tmp_path / "runs"))
    s = nbgen.Session("ae", "digits", epochs=4, checkpoint=True, checkpoint_every="2 epochs", hidden=(16,))
    assert os.path.dirname(s.checkpoint_folder) == str(tmp_path / "runs")
    s.train()
    written = [saving.read(f).record["epoch"] for f in ck.checkpoints(s.checkpoint_folder)]
    assert written[-1] == 4 and all(e >= 2 for e in written)
    t = nbgen.Session("ae", "digits", epochs=1, checkpoint=True, hidden=(16,))
    assert t.checkpoint_folder != s.checkpoint_folder  # True: a folder per run


@pytest.mark.parametrize(
    "every, message",
    [(-1, "checkpoint_every=-1"), ("often", "checkpoint_every='often'"), (True, "checkpoint_every=True")],
)
def test_a_bad_checkpoint_every_names_the_parameter(every, message):
    with pytest.raises(ValueError, match=message):
        nbgen.Session("ae", "digits", checkpoint_every=every)


def test_a_bad_checkpoint_names_the_parameter():
    with pytest.raises(TypeError, match="checkpoint=3: give a folder path, True"):
        nbgen.Session("ae", "digits", checkpoint=3)
