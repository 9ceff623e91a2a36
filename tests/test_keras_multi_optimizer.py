"""Keras's own form of a model that trains with several optimizers: one model.optimizer, a
keras.optimizers.MultiOptimizer that hands each variable to a sub-optimizer by its path. Each
sub-optimizer's rate is a live control (learning_rate_<name>), moved by ReduceLROnPlateau as
under fit; a GAN written so trains under nbgen and under Keras's own fit (issue 24)."""

from __future__ import annotations

import jax
import keras
import numpy as np
import pytest
from keras import ops
from test_keras_optimizers import TwoOptimizerGAN, learns_with_a_rate_change

import nbgen
from nbgen.models import KerasModelError

pytestmark = pytest.mark.skipif(not hasattr(keras.optimizers, "MultiOptimizer"), reason="Keras without MultiOptimizer")
OPT = keras.optimizers


class MultiOptimizerGAN(TwoOptimizerGAN):
    """A GAN as one keras.Model with one optimizer, a MultiOptimizer: the generator's variables
    go to one Adam, the discriminator's to another (the networks are test_keras_optimizers'). Its
    JAX train_step takes both networks' gradients at the same weights and applies them in one
    stateless_apply (simultaneous updates: the one update per step that Keras's fit has room for)."""

    compile = keras.Model.compile  # Keras's own: compile(optimizer=MultiOptimizer(...))

    def train_step(self, state, data):
        tv, ntv, opt, metrics = state
        real = data[0] if isinstance(data, tuple) else data
        n_g = len(self.generator.trainable_variables)  # tv: the generator's variables, then the discriminator's
        key = jax.random.fold_in(jax.random.key(0), opt[0])  # opt[0]: the MultiOptimizer's step count
        noise = jax.random.normal(key, (real.shape[0], self.noise_dim))

        def losses(g_tv, d_tv):
            fake, _ = self.generator.stateless_call(g_tv, [], noise)
            real_logit, _ = self.discriminator.stateless_call(d_tv, [], real)
            fake_logit, _ = self.discriminator.stateless_call(d_tv, [], fake)
            d_loss = ops.mean(ops.softplus(-real_logit)) + ops.mean(ops.softplus(fake_logit))
            return d_loss, ops.mean(ops.softplus(-fake_logit))

        g_tv, d_tv = tv[:n_g], tv[n_g:]
        dl, d_grads = jax.value_and_grad(lambda d: losses(g_tv, d)[0])(d_tv)
        gl, g_grads = jax.value_and_grad(lambda g: losses(g, d_tv)[1])(g_tv)
        tv, opt = self.optimizer.stateless_apply(opt, list(g_grads) + list(d_grads), tv)
        return {"loss": gl, "d_loss": dl}, (tv, ntv, opt, metrics)


def gan(name: str = "gan", d_lr: float = 1e-3, g_lr: float = 1e-3) -> MultiOptimizerGAN:
    model = MultiOptimizerGAN(name=name)
    by_path = OPT.OptimizerMap(
        OPT.Adam(d_lr, beta_1=0.5, name="d_adam"), {"generator/.*": OPT.Adam(g_lr, beta_1=0.5, name="g_adam")}
    )
    model.compile(optimizer=OPT.MultiOptimizer(by_path))
    return model


def test_a_multioptimizer_gan_gets_a_rate_per_sub_optimizer_learns_and_replays():
    s = nbgen.Session(gan(), "moons", epochs=60, batch_size=128, seed=0)
    hp = s.hyperparameters
    assert hp["learning_rate_g_adam"] == 1e-3 and hp["learning_rate_d_adam"] == 1e-3
    assert "learning_rate" not in hp and "anneal" not in hp  # the MultiOptimizer's own rate trains nothing
    learns_with_a_rate_change(s, "learning_rate_g_adam", 20, 40)  # the samples come to lie on the moons
    g, d = s.model.optimizer.optimizers[0], s.model.optimizer.optimizers[1]
    assert (g.name, d.name) == ("g_adam", "d_adam") and float(np.asarray(g.learning_rate)) == pytest.approx(5e-4)
    # the same model is Keras's own: fit trains it as it is
    fitted = gan("fitted")
    history = fitted.fit(s.dataset.x_train[:512], epochs=1, batch_size=128, verbose=0)
    assert set(history.history) >= {"loss", "d_loss"}


