"""Variational autoencoder (Kingma & Welling, 2014).

encoder(x) -> (z_mean, z_log_var); z = z_mean + exp(z_log_var / 2) * eps;
decoder(z) -> p(x | z): Bernoulli logits for data in [0, 1], a Gaussian with a
learned per-feature log-scale for real-valued data. The loss is the negative
ELBO with the KL term weighted by ``beta`` (live-tunable):

    loss = reconstruction + beta * KL(q(z | x) || N(0, I))
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import keras

from .base import GenerativeModel, mlp

LOG_2PI = math.log(2 * math.pi)


@keras.saving.register_keras_serializable(package="nbgen")
class GaussianLogScale(keras.layers.Layer):
    """A learned per-feature log standard deviation of a Gaussian decoder."""

    def build(self, input_shape):
        self.log_scale = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="log_scale")

    def call(self, mean):
        return keras.ops.zeros_like(mean) + self.log_scale


def kl_divergence(z_mean: jax.Array, z_log_var: jax.Array) -> jax.Array:
    """Analytic KL(N(z_mean, exp(z_log_var)) || N(0, I)) per row, in nats."""
    return -0.5 * jnp.sum(1.0 + z_log_var - jnp.square(z_mean) - jnp.exp(z_log_var), axis=-1)


def bernoulli_nll(x: jax.Array, logits: jax.Array) -> jax.Array:
    """-log p(x | logits) summed over features (binary cross-entropy on logits)."""
    return jnp.sum(jnp.logaddexp(0.0, logits) - x * logits, axis=-1)


def gaussian_nll(x: jax.Array, mean: jax.Array, log_scale: jax.Array) -> jax.Array:
    """-log N(x; mean, exp(log_scale)^2) summed over features."""
    return jnp.sum(0.5 * jnp.square((x - mean) * jnp.exp(-log_scale)) + log_scale + 0.5 * LOG_2PI, axis=-1)


def standard_normal_logpdf(z: jax.Array) -> jax.Array:
    return -0.5 * jnp.sum(jnp.square(z) + LOG_2PI, axis=-1)


def diag_normal_logpdf(z: jax.Array, mean: jax.Array, log_var: jax.Array) -> jax.Array:
    return -0.5 * jnp.sum(jnp.square(z - mean) * jnp.exp(-log_var) + log_var + LOG_2PI, axis=-1)


class VAE(GenerativeModel):
    kind = "vae"
    metric_names = ("loss", "reconstruction", "kl")
    val_metric_names = ("val_loss", "val_reconstruction", "val_kl")
    can_encode = True
    can_sample = True

    def build(self) -> None:
        hidden, d = self.hp["hidden"], self.hp["latent_dim"]
        x = keras.Input((self.features,), name="x")
        h = mlp("encoder", x, hidden)
        z_mean = keras.layers.Dense(d, name="z_mean")(h)
        z_log_var = keras.layers.Dense(d, name="z_log_var")(h)
        encoder = keras.Model(x, [z_mean, z_log_var], name="encoder")

        z_in = keras.Input((d,), name="z")
        h = mlp("decoder", z_in, tuple(reversed(hidden)))
        if self.unit_interval:
            outputs = keras.layers.Dense(self.features, name="logits")(h)
        else:
            mean = keras.layers.Dense(self.features, name="mean")(h)
            outputs = [mean, GaussianLogScale(name="log_scale")(mean)]
        decoder = keras.Model(z_in, outputs, name="decoder")

        self.networks = {"encoder": encoder, "decoder": decoder}
        self.optimizers = {"vae": (keras.optimizers.Adam(self.hp["learning_rate"]), ["encoder", "decoder"])}
        full_in = keras.Input((self.features,), name="x")
        mean_out = decoder(encoder(full_in)[0])
        if self.unit_interval:
            mean_out = keras.layers.Activation("sigmoid", name="x_mean")(mean_out)
        else:
            mean_out = mean_out[0]
        self.keras_model = keras.Model(full_in, mean_out, name="vae")
        self.keras_model.encoder, self.keras_model.decoder = encoder, decoder

    # -- the math ------------------------------------------------------------
    def encode_dist(self, params, x):
        z_mean, z_log_var = self.call(params, "encoder", x)
        return z_mean, z_log_var

    def encode(self, params, x):
        return self.encode_dist(params, x)[0]

    def nll(self, params, x, z):
        """-log p(x | z) per row."""
        out = self.call(params, "decoder", z)
        if self.unit_interval:
            return bernoulli_nll(x, out)
        return gaussian_nll(x, out[0], out[1])

    def decode(self, params, z):
        """The decoder's mean E[x | z]."""
        out = self.call(params, "decoder", z)
        return jax.nn.sigmoid(out) if self.unit_interval else out[0]

    def reconstruct(self, params, x, key=None):
        return self.decode(params, self.encode(params, x))

    def sample(self, params, key, n):
        z = jax.random.normal(key, (n, self.hp["latent_dim"]))
        return self.decode(params, z)

    def terms(self, params, x, key):
        z_mean, z_log_var = self.encode_dist(params, x)
        eps = jax.random.normal(key, z_mean.shape)
        z = z_mean + jnp.exp(0.5 * z_log_var) * eps  # the reparameterization trick
        return self.nll(params, x, z), kl_divergence(z_mean, z_log_var)

    def train_step(self, state, data, rows, live, key):
        x = data[rows]

        def loss_fn(tvs):
            params = {n: {"tv": tvs[n], "ntv": state["params"][n]["ntv"]} for n in tvs}
            rec, kl = self.terms(params, x, key)
            loss = jnp.mean(rec + live["beta"] * kl)
            return loss, (jnp.mean(rec), jnp.mean(kl))

        tvs = {n: state["params"][n]["tv"] for n in ("encoder", "decoder")}
        (loss, (rec, kl)), grads = jax.value_and_grad(loss_fn, has_aux=True)(tvs)
        state = self.apply_gradients(state, "vae", grads, live["learning_rate"])
        return state, {"loss": loss, "reconstruction": rec, "kl": kl}

    def eval_batch(self, params, x, live, key):
        rec, kl = self.terms(params, x, key)
        return {"val_loss": rec + live["beta"] * kl, "val_reconstruction": rec, "val_kl": kl}

    def importance_bound(self, params, x, key, k: int):
        """-log p(x) estimated with k importance samples from q(z | x) (IWAE bound).

        Returns ``(neg_elbo, neg_iw_bound)``, each per row; the second is <= the first
        in expectation and tightens as k grows.
        """
        z_mean, z_log_var = self.encode_dist(params, x)
        eps = jax.random.normal(key, (k, *z_mean.shape))
        z = z_mean + jnp.exp(0.5 * z_log_var) * eps  # (k, n, d)

        def log_w(zk):
            return -self.nll(params, x, zk) + standard_normal_logpdf(zk) - diag_normal_logpdf(zk, z_mean, z_log_var)

        lw = jax.lax.map(log_w, z)  # (k, n)
        neg_elbo = -jnp.mean(lw, axis=0)
        neg_iw = -(jax.scipy.special.logsumexp(lw, axis=0) - math.log(k))
        return neg_elbo, neg_iw
