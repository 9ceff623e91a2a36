"""The engine: live changes, pause/resume/stop, determinism, divergence."""

from __future__ import annotations

import threading
import time

import jax
import numpy as np
import pytest

import nbgen
from nbgen import compiled, jitcache
from nbgen.ui.labels import timeline_line


def test_live_change_applies_at_the_next_step_and_is_in_the_timeline():
    s = nbgen.Session("vae", "digits", epochs=1, steps_per_dispatch=1)
    seen_lr = []
    changed = threading.Event()

    def on_steps(event):
        if event["type"] == "steps":
            seen_lr.append((event["step"], s.engine.live["learning_rate"]))
            if event["step"] == 3:
                s.set(learning_rate=3e-4, beta=0.5)
                changed.set()

    s.subscribe(on_steps)
    s.train()
    assert changed.is_set()
    lr_change = [r for r in s.timeline if r["name"] == "learning_rate"]
    assert len(lr_change) == 1
    rec = lr_change[0]
    assert (rec["old"], rec["new"]) == (1e-3, 3e-4)
    assert rec["step"] == 3  # requested after step 3, applied to step 4 onwards
    assert dict(seen_lr)[4] == 3e-4 and dict(seen_lr)[3] == 1e-3
    assert {r["name"] for r in s.timeline} == {"learning_rate", "beta"}
    assert s.history["learning_rate"] == [3e-4]


def test_learning_rate_change_changes_the_update():
    """The live value is really used by the jitted step (not frozen at trace time)."""
    a = nbgen.Session("ae", "digits", epochs=1)
    b = nbgen.Session("ae", "digits", epochs=1)
    b.set(learning_rate=1e-5)
    a.train()
    b.train()
    assert a.history["loss"][0] < b.history["loss"][0] - 0.005
    assert b.timeline[0]["step"] == 0 and b.timeline[0]["new"] == 1e-5


def test_anneal_drops_the_learning_rate_once_as_a_recorded_change(tmp_path):
    s = nbgen.Session("ae", "digits", epochs=6, anneal=0.5, learning_rate=2e-3, batch_size=64)
    changes = []
    s.subscribe(lambda e: changes.append(e) if e["type"] == "change" else None)
    s.train(2)
    s.train(2)  # the drop belongs to the session's epoch count, not to one train() call
    assert s.history["learning_rate"] == [2e-3, 2e-3, 2e-3, 2e-4]  # epochs 1-3, then the last half
    (rec,) = s.timeline
    assert (rec["epoch"], rec["name"], rec["old"], rec["new"], rec["by"]) == (3, "learning_rate", 2e-3, 2e-4, "anneal")
    assert rec["step"] == 3 * (1437 // 64) and changes[0]["by"] == "anneal"
    assert timeline_line(rec) == "step 66: learning_rate 0.002 -> 0.0002 (anneal)"  # the widget's line
    s.save(tmp_path / "a.nbgen")
    back = nbgen.load(tmp_path / "a.nbgen")
    back.train(3)  # already dropped: no second drop after a reload, nor past `epochs`
    assert back.history["learning_rate"][-3:] == [2e-4] * 3 and len(back.timeline) == 1
    s.set(learning_rate=1e-3)  # the user's word after the drop stands
    s.train(1)
    assert s.history["learning_rate"][-1] == 1e-3 and s.timeline[-1]["by"] == "set"
    assert nbgen.train("vae", "digits", epochs=2).timeline == []  # off by default for the VAE


def test_same_seed_same_history_different_seed_different_history():
    h1 = nbgen.train("vae", "digits", epochs=3, seed=1).history
    h2 = nbgen.train("vae", "digits", epochs=3, seed=1).history
    h3 = nbgen.train("vae", "digits", epochs=3, seed=2).history
    assert h1 == h2
    assert h1["loss"] != h3["loss"]


def test_how_steps_are_grouped_into_dispatches_never_changes_a_result(monkeypatch):
    runs = {}
    for size in (1, 7, 64):
        s = nbgen.Session("vae", "digits", hidden=(32,), epochs=4, steps_per_dispatch=size)
        s.train()
        runs[size] = s
    for size in (7, 64):
        assert runs[size].history == runs[1].history  # exactly: each step draws from its global step number
        assert runs[size].steps == runs[1].steps
    assert runs[1].engine.dispatches == runs[1].step == 4 * (1437 // 128)
    # a dispatch runs on into the next epochs of a small data set: fewer dispatches than epochs
    monkeypatch.setattr(nbgen.engine, "DISPATCH_SECONDS", 1e9)  # always the full 64 steps (after the first two)
    s = nbgen.Session("vae", "digits", hidden=(32,), epochs=12)
    seen = []
    s.subscribe(lambda e: seen.append((e["type"], e["step"])) if e["type"] in ("steps", "epoch") else None)
    s.train()
    assert s.engine.dispatches == 2 + -(-(12 * 11 - 2) // 64) < 12
    assert len(s.history["val_loss"]) == 12 and s.engine.epoch_ends == [11 * (i + 1) for i in range(12)]
    # each epoch's metrics still arrive in order: its steps, then the epoch
    epochs_at = [step for kind, step in seen if kind == "epoch"]
    assert epochs_at == s.engine.epoch_ends
    assert [step for kind, step in seen if kind == "steps"] == sorted(step for kind, step in seen if kind == "steps")


def _conv_autoencoder():
    import keras

    keras.utils.set_random_seed(0)  # the same initial weights every time
    enc = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
         keras.layers.Flatten(), keras.layers.Dense(2)], name="enc")  # fmt: skip
    dec = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(64, activation="sigmoid"), keras.layers.Reshape((8, 8))], name="dec"
    )
    return nbgen.Autoencoder(enc, dec)