def test_a_sub_optimizers_rate_moves_only_its_variables_and_reduce_lr_on_plateau_moves_each():
    s = nbgen.Session(gan("frozen_g", g_lr=1e-6), "moons", epochs=1, batch_size=128, seed=0)
    model = s.model
    g0 = [np.array(v) for v in model.generator.get_weights()]
    d0 = [np.array(v) for v in model.discriminator.get_weights()]
    s.train()
    g_moved = max(np.abs(a - b).max() for a, b in zip(model.generator.get_weights(), g0))
    d_moved = max(np.abs(a - b).max() for a, b in zip(model.discriminator.get_weights(), d0))
    assert g_moved < 1e-4 < d_moved, (g_moved, d_moved)
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, min_delta=10.0, factor=0.5)
    r = nbgen.train(gan("plateau"), "moons", epochs=2, batch_size=128, seed=0, callbacks=[plateau])
    changes = [(c["name"], c["new"], c["by"]) for c in r.timeline]
    assert ("learning_rate_g_adam", 5e-4, "callback") in changes and (
        "learning_rate_d_adam",
        5e-4,
        "callback",
    ) in changes
    assert isinstance(r.model.optimizer, OPT.MultiOptimizer)  # the user's optimizer is left as it was
    # after the run, as after fit: each sub-optimizer holds the last rate the callback set (halved once, at the last epoch's end)
    rates = {o.name: float(np.asarray(o.learning_rate)) for o in r.model.optimizer.optimizers}
    assert rates == pytest.approx({"g_adam": 5e-4, "d_adam": 5e-4})
    assert r.hyperparameters["learning_rate_g_adam"] == pytest.approx(5e-4)


def test_a_sub_optimizer_that_updates_nothing_is_refused_naming_it():
    model = MultiOptimizerGAN(name="typo")
    model.compile(
        optimizer=OPT.MultiOptimizer(
            OPT.OptimizerMap(OPT.Adam(name="d_adam"), {"typo/generator/.*": OPT.Adam(name="g_adam")})
        )
    )
    with pytest.raises(
        KerasModelError, match=r"sub-optimizer 'g_adam' of its MultiOptimizer updates none.*generator/dense"
    ):
        nbgen.Session(model, "moons")


def classifier(name: str, head: str) -> keras.Model:
    model = keras.Sequential(
        [keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(32, activation="relu", name="body"),
         keras.layers.Dense(10, name="head")], name=name)  # fmt: skip
    by_path = OPT.OptimizerMap(OPT.Adam(1e-3, name="adam_body"), {head: OPT.SGD(0.1, name="sgd_head")})
    model.compile(OPT.MultiOptimizer(by_path), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


# Keras's load_model cannot fill a MultiOptimizer's variables (it warns); nbgen.load restores them from its own state
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_a_saved_multioptimizer_model_loads_with_its_rates_when_its_patterns_hold_after_loading(tmp_path):
    keras.utils.set_random_seed(1)
    straight = nbgen.Session(
        classifier("straight", ".*head/.*"), "digits", epochs=2, seed=0, learning_rate_sgd_head=0.05
    )
    straight.train()
    keras.utils.set_random_seed(1)
    s = nbgen.Session(classifier("clf", ".*head/.*"), "digits", epochs=2, seed=0, learning_rate_sgd_head=0.05)
    s.train(epochs=1)
    s.save(tmp_path / "clf")
    t = nbgen.load(tmp_path / "clf")
    assert t.hyperparameters["learning_rate_sgd_head"] == 0.05 and t.history == s.history
    t.train(epochs=1)
    assert t.history["loss"] == straight.history["loss"]  # resumed exactly: both sub-optimizers' states
    # a pattern with the Sequential's name in front matches before saving, not after Keras's load_model
    u = nbgen.Session(classifier("named", "named/head/.*"), "digits", epochs=1, seed=0)
    u.save(tmp_path / "named")
    with pytest.raises(ValueError, match="'sgd_head' of its MultiOptimizer updates none.*such as '.\\*head"):
        nbgen.load(tmp_path / "named")
