"""A fourth model written only against the documented protocol (nbgen/models/base.py):
the session, metrics, views and widget serve it without knowing it."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import nbgen  # before keras: nbgen selects Keras's JAX backend
from nbgen.models import REGISTRY, GenerativeModel, register

keras = pytest.importorskip("keras")


class LinearAutoencoder(GenerativeModel):
    """PCA's cousin: a linear encoder and decoder trained on the squared error."""

    name = "linear_ae"
    network_names = ("encoder", "decoder")
    hyperparameters = ("latent_dim",)
    fixed_by_networks = ("latent_dim", "hidden", "architecture")
    capabilities = frozenset({"encode", "decode", "reconstruct"})
    panels = ("loss", "latent", "reconstructions")
    metric_names = ("loss",)
    val_metric_names = ("val_loss",)

    def __init__(self, encoder=None, decoder=None, **hp):
        super().__init__(encoder=encoder, decoder=decoder, **hp)

    def defaults(self, dataset, given):
        return {"latent_dim": 2, "hidden": (1,), "learning_rate": 1e-2, "batch_size": 64, "epochs": 5}

    def default_networks(self, dataset, hp):
        x = keras.Input((dataset.features,))
        z = keras.Input((hp["latent_dim"],))
        return {
            "encoder": keras.Model(x, keras.layers.Dense(hp["latent_dim"])(x), name="encoder"),
            "decoder": keras.Model(z, keras.layers.Dense(dataset.features)(z), name="decoder"),
        }

    def make_optimizers(self, hp):
        return {"all": (keras.optimizers.Adam(hp["learning_rate"]), ["encoder", "decoder"])}

    def encode(self, params, x):
        return self.call(params, "encoder", x)

    def decode(self, params, z):
        return self.rows(self.call(params, "decoder", z))

    def reconstruct(self, params, x, key=None):
        return self.decode(params, self.encode(params, x))

    def train_step(self, state, data, rows, live, key):
        x = data[rows]

        def loss_fn(tvs):
            params = {n: {"tv": tvs[n], "ntv": state["params"][n]["ntv"]} for n in tvs}
            return jnp.mean(jnp.square(self.reconstruct(params, x) - x))

        loss, grads = jax.value_and_grad(loss_fn)({n: state["params"][n]["tv"] for n in self.networks})
        return self.apply_gradients(state, "all", grads, live["learning_rate"]), {"loss": loss}

    def eval_batch(self, params, x, live, key):
        return {"val_loss": jnp.mean(jnp.square(self.reconstruct(params, x) - x), axis=-1)}


@pytest.fixture
def registered():
    register(LinearAutoencoder)
    yield
    REGISTRY.pop("linear_ae")  # other tests see the three built-in models only


def test_a_registered_fourth_model_trains_evaluates_and_is_drawn(registered):
    s = nbgen.train("linear_ae", "digits", epochs=5, progress=False)
    assert s.kind == "linear_ae" and s.history["val_loss"][-1] < s.history["val_loss"][0]
    assert s.encode(s.dataset.x_val[:3]).shape == (3, 2)
    m = s.evaluate()
    assert m["mse"] >= m["pca_mse"] * 0.99  # a linear model cannot beat PCA
    with pytest.raises(TypeError, match=r"sample\(\) is not available for the linear_ae model: .*'vae' or 'gan'"):
        s.sample(2)
    from nbgen.ui.plots import SessionFigure

    fig = SessionFigure(s)
    try:
        fig.draw(force=True)
        assert fig.has_trace("reconstructions") and not fig.has_trace("samples")
        assert len(fig.trace("latent").x) > 0
        assert fig.decode_at(0.0, 0.0).shape == (8, 8)
    finally:
        fig.widget.close()
        s.close()
    assert np.isfinite(s.history["loss"]).all()
    assert LinearAutoencoder(latent_dim=3).accepts[0] == "latent_dim"
