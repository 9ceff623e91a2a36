"""A Keras model that trains with two optimizers: a GAN written as a keras.Model with its own
d_optimizer and g_optimizer and a JAX train_step (nbgen/models/keras_optimizers.py, issue 24)."""

from __future__ import annotations

import jax
import keras
import numpy as np
import pytest
from keras import layers, ops

import nbgen
from nbgen.models import KerasModelError


class TwoOptimizerGAN(keras.Model):
    """A GAN as a Keras user writes one for JAX: two networks, two optimizers built in compile()."""

    def __init__(self, noise_dim: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.noise_dim = noise_dim
        self.generator = keras.Sequential(
            [keras.Input((noise_dim,)), layers.Dense(64, activation="relu"), layers.Dense(64, activation="relu"),
             layers.Dense(2)], name="generator")  # fmt: skip
        self.discriminator = keras.Sequential(
            [keras.Input((2,)), layers.Dense(64, activation="relu"), layers.Dense(64, activation="relu"),
             layers.Dense(1)], name="discriminator")  # fmt: skip

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    def call(self, x):
        return self.discriminator(x)

    def train_step(self, state, data):
        tv, ntv, opt, metrics = state
        real = data[0] if isinstance(data, tuple) else data
        n_g = len(self.generator.trainable_variables)
        g_tv, d_tv = tv[:n_g], tv[n_g:]
        key = jax.random.fold_in(jax.random.key(0), opt["d_optimizer"][0])  # a new draw every step
        noise = jax.random.normal(key, (real.shape[0], self.noise_dim))

        def d_loss(d_tv):
            fake, _ = self.generator.stateless_call(g_tv, [], noise)
            real_logit, _ = self.discriminator.stateless_call(d_tv, [], real)
            fake_logit, _ = self.discriminator.stateless_call(d_tv, [], fake)
            return ops.mean(ops.softplus(-real_logit)) + ops.mean(ops.softplus(fake_logit))

        def g_loss(g_tv):
            fake, _ = self.generator.stateless_call(g_tv, [], noise)
            fake_logit, _ = self.discriminator.stateless_call(d_tv, [], fake)
            return ops.mean(ops.softplus(-fake_logit))

        dl, d_grads = jax.value_and_grad(d_loss)(d_tv)
        d_tv, d_opt = self.d_optimizer.stateless_apply(opt["d_optimizer"], d_grads, d_tv)
        gl, g_grads = jax.value_and_grad(g_loss)(g_tv)
        g_tv, g_opt = self.g_optimizer.stateless_apply(opt["g_optimizer"], g_grads, g_tv)
        logs = {"loss": gl, "d_loss": dl}
        return logs, (list(g_tv) + list(d_tv), ntv, {"d_optimizer": d_opt, "g_optimizer": g_opt}, metrics)


def gan(d_lr: float = 1e-3, g_lr: float = 1e-3) -> TwoOptimizerGAN:
    model = TwoOptimizerGAN(name="two_optimizer_gan")
    model.compile(keras.optimizers.Adam(d_lr, beta_1=0.5), keras.optimizers.Adam(g_lr, beta_1=0.5))
    return model


def learns_with_a_rate_change(s, name: str, before: int, after: int) -> None:
    """Train ``before`` epochs, halve rate ``name`` (1e-3 -> 5e-4), train ``after`` more: the
    change is in the timeline, the samples come to lie on the moons, replay gives the same run."""
    s.frames.start()
    s.train(epochs=before)
    s.set(**{name: 5e-4})
    s.train(epochs=after)
    assert [(r["name"], r["new"]) for r in s.timeline] == [(name, 5e-4)]
    js = s.frames.divergence
    first, last = js[min(js)][1], js[max(js)][1]
    assert last < 0.5 * first, (first, last)  # the generated points' JS divergence from the data's
    assert s.replay().history == s.history  # both optimizers' states and the change, exactly


def test_each_optimizer_gets_a_live_learning_rate_and_the_gan_learns_the_data():
    s = nbgen.Session(gan(), "moons", epochs=30, batch_size=128, seed=0)
    hp = s.hyperparameters
    assert hp["d_optimizer_learning_rate"] == 1e-3 and hp["g_optimizer_learning_rate"] == 1e-3
    assert "learning_rate" not in hp
    learns_with_a_rate_change(s, "g_optimizer_learning_rate", 10, 20)
    assert {"loss", "d_loss"} <= set(s.history)
    # the user's optimizers hold the trained state, as after fit
    assert int(np.asarray(s.model.d_optimizer.iterations)) == s.step


def test_a_second_optimizer_needs_a_jax_step_and_to_be_built():
    class KerasStep(TwoOptimizerGAN):
        train_step = keras.Model.train_step

    model = KerasStep()
    model.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    with pytest.raises(KerasModelError, match="holds optimizers d_optimizer, g_optimizer besides model.optimizer"):
        nbgen.Session(model, "moons")
    unbuilt = TwoOptimizerGAN()
    keras.Model.compile(unbuilt)
    unbuilt.d_optimizer, unbuilt.g_optimizer = keras.optimizers.Adam(), keras.optimizers.Adam()
    with pytest.raises(KerasModelError, match="optimizer 'd_optimizer' is not built: build it in compile"):
        nbgen.Session(unbuilt, "moons")


def test_reduce_lr_on_plateau_on_a_model_with_its_own_optimizers_is_refused_not_ignored():
    s = nbgen.Session(gan(), "moons", epochs=2, batch_size=128)
    with pytest.raises(ValueError, match="sets model.optimizer.s learning rate, which does not train"):
        s.train(callbacks=[keras.callbacks.ReduceLROnPlateau()])  # it would move the unused model.optimizer
    assert s.step == 0
