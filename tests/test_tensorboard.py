"""A run in TensorBoard, read back with TensorBoard's own reader: every step's losses, the epoch
metrics at their steps, the hyperparameter changes, the picture; live while training too."""

from __future__ import annotations

import os

import numpy as np
import pytest

import nbgen
from nbgen.export_tensorboard import read_scalars


def _as_f32(values):
    return [float(np.float32(v)) for v in values]


def test_a_finished_run_reads_back_as_it_was(tmp_path):
    s = nbgen.Session("vae", "digits", epochs=3)
    s.train(2)
    s.set(learning_rate=5e-4)
    s.train(1)
    logdir = nbgen.to_tensorboard(s, tmp_path / "run")
    r = read_scalars(logdir)
    assert [v for _, v in r["step/loss"]] == _as_f32(s.steps["loss"])
    assert [st for st, _ in r["step/loss"]] == s.steps["step"]
    assert r["epoch/val_loss"] == list(zip(s.engine.epoch_ends, _as_f32(s.history["val_loss"])))
    assert r["hparams/learning_rate"] == [(0, float(np.float32(1e-3))), (22, float(np.float32(5e-4)))]
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(logdir, size_guidance={"images": 0})
    acc.Reload()
    image = acc.Images("snapshot")[0]
    assert image.step == s.step and image.encoded_image_string.startswith(b"\x89PNG")


def test_live_export_follows_the_training(tmp_path):
    s = nbgen.Session("gan", "ring", epochs=2)
    logdir = nbgen.to_tensorboard(s, tmp_path / "live", live=True)
    s.train()
    r = read_scalars(logdir)
    assert len(r["step/d_loss"]) == s.step and len(r["epoch/d_loss"]) == 2


def test_a_folder_that_cannot_be_made_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    s = nbgen.Session("vae", "digits", epochs=1)
    with pytest.raises(OSError, match="logdir .* cannot be made"):
        nbgen.to_tensorboard(s, os.path.join(blocker, "run"))
