"""Autoencoder: x -> encoder -> z -> decoder -> x_hat, trained on the mean squared error."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import keras

from .base import GenerativeModel, mlp


def reconstruction_mse(x: jax.Array, x_hat: jax.Array) -> jax.Array:
    """Per-row mean squared error, averaged over features: shape ``(n,)``."""
    return jnp.mean(jnp.square(x - x_hat), axis=-1)


class Autoencoder(GenerativeModel):
    kind = "autoencoder"
    metric_names = ("loss",)
    val_metric_names = ("val_loss",)
    can_encode = True
    weight_decay = 0.05

    def build(self) -> None:
        hidden, d = self.hp["hidden"], self.hp["latent_dim"]
        x = keras.Input((self.features,), name="x")
        z = keras.layers.Dense(d, name="z")(mlp("encoder", x, hidden))
        encoder = keras.Model(x, z, name="encoder")

        z_in = keras.Input((d,), name="z")
        h = mlp("decoder", z_in, tuple(reversed(hidden)))
        x_hat = keras.layers.Dense(self.features, activation=self.output_activation(), name="x_hat")(h)
        decoder = keras.Model(z_in, x_hat, name="decoder")

        self.networks = {"encoder": encoder, "decoder": decoder}
        # decoupled weight decay: the digits AE otherwise overfits after ~60 epochs
        # (benchmarks/quality.py measures the held-out MSE with and without it)
        opt = keras.optimizers.AdamW(self.hp["learning_rate"], weight_decay=self.weight_decay)
        self.optimizers = {"ae": (opt, ["encoder", "decoder"])}
        full_in = keras.Input((self.features,), name="x")
        self.keras_model = keras.Model(full_in, decoder(encoder(full_in)), name="autoencoder")
        self.keras_model.encoder, self.keras_model.decoder = encoder, decoder

    def encode(self, params, x):
        return self.call(params, "encoder", x)

    def decode(self, params, z):
        return self.call(params, "decoder", z)

    def reconstruct(self, params, x, key=None):
        return self.decode(params, self.encode(params, x))

    def train_step(self, state, data, rows, live, key):
        x = data[rows]

        def loss_fn(tvs):
            params = {n: {"tv": tvs[n], "ntv": state["params"][n]["ntv"]} for n in tvs}
            x_hat = self.reconstruct(params, x)
            return jnp.mean(reconstruction_mse(x, x_hat))

        tvs = {n: state["params"][n]["tv"] for n in ("encoder", "decoder")}
        loss, grads = jax.value_and_grad(loss_fn)(tvs)
        state = self.apply_gradients(state, "ae", grads, live["learning_rate"])
        return state, {"loss": loss}

    def eval_batch(self, params, x, live, key):
        return {"val_loss": reconstruction_mse(x, self.reconstruct(params, x))}
