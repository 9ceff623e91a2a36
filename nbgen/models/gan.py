"""Generative adversarial network (Goodfellow et al., 2014), non-saturating loss.

generator(noise) -> x_fake; discriminator(x) -> a logit for "real". Each has its
own Adam optimizer. Per generator step the discriminator takes ``d_steps``
steps (live-tunable):

    d_loss = softplus(-D(x_real)) + softplus(D(x_fake))      (-log D(real) - log(1 - D(fake)))
    g_loss = softplus(-D(G(noise)))                            (-log D(G(noise)))
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import keras

from .base import GenerativeModel, mlp


@keras.saving.register_keras_serializable(package="nbgen")
class FourierFeatures(keras.layers.Layer):
    """x -> [x, sin(f x), cos(f x)] for the frequencies f = 2^0 .. 2^(bands-1), per feature.

    The positional encoding of NeRF (Mildenhall et al., 2020; Tancik et al., 2020):
    a ReLU MLP on raw 2-D coordinates learns fine (0.02-scale) structure only very
    slowly (spectral bias); these fixed features let the discriminator see it.
    """

    def __init__(self, bands: int = 6, **kwargs):
        super().__init__(**kwargs)
        self.bands = int(bands)

    def call(self, x):
        freqs = 2.0 ** keras.ops.arange(self.bands, dtype=x.dtype)  # (bands,)
        angles = keras.ops.reshape(x[..., :, None] * freqs, (-1, x.shape[-1] * self.bands))
        return keras.ops.concatenate([x, keras.ops.sin(angles), keras.ops.cos(angles)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] * (1 + 2 * self.bands))

    def get_config(self):
        return {**super().get_config(), "bands": self.bands}


def discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    return jnp.mean(jax.nn.softplus(-real_logits)) + jnp.mean(jax.nn.softplus(fake_logits))


def generator_loss(fake_logits: jax.Array) -> jax.Array:
    return jnp.mean(jax.nn.softplus(-fake_logits))


class GANModels:
    """What ``Session.model`` is for a GAN: the two Keras models."""

    def __init__(self, generator: keras.Model, discriminator: keras.Model):
        self.generator = generator
        self.discriminator = discriminator

    def __repr__(self) -> str:
        return f"GANModels(generator={self.generator.name!r}, discriminator={self.discriminator.name!r})"


class GAN(GenerativeModel):
    kind = "gan"
    metric_names = ("d_loss", "g_loss")
    val_metric_names = ()
    can_sample = True
    # weight of the R1 penalty on the discriminator's gradient at real data
    # (Mescheder et al., 2018); it keeps the game from oscillating and collapsing.
    r1_gamma = 0.1
    # Fourier bands of the discriminator's input embedding on low-dimensional data
    fourier_bands = 0

    def build(self) -> None:
        hidden, k = self.hp["hidden"], self.hp["noise_dim"]
        noise = keras.Input((k,), name="noise")
        h = mlp("generator", noise, hidden)
        x_fake = keras.layers.Dense(self.features, activation=self.output_activation(), name="x_fake")(h)
        generator = keras.Model(noise, x_fake, name="generator")

        x = keras.Input((self.features,), name="x")
        h = x
        if self.fourier_bands and self.features <= 3:
            h = FourierFeatures(self.fourier_bands, name="fourier_features")(x)
        h = mlp("discriminator", h, hidden, activation="leaky_relu")
        logit = keras.layers.Dense(1, name="logit")(h)
        discriminator = keras.Model(x, logit, name="discriminator")

        self.networks = {"generator": generator, "discriminator": discriminator}
        lr = self.hp["learning_rate"]
        self.optimizers = {
            "generator": (keras.optimizers.Adam(lr, beta_1=0.5), ["generator"]),
            "discriminator": (keras.optimizers.Adam(lr, beta_1=0.5), ["discriminator"]),
        }
        self.keras_model = GANModels(generator, discriminator)

    def sample(self, params, key, n):
        noise = jax.random.normal(key, (n, self.hp["noise_dim"]))
        return self.call(params, "generator", noise)

    def logits(self, params, x):
        return self.call(params, "discriminator", x)[:, 0]

    def _d_step(self, state, x_real, live, key):
        fake = self.sample(state["params"], key, x_real.shape[0])

        def loss_fn(tvs):
            params = {**state["params"], "discriminator": {"tv": tvs["discriminator"], "ntv": state["params"]["discriminator"]["ntv"]}}
            loss = discriminator_loss(self.logits(params, x_real), self.logits(params, fake))
            if self.r1_gamma:
                grad_x = jax.grad(lambda xr: jnp.sum(self.logits(params, xr)))(x_real)
                loss = loss + 0.5 * self.r1_gamma * jnp.mean(jnp.sum(jnp.square(grad_x), axis=-1))
            return loss

        tvs = {"discriminator": state["params"]["discriminator"]["tv"]}
        loss, grads = jax.value_and_grad(loss_fn)(tvs)
        return self.apply_gradients(state, "discriminator", grads, live["learning_rate"]), loss

    def train_step(self, state, data, rows, live, key):
        batch = rows.shape[0]
        k_first, k_more, k_gen = jax.random.split(key, 3)
        state, d_loss = self._d_step(state, data[rows], live, k_first)

        def more(i, carry):  # the extra discriminator steps draw fresh real rows
            st, _ = carry
            kr, kf = jax.random.split(jax.random.fold_in(k_more, i))
            x_real = data[jax.random.randint(kr, (batch,), 0, data.shape[0])]
            return self._d_step(st, x_real, live, kf)

        state, d_loss = jax.lax.fori_loop(1, live["d_steps"], more, (state, d_loss))
        noise = jax.random.normal(k_gen, (batch, self.hp["noise_dim"]))

        def g_loss_fn(tvs):
            params = {**state["params"], "generator": {"tv": tvs["generator"], "ntv": state["params"]["generator"]["ntv"]}}
            return generator_loss(self.logits(params, self.call(params, "generator", noise)))

        g_loss, grads = jax.value_and_grad(g_loss_fn)({"generator": state["params"]["generator"]["tv"]})
        state = self.apply_gradients(state, "generator", grads, live["learning_rate"])
        return state, {"d_loss": d_loss, "g_loss": g_loss}

    def eval_batch(self, params, x, live, key):
        return {}
