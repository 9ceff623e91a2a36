"""Checkpoints and resume: a run written to disk as it trains, continued in another session (or
another process) so that it ends as the run that never stopped ends, exactly."""

from __future__ import annotations

import errno
import html
import json
import os
import zipfile

import jax
import numpy as np
import pytest

import nbgen
from nbgen import checkpoint as ck
from nbgen import saving

TINY = {"hidden": (16,), "steps_per_dispatch": 4}


@pytest.fixture(autouse=True)
def runs_dir(tmp_path_factory, monkeypatch):
    """The run history (nbgen.runs()) of these tests: a folder of their own."""
    folder = tmp_path_factory.mktemp("runs-history")
    monkeypatch.setattr(nbgen.config, "_runs_dir", str(folder))
    return folder


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
    again = nbgen.load(loaded.save(tmp_path / "saved-before-training.nbgen"))  # keeps its place in the epoch
    loaded.train(2)  # the cut epoch, then one more
    same_run(loaded, ref)
    again.train(2)
    same_run(again, ref)


def test_checkpoints_are_atomic_pruned_to_three_and_hold_the_run(tmp_path):
    s = nbgen.Session("vae", "digits", epochs=6, checkpoint=tmp_path, checkpoint_every=0, **TINY)
    for _ in range(5):  # each run ends with a checkpoint: at least 5 written
        s.train(1)
    s.train(1)
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


# -- bad input: the folder, the disk, the file ------------------------------------------------------
def _rewrite(path: str, change) -> None:
    """Rewrite checkpoint ``path`` with ``change(meta)`` applied to its nbgen.json."""
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    meta = json.loads(members["nbgen.json"])
    change(meta)
    members["nbgen.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, blob in members.items():
            z.writestr(name, blob)


def test_a_checkpoint_folder_that_cannot_be_written_is_refused_before_training(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ck.CheckpointError, match=r"checkpoint='.*a-file/runs': checkpoints cannot be written there"):
        nbgen.Session("ae", "digits", checkpoint=blocker / "runs")
    real = os.makedirs

    def denied(path, *args, **kwargs):
        if str(path).startswith(str(tmp_path)):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "makedirs", denied)
    with pytest.raises(ck.CheckpointError, match="Give a folder you can write to, or checkpoint=True") as info:
        nbgen.Session("ae", "digits", checkpoint=tmp_path / "locked")
    assert info.value.errno == errno.EACCES


