"""A Keras model's own sample(n) / generate(n) method as the source of samples (issue 24)."""

from __future__ import annotations

import jax
import keras
import numpy as np
import pytest
from keras import layers, ops

import nbgen
from nbgen.models import KerasModelError


class PriorModel(keras.Model):
    """An autoencoder whose decoder is not called "decoder": its samples come from its own method."""

    def __init__(self, out_shape=(8, 8), **kwargs):
        super().__init__(**kwargs)
        self.enc = keras.Sequential([layers.Flatten(), layers.Dense(32, activation="relu"), layers.Dense(2)])
        self.dec = keras.Sequential([layers.Dense(32, activation="relu"), layers.Dense(64), layers.Reshape(out_shape)])

    def call(self, x):
        return self.dec(self.enc(x))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return ops.mean(ops.square(y_pred - x))

    def sample(self, n, seed=None):
        return self.dec(keras.random.normal((n, 2), seed=seed))


class Generates(PriorModel):
    sample = None  # type: ignore[assignment]  # no sample(): its generate() is the source

    def generate(self, n):
        return ops.reshape(self.dec(keras.random.normal((n, 2))), (n, 64))  # flat rows also work


class WrongShape(PriorModel):
    def sample(self, n, seed=None):
        return ops.ones((n, 3))


class ReturnsNone(PriorModel):
    def sample(self, n, seed=None):
        return None


class TakesNoN(PriorModel):
    def sample(self):  # type: ignore[override]
        return ops.ones((2, 8, 8))


def compiled(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def test_a_models_sample_method_draws_the_samples_with_the_trained_weights():
    s = nbgen.Session(compiled(PriorModel(name="prior")), "digits", epochs=1, seed=0)
    assert s.generative_model.can("sample") and "samples" in s.generative_model.panels
    before = s.sample(4, seed=3)
    s.train()
    a, b, c = s.sample(4, seed=3), s.sample(4, seed=3), s.sample(4, seed=4)
    assert a.shape == (4, 8, 8) and np.array_equal(a, b) and not np.allclose(a, c)  # seeded: the views' noise stays
    assert not np.allclose(a, before)  # the trained weights, not the initial ones
    # the method's own rows, in the data's units: the same as calling it with the trained weights
    seed = int(jax.random.randint(jax.random.key(3), (), 0, 2**31 - 1))  # what nbgen passes for seed=3
    direct = np.asarray(s.model.sample(4, seed=seed))
    assert np.allclose(a, direct, atol=1e-5)
    assert len(s.figure().data) > 0


def test_a_generate_method_without_a_seed_works_and_a_wrong_shape_is_refused_by_name():
    s = nbgen.Session(compiled(Generates(name="gen")), "digits", epochs=1)
    assert s.sample(3).shape == (3, 8, 8)
    # refused when the session is built (nbgen draws 2 rows then), never in a view
    with pytest.raises(KerasModelError, match=r"model 'small': sample\(2\) returned an array of shape \(2, 3\)"):
        nbgen.Session(compiled(WrongShape(name="small")), "digits", epochs=1)
    with pytest.raises(
        KerasModelError, match=r"model 'nothing': sample\(2\) returned NoneType 'None'; nbgen needs 2 rows"
    ):
        nbgen.Session(compiled(ReturnsNone(name="nothing")), "digits", epochs=1)
    with pytest.raises(KerasModelError, match=r"model 'no_n': its sample\(\) cannot be called as sample\(n\)"):
        nbgen.Session(compiled(TakesNoN(name="no_n")), "digits", epochs=1)