def test_conv_networks_on_a_cpu_run_one_step_per_dispatch_without_a_loop(monkeypatch):
    # XLA's CPU convolutions are ~3.3x slower inside a compiled loop (benchmarks/throughput.py --conv --conv-scan)
    dense = nbgen.Session("ae", "digits", hidden=(16,))
    assert not dense.engine.one_step
    s = nbgen.train(_conv_autoencoder(), "digits", epochs=2, seed=3, progress=False)
    assert s.engine.one_step and s.engine.dispatches == s.step == 2 * (1437 // s.hyperparameters["batch_size"])
    # the same steps through the loop program: the same results, up to float rounding
    monkeypatch.setattr(compiled, "one_step_per_dispatch", lambda model: False)
    jitcache.clear()
    looped = nbgen.train(_conv_autoencoder(), "digits", epochs=2, seed=3, progress=False)
    assert not looped.engine.one_step and looped.engine.dispatches < looped.step
    np.testing.assert_allclose(looped.history["loss"], s.history["loss"], rtol=1e-4)
    np.testing.assert_allclose(looped.history["val_loss"], s.history["val_loss"], rtol=1e-4)
    jitcache.clear()


def test_pause_takes_effect_within_a_dispatch_at_the_default_size():
    s = nbgen.Session("vae", "digits", epochs=10_000)
    s.train(block=False)
    deadline = time.time() + 60
    while s.step < 30 and time.time() < deadline:
        time.sleep(0.01)
    s.pause()
    time.sleep(1.0)  # a dispatch runs about 0.1 s of training
    paused_at = s.step
    time.sleep(0.5)
    assert s.status == "paused" and s.step == paused_at
    s.stop()
    assert not s.running


def test_pause_resume_and_stop_in_the_background():
    s = nbgen.Session("vae", "digits", epochs=10_000, steps_per_dispatch=1)
    s.train(block=False)
    deadline = time.time() + 60
    while s.step < 5 and time.time() < deadline:
        time.sleep(0.01)
    s.pause()
    time.sleep(0.2)
    assert s.status == "paused"
    paused_at = s.step
    time.sleep(0.5)
    assert s.step <= paused_at + 1  # at most the step in flight
    s.resume()
    while s.step < paused_at + 5 and time.time() < deadline:
        time.sleep(0.01)
    assert s.step >= paused_at + 5
    t0 = time.perf_counter()
    s.stop()
    assert time.perf_counter() - t0 < 5
    assert not s.running and s.status == "stopped"
    stopped_at = s.step
    time.sleep(0.2)
    assert s.step == stopped_at
    assert len(s.history["loss"]) == s.epoch >= 1  # the partial epoch is kept
    # it trains again afterwards, continuing the step count
    s.train(1)
    assert s.step > stopped_at


def test_divergence_stops_rolls_back_and_keeps_history():
    s = nbgen.Session("vae", "digits", epochs=2)
    s.train()
    before = {k: list(v) for k, v in s.history.items()}
    s.set(learning_rate=10.0)
    with pytest.raises(nbgen.TrainingDiverged, match="learning_rate=10.*rolled back.*lower learning_rate"):
        s.train(30)
    assert s.status == "error"
    for k, v in before.items():
        assert s.history[k][: len(v)] == v
    leaves = jax.tree_util.tree_leaves(s.engine.state)
    assert all(np.all(np.isfinite(np.asarray(x))) for x in leaves)
    assert np.all(np.isfinite(s.encode(s.dataset.x_val[:5])))
    # the error is also kept for views, and training can go on after lowering the rate
    assert isinstance(s.error, nbgen.TrainingDiverged)
    s.set(learning_rate=1e-3)
    s.train(1)
    assert s.status == "finished"


def test_background_error_is_reraised_by_wait():
    s = nbgen.Session("vae", "digits", learning_rate=10.0)
    s.train(50, block=False)
    with pytest.raises(nbgen.TrainingDiverged):
        s.wait(timeout=120)


def test_batch_size_change_applies_at_the_next_epoch():
    s = nbgen.Session("ae", "digits", epochs=2, batch_size=128, anneal=0.0)
    s.train(1)
    s.set(batch_size=64)
    s.train(1)
    assert s.step == 1437 // 128 + 1437 // 64
    assert s.timeline[-1]["name"] == "batch_size"


def test_reset_after_an_annealed_run_starts_at_the_learning_rate_before_the_drop():
    s = nbgen.train("ae", "moons", hidden=(8,), epochs=2, anneal=0.5, learning_rate=2e-3, progress=False)
    assert s.hyperparameters["learning_rate"] == pytest.approx(2e-4)  # dropped for the run's last half
    s.reset()
    assert s.hyperparameters["learning_rate"] == pytest.approx(2e-3)
    s.train(1)
    s.set(learning_rate=5e-4)  # a rate the user chose stands across a reset
    s.reset()
    assert s.hyperparameters["learning_rate"] == pytest.approx(5e-4)


def test_steps_one_at_a_time_make_the_same_run_as_training_straight_through():
    """train(steps=n) runs exactly n optimizer steps and may end inside an epoch; the next run
    goes on from there, so stepping, then training, equals training alone (history, per-step
    losses, weights) and replay() reproduces it."""
    import jax

    s = nbgen.Session("vae", "digits", epochs=3, seed=0)
    s.train(steps=1)
    assert (s.step, s.epoch) == (1, 0)
    s.train(steps=1)
    s.train(steps=30)  # 11 steps an epoch: two epochs and 10 steps of the third
    assert (s.step, s.epoch) == (32, 2)
    s.train(epochs=2)  # the third epoch's last step, then one more epoch
    ref = nbgen.Session("vae", "digits", epochs=3, seed=0)
    ref.train(epochs=4)
    assert s.step == ref.step == 44
    assert s.history == ref.history and s.engine.steps == ref.engine.steps
    for a, b in zip(jax.tree_util.tree_leaves(s.engine.state), jax.tree_util.tree_leaves(ref.engine.state)):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    assert s.replay().history == s.history
    with pytest.raises(ValueError, match="give epochs or steps, not both"):
        s.train(epochs=1, steps=1)
    with pytest.raises(ValueError, match="steps"):
        s.train(steps=0)


def test_a_run_that_ended_inside_an_epoch_replays_to_the_same_step():
    s = nbgen.Session("gan", "ring", epochs=2, seed=1)
    s.train(steps=5)
    s.set(learning_rate=2e-4)
    s.train(steps=7)
    r = s.replay()
    assert r.step == s.step == 12 and r.engine.steps == s.engine.steps
    assert [(c["step"], c["name"], c["new"]) for c in r.timeline] == [(5, "learning_rate", 2e-4)]
