"""Keras callbacks keep their contract in nbgen's runs (nbgen.callbacks)."""

from __future__ import annotations

import csv

import keras
import numpy as np
import pytest
from test_keras_model import classifier

import nbgen


class Recorder(keras.callbacks.Callback):
    """What a callback hears, and the weights at each epoch end."""

    def __init__(self):
        super().__init__()
        self.events, self.weights = [], []

    def on_train_begin(self, logs=None):
        self.events.append(("train_begin",))

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch_begin", epoch))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch_end", epoch, sorted(logs)))
        self.weights.append([np.array(w) for w in self.model.get_weights()])

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("batch_end", batch, float(logs["loss"])))

    def on_train_end(self, logs=None):
        self.events.append(("train_end",))


def test_hooks_come_in_fits_order_with_keras_logs_and_epochs_count_on():
    rec = Recorder()
    s = nbgen.train(classifier(), "digits", epochs=2, callbacks=[rec], progress=False)
    kinds = [e[0] for e in rec.events if e[0] != "batch_end"]
    assert kinds == ["train_begin", "epoch_begin", "epoch_end", "epoch_begin", "epoch_end", "train_end"]
    assert rec.events[1] == ("epoch_begin", 0)
    end = next(e for e in rec.events if e[0] == "epoch_end")
    assert end[2] == ["accuracy", "learning_rate", "loss", "val_accuracy", "val_loss"]
    batches = [e for e in rec.events if e[0] == "batch_end"]
    assert len(batches) == s.step == 2 * (len(s.dataset.x_train) // 32)
    first_epoch = [e[2] for e in batches[: s.step // 2]]
    assert first_epoch[-1] == pytest.approx(s.history["loss"][0], rel=1e-5)  # the running mean, as Keras gives it
    s.train(1, callbacks=[rec])
    assert ("epoch_begin", 2) in rec.events  # as fit(initial_epoch=2) numbers them


def test_reduce_lr_on_plateau_reaches_the_timeline_and_replays():
    cb = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=100.0)
    s = nbgen.train(classifier(), "digits", epochs=4, callbacks=[cb], progress=False)
    changes = [r for r in s.timeline if r["name"] == "learning_rate"]
    assert changes and all(r["by"] == "callback" for r in changes)
    assert s.history["learning_rate"][0] == 0.001 and s.history["learning_rate"][-1] < 0.001
    assert s.replay().history == s.history  # the replica has no callback: the timeline carries its changes


def test_early_stopping_stops_and_restores_the_best_weights():
    rec = Recorder()
    stop = keras.callbacks.EarlyStopping(monitor="loss", min_delta=100.0, patience=2, restore_best_weights=True)
    s = nbgen.train(classifier(), "digits", epochs=20, callbacks=[rec, stop], progress=False)
    assert s.epoch == 3 and s.status == "stopped"  # epoch 0 is the best; two epochs without a gain
    restored = s.model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(restored, rec.weights[0]))
    assert not all(np.array_equal(a, b) for a, b in zip(restored, rec.weights[-1]))
    x = s.dataset.x_val.reshape(-1, 8, 8)
    direct = s.model.predict(x, verbose=0)
    s.set(learning_rate=1e-9)
    s.train(1)  # training goes on from the restored weights, not the last ones
    assert np.abs(s.model.predict(x, verbose=0) - direct).max() < 1e-2


def test_csv_logger_and_model_checkpoint_write_what_keras_writes(tmp_path):
    log, ckpt = tmp_path / "log.csv", tmp_path / "model.keras"
    s = nbgen.train(
        classifier(),
        "digits",
        epochs=3,
        callbacks=[keras.callbacks.CSVLogger(str(log)), keras.callbacks.ModelCheckpoint(str(ckpt))],
        progress=False,
    )
    rows = list(csv.DictReader(log.open()))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    assert float(rows[-1]["val_accuracy"]) == pytest.approx(s.history["val_accuracy"][-1])
    saved = keras.saving.load_model(ckpt)
    x = s.dataset.x_val.reshape(-1, 8, 8)
    assert np.allclose(saved.predict(x, verbose=0), s.model.predict(x, verbose=0), atol=1e-5)


def test_backup_and_restore_resumes_a_run_that_crashed(tmp_path):
    class Crash(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("the kernel died")

    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    model = classifier()
    s = nbgen.Session(model, "digits", epochs=5)
    with pytest.raises(RuntimeError, match="the kernel died"):
        s.train(callbacks=[backup, Crash()])
    weights = [np.array(w) for w in model.get_weights()]  # what the backup holds: the end of epoch 2
    again = nbgen.Session(classifier(), "digits", epochs=5)
    rec = Recorder()
    again.train(callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path / "backup")), rec])
    assert rec.events[1] == ("epoch_begin", 3)  # resumed after the three epochs the backup holds
    assert again.epoch == 5 and len(again.history["loss"]) == 2
    del weights


def test_nbgens_own_models_take_callbacks_too():
    cb = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=1e6)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e6, patience=1)
    s = nbgen.train("vae", "digits", epochs=30, callbacks=[cb, stop], progress=False)
    assert s.epoch == 2 and s.status == "stopped"
    assert [r["by"] for r in s.timeline] == ["callback"]  # epoch 0 sets the best, epoch 1 lowers the rate


def test_callbacks_that_are_not_callbacks_are_refused():
    with pytest.raises(TypeError, match=r"callbacks\[0\] must be a keras.callbacks.Callback, got function"):
        nbgen.Session(classifier(), "digits", callbacks=[lambda epoch: None])
    with pytest.raises(TypeError, match="callbacks must be a list of keras.callbacks.Callback, got str"):
        nbgen.train(classifier(), "digits", callbacks="early")
