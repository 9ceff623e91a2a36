"""A Keras optimizer's learning-rate schedule as a live control: learning_rate_scale (issue 24)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers

import nbgen


def scheduled(name: str = "scheduled") -> keras.Model:
    model = keras.Sequential(
        [keras.Input((8, 8)), layers.Flatten(), layers.Dense(32, activation="relu"), layers.Dense(10)], name=name
    )
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-2, decay_steps=50, decay_rate=0.5)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def weights(s) -> list[np.ndarray]:
    return [np.array(v) for v in s.model.get_weights()]


def test_a_scheduled_rate_gets_a_live_scale_that_trains_recorded_and_replayed():
    model = scheduled()
    s = nbgen.Session(model, "digits", epochs=3, seed=0)
    assert "learning_rate_scale" in s.generative_model.live_names and "learning_rate" not in s.hyperparameters
    assert s.hyperparameters["learning_rate_scale"] == 1.0
    frozen = nbgen.Session(scheduled("frozen"), "digits", epochs=1, seed=0, learning_rate_scale=1e-6)
    start = weights(frozen)
    frozen.train()
    moved = max(np.abs(a - b).max() for a, b in zip(weights(frozen), start))
    assert 0 < moved < 1e-4  # a scale near 0: the schedule's steps shrink to nearly nothing
    s.train(epochs=1)
    s.set(learning_rate_scale=0.25)
    s.train(epochs=2)
    assert [(r["name"], r["new"]) for r in s.timeline] == [("learning_rate_scale", 0.25)]
    assert s.history["val_accuracy"][-1] > 0.8
    assert s.replay().history == s.history  # the change is replayed at its step, exactly
    # the user's optimizer keeps its own schedule (model.fit runs it unscaled afterwards)
    assert type(model.optimizer._learning_rate).__name__ == "ExponentialDecay"


def test_a_scale_out_of_range_is_refused_by_name():
    s = nbgen.Session(scheduled("bad"), "digits", epochs=1)
    with pytest.raises(ValueError, match="learning_rate_scale"):
        s.set(learning_rate_scale=0)
    with pytest.raises(TypeError, match="'learning_rate' is not a hyperparameter.*accepts learning_rate_scale"):
        s.set(learning_rate=1e-3)  # a schedule has no rate to set: the scale moves it


def test_callbacks_that_set_a_scheduled_rate_are_refused_before_the_run_naming_the_scale():
    s = nbgen.Session(scheduled("plateau"), "digits", epochs=2)
    for cb in (keras.callbacks.ReduceLROnPlateau(), keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr)):
        with pytest.raises(ValueError, match=f"{type(cb).__name__} cannot set the learning rate.*learning_rate_scale"):
            s.train(callbacks=[cb])
    assert s.step == 0 and s.status != "error"  # nothing ran


def test_fitview_has_no_slider_for_a_schedule_and_fit_runs():
    model = scheduled("fitted")
    view = nbgen.FitView(display=False)
    view.learning_rate.value = 1e-4  # a move before or during fit: Keras cannot set a scheduled rate
    ds = nbgen.datasets.load("digits")
    history = model.fit(ds.x_train.reshape(-1, 8, 8), ds.y_train, epochs=1, verbose=0, callbacks=[view])
    assert len(history.epoch) == 1 and view.learning_rate.disabled and view.timeline == []
    assert "schedule" in view.learning_rate.tooltip
