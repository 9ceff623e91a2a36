"""Generative adversarial network (Goodfellow et al., 2014), non-saturating loss.

generator(noise) -> x_fake; discriminator(x) -> a logit for "real". Each has its
own Adam optimizer; D's learning rate is ``d_lr_mult`` times G's. Per generator step the discriminator takes ``d_steps``
steps (live-tunable). As in PacGAN (Lin et al., 2018) the discriminator judges
packs of ``pack`` samples concatenated side by side (all real or all fake):

    d_loss = softplus(-D(real pack)) + softplus(D(fake pack))  (-log D(real) - log(1 - D(fake)))
           + r1_gamma / 2 * |grad_x D(real pack)|^2             (R1, Mescheder et al., 2018)
    g_loss = softplus(-D(G(noise) pack))                         (-log D(fake), non-saturating)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import keras

from .base import GenerativeModel, mlp


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
    r1_gamma = 0.05
    # PacGAN (Lin et al., 2018): the discriminator's input is `pack` samples side by
    # side, which lets it see a lack of diversity; on the ring it also sharpens the
    # modes (23-43% -> 79-87% HQ, benchmarks/gan_tuning/).
    pack = 2
    # D learns d_lr_mult times faster than G (TTUR, Heusel et al., 2017), with
    # Adam betas (0, 0.99) as in Mescheder et al. (2018): a stronger, quicker D
    # resolves the narrow modes (grid: 2% -> 24-50% HQ, benchmarks/gan_tuning/)
    d_lr_mult = 4.0
    betas = (0.0, 0.99)

    def build(self) -> None:
        hidden, k = self.hp["hidden"], self.hp["noise_dim"]
        noise = keras.Input((k,), name="noise")
        h = mlp("generator", noise, hidden)
        x_fake = keras.layers.Dense(self.features, activation=self.output_activation(), name="x_fake")(h)
        generator = keras.Model(noise, x_fake, name="generator")

        x = keras.Input((self.features * self.pack,), name="x")
        h = mlp("discriminator", x, hidden, activation="leaky_relu")
        logit = keras.layers.Dense(1, name="logit")(h)
        discriminator = keras.Model(x, logit, name="discriminator")

        self.networks = {"generator": generator, "discriminator": discriminator}
        lr = self.hp["learning_rate"]
        self.optimizers = {
            "generator": (keras.optimizers.Adam(lr, *self.betas), ["generator"]),
            "discriminator": (keras.optimizers.Adam(lr * self.d_lr_mult, *self.betas), ["discriminator"]),
        }
        self.keras_model = GANModels(generator, discriminator)

    def sample(self, params, key, n):
        noise = jax.random.normal(key, (n, self.hp["noise_dim"]))
        return self.call(params, "generator", noise)

    def logits(self, params, x):
        """D's logit for each row of x (n, features), judged as a pack of copies of that row."""
        return self.call(params, "discriminator", jnp.tile(x, (1, self.pack)))[:, 0]

    def pack_logits(self, params, x):
        """D's logits for x (n, features) grouped into n // pack packs."""
        n = x.shape[0] // self.pack * self.pack
        return self.call(params, "discriminator", x[:n].reshape(n // self.pack, -1))[:, 0]

    def _d_step(self, state, x_real, live, key):
        fake = self.sample(state["params"], key, x_real.shape[0])

        def loss_fn(tvs):
            params = {
                **state["params"],
                "discriminator": {"tv": tvs["discriminator"], "ntv": state["params"]["discriminator"]["ntv"]},
            }
            loss = discriminator_loss(self.pack_logits(params, x_real), self.pack_logits(params, fake))
            if self.r1_gamma:
                grad_x = jax.grad(lambda xr: jnp.sum(self.pack_logits(params, xr)))(x_real)
                packs = x_real.shape[0] // self.pack  # R1 = gamma/2 * E ||grad of D at a real pack||^2
                loss = loss + 0.5 * self.r1_gamma * jnp.sum(jnp.square(grad_x)) / packs
            return loss

        tvs = {"discriminator": state["params"]["discriminator"]["tv"]}
        loss, grads = jax.value_and_grad(loss_fn)(tvs)
        return self.apply_gradients(state, "discriminator", grads, live["learning_rate"] * self.d_lr_mult), loss

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
            params = {
                **state["params"],
                "generator": {"tv": tvs["generator"], "ntv": state["params"]["generator"]["ntv"]},
            }
            return generator_loss(self.pack_logits(params, self.call(params, "generator", noise)))

        g_loss, grads = jax.value_and_grad(g_loss_fn)({"generator": state["params"]["generator"]["tv"]})
        state = self.apply_gradients(state, "generator", grads, live["learning_rate"])
        return state, {"d_loss": d_loss, "g_loss": g_loss}

    def eval_batch(self, params, x, live, key):
        return {}