def test_a_full_disk_keeps_training_in_memory_and_says_so(tmp_path, monkeypatch):
    s = nbgen.show("vae", "digits", epochs=4, checkpoint=tmp_path, checkpoint_every="1 epoch", display=False, **TINY)
    s.train(1)
    good = ck.checkpoints(tmp_path)
    real = zipfile.ZipFile.writestr

    def full(self, name, data, *args, **kwargs):
        if name == "state.npz":
            real(self, name, data[: len(data) // 2], *args, **kwargs)  # part of it reaches the disk, then:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", full)
    with pytest.warns(RuntimeWarning, match="the disk is full"):
        s.train(2)
    assert s.status == "finished" and s.epoch == 3  # the run went on
    assert isinstance(s.checkpoint_error, ck.CheckpointError) and s.checkpoint_error.errno == errno.ENOSPC
    message = str(s.checkpoint_error)
    assert str(tmp_path) in message and "nothing of it is lost" in message and "session.save(" in message
    assert message in html.unescape(s.widget.status_line.value)  # the status line says so
    assert ck.checkpoints(tmp_path) == good and saving.read(good[-1])  # the last good one is intact
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]  # and no half-written file is left
    monkeypatch.undo()  # space again: the next checkpoint is written and the message goes
    s.train(1)
    assert s.checkpoint_error is None and ck.checkpoints(tmp_path)[-1].endswith(f"step{s.step}.nbgen")
    s.widget.draw_now()
    assert "could not be written" not in s.widget.status_line.value
    s.close()


def test_a_damaged_or_truncated_checkpoint_is_named_and_the_folder_falls_back(tmp_path):
    s = nbgen.Session("ae", "digits", epochs=3, checkpoint=tmp_path, checkpoint_every="1 epoch", hidden=(16,))
    s.train()
    files = ck.checkpoints(tmp_path)
    newest = files[-1]
    with open(newest, "rb") as f:
        blob = f.read()
    with open(newest, "wb") as f:
        f.write(blob[: len(blob) // 3])  # truncated
    with pytest.raises(ValueError, match=rf"path='{newest}' is damaged or truncated.*nbgen.resume\(folder\)"):
        nbgen.resume(newest)
    with pytest.warns(
        RuntimeWarning, match=rf"could not be read and were skipped \({newest}\); resuming from {files[-2]}"
    ):
        r = nbgen.resume(tmp_path, epochs=0)
    assert r.step == saving.read(files[-2]).record["step"]
    middle = bytearray(blob)
    middle[len(blob) // 2 : len(blob) // 2 + 64] = b"\0" * 64  # damaged inside
    with open(newest, "wb") as f:
        f.write(bytes(middle))
    with pytest.raises(ValueError, match="is damaged or truncated"):
        saving.read(newest)
    open(newest, "wb").close()  # empty: a write cut off at its start
    with pytest.raises(ValueError, match="is damaged or truncated"):
        saving.read(newest)
    for f in files:
        open(f, "wb").close()
    with pytest.raises(ValueError, match=f"none of its {len(files)} checkpoints can be read"):
        nbgen.resume(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="holds no checkpoint"):
        nbgen.resume(tmp_path / "empty")


def test_a_checkpoint_of_another_model_or_nbgen_version_is_named(tmp_path):
    gan = nbgen.Session("gan", "digits", epochs=1, checkpoint=tmp_path, hidden=(16,))
    gan.train()
    with pytest.raises(
        ValueError,
        match=r"holds the checkpoints of another model \(ckpt-.*: gan on digits.*this session: vae on digits",
    ):
        nbgen.Session("vae", "digits", checkpoint=tmp_path, hidden=(16,))
    with pytest.raises(ValueError, match="hidden"):  # the same model, another structure
        nbgen.Session("gan", "digits", checkpoint=tmp_path, hidden=(32,))
    nbgen.Session("gan", "digits", checkpoint=tmp_path, hidden=(16,))  # the same run again: fine
    path = ck.checkpoints(tmp_path)[-1]
    _rewrite(path, lambda meta: meta.update(nbgen="0.0.1"))
    with pytest.warns(RuntimeWarning, match=r"written by nbgen 0.0.1, this is nbgen .*the run goes on"):
        nbgen.resume(path, epochs=0)
    _rewrite(path, lambda meta: meta["config"].update(hidden=[8]))  # its weights no longer fit its config
    with (
        pytest.warns(RuntimeWarning),
        pytest.raises(
            ValueError,
            match=rf"path='{path}': the stored weights do not fit .*nbgen 0.0.1.*Load it with the nbgen that wrote it",
        ),
    ):
        nbgen.resume(path)
    _rewrite(path, lambda meta: meta.update(version=99, nbgen="9.0"))
    with pytest.raises(ValueError, match=rf"path='{path}' was written by a newer nbgen \(9.0, this is .*upgrade nbgen"):
        nbgen.resume(path)


def test_your_own_networks_and_data_in_memory_resume_exactly(tmp_path):
    import keras
    from keras import layers as L

    def model():
        enc = keras.Sequential([keras.Input((2,)), L.Dense(16, activation="relu"), L.Dense(4)])
        dec = keras.Sequential([keras.Input((2,)), L.Dense(16, activation="relu"), L.Dense(2)])
        return nbgen.VAE(enc, dec)

    x = np.random.default_rng(0).normal(size=(600, 2)).astype("float32")
    keras.utils.set_random_seed(0)
    ref = nbgen.Session(model(), x, epochs=3, steps_per_dispatch=4)
    ref.train()
    keras.utils.set_random_seed(0)
    s = nbgen.Session(model(), x, epochs=3, steps_per_dispatch=4, checkpoint=tmp_path, checkpoint_every=0)
    stop_at(s, 9)
    s.train()
    r = nbgen.resume(tmp_path, progress=False)  # the networks from their Keras files, the data from the file
    same_run(r, ref)


def test_a_runs_end_is_written_as_such_even_right_after_a_checkpoint_at_its_last_step(tmp_path):
    s = nbgen.Session("ae", "digits", epochs=2, checkpoint=tmp_path, checkpoint_every=0, hidden=(16,))
    c = s.checkpointer
    hook = c._at_boundary

    def every_boundary(cur, final):  # a checkpoint at every boundary, the last one included
        if not final:
            c.wait()
        hook(cur, final)

    s.engine.boundary_hooks[:] = [every_boundary]
    s.train()
    saved = saving.read(ck.checkpoints(tmp_path)[-1])
    assert saved.record["step"] == s.step and saved.checkpoint["final"] and saved.checkpoint["status"] == "finished"
    (row,) = nbgen.runs().to_dict("records")
    assert row["status"] == "finished" and row["checkpoint"] == ck.checkpoints(tmp_path)[-1]
