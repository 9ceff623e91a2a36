"""Variational autoencoder (Kingma & Welling, 2014).

encoder(x) -> (z_mean, z_log_var); z = z_mean + exp(z_log_var / 2) * eps;
decoder(z) -> p(x | z): Bernoulli logits for data in [0, 1] (or, with
``likelihood="continuous_bernoulli"``, the same logits as the continuous Bernoulli's
parameter: a normalised density on [0, 1], Loaiza-Ganem & Cunningham 2019), a Gaussian
with a learned per-feature log-scale for real-valued data. The loss is the negative
ELBO with the KL term weighted by ``beta`` (live-tunable):

    loss = reconstruction + beta * KL(q(z | x) || p(z))

The prior p(z) is N(0, I) (``prior_components=0``, analytic KL) or a learned mixture of
K Gaussians with uniform weights (``prior_components=K``; the KL is then estimated with
the same z as the reconstruction, log q(z | x) - log p(z), as in Tomczak & Welling's
VampPrior paper, 2018). nbgen's default for unconditional image data is K = 50: on mnist5k
at latent 16 it gave sharper samples and a better likelihood than N(0, I) and than K = 10
(benchmarks/defaults.py --only vae-prior); N(0, I) elsewhere.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np

from .base import GenerativeModel
from .introspect import (
    NetworkError,
    check_conditional_inputs,
    check_decoder,
    check_rows_in,
    check_rows_out,
    output_shapes,
)
from .networks import architecture, decoder_net, encoder_trunk

LOG_2PI = math.log(2 * math.pi)
MIN_LOG_SCALE = math.log(0.01)  # the Gaussian decoder's scale stays above 1% of a standardised feature's std


@keras.saving.register_keras_serializable(package="nbgen")
class GaussianLogScale(keras.layers.Layer):
    """A learned per-feature log standard deviation of a Gaussian decoder, kept above
    ``MIN_LOG_SCALE`` by a soft floor (``floor + softplus(w - floor)``): a feature the decoder
    reconstructs exactly (a constant one) would otherwise drive its scale, and the loss, down
    without bound. Standardised data have a std of 1 per feature: the floor is 1% of it."""

    def build(self, input_shape):
        self.log_scale = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="log_scale")

    def call(self, mean):
        floor = MIN_LOG_SCALE
        return keras.ops.zeros_like(mean) + floor + keras.ops.softplus(self.log_scale - floor)


@keras.saving.register_keras_serializable(package="nbgen")
class MixturePrior(keras.layers.Layer):
    """The weights of a learned prior p(z) = 1/K sum_k N(z; means_k, diag(exp(log_vars_k))).

    nbgen reads ``means`` and ``log_vars`` (K, latent_dim) from the state; ``call`` passes
    its input through (the layer lives in a network only so that its weights are trained,
    saved and reset like every other network's)."""

    def __init__(self, components: int, latent_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.components, self.latent_dim = int(components), int(latent_dim)

    def build(self, input_shape):
        init = keras.initializers.RandomNormal(stddev=1.0)
        self.means = self.add_weight(shape=(self.components, self.latent_dim), initializer=init, name="means")
        self.log_vars = self.add_weight(shape=(self.components, self.latent_dim), initializer="zeros", name="log_vars")

    def call(self, x):
        return x

    def get_config(self):
        return {**super().get_config(), "components": self.components, "latent_dim": self.latent_dim}


def mixture_logpdf(z: jax.Array, means: jax.Array, log_vars: jax.Array) -> jax.Array:
    """log p(z) under the uniform mixture of diagonal Gaussians (``means``, ``log_vars``: (K, d))."""
    per_component = diag_normal_logpdf(z[..., None, :], means, log_vars)  # (..., K)
    return jax.scipy.special.logsumexp(per_component, axis=-1) - math.log(means.shape[0])


def kl_divergence(z_mean: jax.Array, z_log_var: jax.Array) -> jax.Array:
    """Analytic KL(N(z_mean, exp(z_log_var)) || N(0, I)) per row, in nats."""
    return -0.5 * jnp.sum(1.0 + z_log_var - jnp.square(z_mean) - jnp.exp(z_log_var), axis=-1)


def bernoulli_nll(x: jax.Array, logits: jax.Array) -> jax.Array:
    """-log p(x | logits) summed over features (binary cross-entropy on logits)."""
    return jnp.sum(jnp.logaddexp(0.0, logits) - x * logits, axis=-1)


def log_normaliser(logits: jax.Array) -> jax.Array:
    """log of the continuous Bernoulli's normaliser, ``log((e^eta - 1) / eta)``: the density on
    [0, 1] is ``exp(eta * x - log_normaliser(eta))`` (an exponential family in the logit eta).
    Stable at both tails; a Taylor series near 0, where it is ``eta / 2 + eta^2 / 24``."""
    a = jnp.abs(logits)
    safe = jnp.where(a < 1e-3, 1.0, a)
    far = jnp.maximum(logits, 0.0) + jnp.log(-jnp.expm1(-safe)) - jnp.log(safe)
    near = logits / 2 + jnp.square(logits) / 24
    return jnp.where(a < 1e-3, near, far)


def continuous_bernoulli_nll(x: jax.Array, logits: jax.Array) -> jax.Array:
    """-log p(x | logits) of the continuous Bernoulli, summed over features: a density on [0, 1],
    so unlike the Bernoulli's cross-entropy on grey levels it is a true negative log-likelihood
    (and may be negative: a density can exceed 1)."""
    return jnp.sum(log_normaliser(logits) - x * logits, axis=-1)


@keras.saving.register_keras_serializable(package="nbgen")
def continuous_bernoulli_mean(logits):
    """E[x] of the continuous Bernoulli with logit eta: ``1 / (1 - e^-eta) - 1 / eta`` (0.5 at 0)."""
    ops = keras.ops
    a = ops.abs(logits)
    safe = ops.where(a < 1e-3, ops.ones_like(logits), logits)
    far = -1.0 / ops.expm1(-safe) - 1.0 / safe
    return ops.where(a < 1e-3, 0.5 + logits / 12, far)


@keras.saving.register_keras_serializable(package="nbgen")
def continuous_bernoulli_mean_of_probabilities(p):
    """:func:`continuous_bernoulli_mean` of a decoder that ends in a sigmoid (its parameter lambda)."""
    p = keras.ops.clip(p, 1e-7, 1 - 1e-7)
    return continuous_bernoulli_mean(keras.ops.log(p) - keras.ops.log1p(-p))


def gaussian_nll(x: jax.Array, mean: jax.Array, log_scale: jax.Array) -> jax.Array:
    """-log N(x; mean, exp(log_scale)^2) summed over features."""
    return jnp.sum(0.5 * jnp.square((x - mean) * jnp.exp(-log_scale)) + log_scale + 0.5 * LOG_2PI, axis=-1)


def standard_normal_logpdf(z: jax.Array) -> jax.Array:
    return -0.5 * jnp.sum(jnp.square(z) + LOG_2PI, axis=-1)


def diag_normal_logpdf(z: jax.Array, mean: jax.Array, log_var: jax.Array) -> jax.Array:
    return -0.5 * jnp.sum(jnp.square(z - mean) * jnp.exp(-log_var) + log_var + LOG_2PI, axis=-1)


class VAE(GenerativeModel):
    """A variational autoencoder, with nbgen's networks or your own.

    Args:
        encoder: a ``keras.Model`` from rows to ``[z_mean, z_log_var]`` (two outputs
            ``(n, latent_dim)``) or to one output ``(n, 2 * latent_dim)``, split in half.
        decoder: a ``keras.Model`` from ``z`` ``(n, latent_dim)`` to rows: Bernoulli
            logits (no sigmoid) for data in [0, 1] (the continuous Bernoulli's too, with
            ``likelihood="continuous_bernoulli"``), means for real-valued data (nbgen adds
            the learned log-scale).
        **hyperparameters: as for :class:`nbgen.Session` (``latent_dim``, ``hidden`` and
            ``architecture`` only without networks).

    Example:
        >>> s = nbgen.train(nbgen.VAE(beta=0.5), "digits", epochs=2)  # doctest: +SKIP
    """

    name = "vae"
    label = "VAE"
    network_names = ("encoder", "decoder")
    hyperparameters = ("latent_dim", "beta", "conditional", "prior_components", "likelihood")
    fixed_by_networks = ("latent_dim", "hidden", "architecture")
    capabilities = frozenset({"encode", "decode", "reconstruct", "sample", "likelihood"})
    # on an H100, mnist5k latent 16, seeds 0-2: the conv VAE's negative ELBO was worse (115.7-120.3
    # against 114.9-115.2) for about the same samples (confidence 0.801-0.810 against 0.796-0.804)
    accelerator_architecture = "mlp"

    @property
    def panels(self):
        # conditional: the latent explorer would decode a click without a label (not built yet)
        if self.conditional:
            return ("loss", "reconstructions", "samples")
        return ("loss", "latent", "reconstructions", "samples")

    metric_names = ("loss", "reconstruction", "kl")
    val_metric_names = ("val_loss", "val_reconstruction", "val_kl")

    def __init__(self, encoder: keras.Model | None = None, decoder: keras.Model | None = None, **hyperparameters: Any):
        super().__init__(encoder=encoder, decoder=decoder, **hyperparameters)

    def defaults(self, dataset, given):
        # a learned mixture prior for unconditional images (mnist5k, latent 16, seeds 0-2: samples'
        # classifier confidence 0.891-0.898 with 50 components, 0.865-0.881 with 10, 0.791-0.807
        # with N(0, I); negative ELBO 112.3-112.4, 113.1-114.2, 114.8-115.5; at latent 2 and on
        # digits within about 1 nat of N(0, I) either way; benchmarks/defaults.py --only vae-prior)
        mixture = dataset.is_image and not given.get("conditional", False)
        if given.get("likelihood", "auto") != "auto" and not dataset.unit_interval:
            raise ValueError(
                f"likelihood={given['likelihood']!r} is a distribution on [0, 1], and the data {dataset.name!r} are "
                "real-valued: use likelihood='auto' (a Gaussian with a learned scale), or data in [0, 1]"
            )
        return {"latent_dim": 2, "hidden": (256, 256), "learning_rate": 1e-3, "batch_size": 128, "epochs": 300,
                "beta": 1.0, "conditional": False, "prior_components": 50 if mixture else 0,
                "likelihood": "auto"}  # fmt: skip

    def default_networks(self, dataset, hp):
        arch = architecture(hp["architecture"], dataset, self.accelerator_architecture)
        d = hp["latent_dim"]
        k = self.n_classes if hp.get("conditional") else 0
        x, h = encoder_trunk("encoder", arch, dataset, hp["hidden"], n_classes=k)
        z_mean = keras.layers.Dense(d, name="z_mean")(h)
        z_log_var = keras.layers.Dense(d, name="z_log_var")(h)
        encoder = keras.Model(x, [z_mean, z_log_var], name="encoder")
        out_name = "logits" if self.unit_interval else "mean"
        decoder = decoder_net("decoder", arch, dataset, d, hp["hidden"], None, out_name, k)
        return {"encoder": encoder, "decoder": decoder}

    def extra_networks(self, dataset):
        nets = {}
        if not dataset.unit_interval:
            mean = keras.Input((dataset.features,), name="mean")
            nets["log_scale"] = keras.Model(mean, GaussianLogScale(name="log_scale")(mean), name="log_scale")
        if self.hp.get("prior_components", 0):
            i = keras.Input((1,), name="unused")
            layer = MixturePrior(self.hp["prior_components"], self.hp["latent_dim"], name="mixture")
            nets["prior"] = keras.Model(i, layer(i), name="prior")
        return nets

    def check_networks(self, dataset):
        enc = self.user_networks["encoder"]
        if self.conditional:
            return self._check_conditional(dataset)
        outs = output_shapes(enc, check_rows_in(enc, "encoder", dataset), "encoder")
        if len(outs) in (2, 3) and all(o == outs[0] for o in outs) and len(outs[0]) == 1:
            d = outs[0][0]  # [z_mean, z_log_var] or Keras's example's [z_mean, z_log_var, z] (z unused)
        elif len(outs) == 1 and len(outs[0]) == 1 and outs[0][0] % 2 == 0:
            d = outs[0][0] // 2
        else:
            got = ", ".join(str((None, *o)) for o in outs)
            raise NetworkError(
                f"encoder {enc.name!r} outputs {got}: a VAE's encoder must output [z_mean, z_log_var], two arrays "
                "(None, latent_dim) (a third, z, as Keras's example's Sampling layer gives, is accepted and unused), "
                "or one array (None, 2 * latent_dim) that nbgen splits in half (an even width)"
            )
        check_decoder(self.user_networks["decoder"], "decoder", d, dataset)
        return {"latent_dim": d}

    def _check_conditional(self, dataset):
        k = self.n_classes
        enc, dec = self.user_networks["encoder"], self.user_networks["decoder"]
        e_in = check_conditional_inputs(
            enc,
            "encoder",
            k,
            f"a row (e.g. {(None, *dataset.row_shape)})",
            lambda s: int(np.prod(s)) == dataset.features,
        )
        outs = output_shapes(enc, e_in[0], "encoder", e_in[1])
        if len(outs) in (2, 3) and all(o == outs[0] for o in outs) and len(outs[0]) == 1:
            d = outs[0][0]
        elif len(outs) == 1 and len(outs[0]) == 1 and outs[0][0] % 2 == 0:
            d = outs[0][0] // 2
        else:
            raise NetworkError(
                f"encoder {enc.name!r} outputs {', '.join(str((None, *o)) for o in outs)}: it must output "
                "[z_mean, z_log_var], two arrays (None, latent_dim), or one array (None, 2 * latent_dim)"
            )
        d_in = check_conditional_inputs(dec, "decoder", k, f"the code (None, {d})", lambda s: s == (d,))
        check_rows_out(dec, "decoder", dataset, *d_in)
        return {"latent_dim": d}

    probability_roles = ("decoder",)  # a decoder of pixels may end in a sigmoid (Keras's example's does)
    row_roles = ("decoder",)

    @property
    def continuous(self) -> bool:
        """True when p(x | z) is the continuous Bernoulli."""
        return self.hp.get("likelihood") == "continuous_bernoulli"

    @property
    def decoded_activation(self):
        # E[x | z] from the decoder's output: a sigmoid of its logits, unless it gives probabilities
        # (the continuous Bernoulli's mean is not its parameter: its own function of either)
        probabilities = "decoder" in self.sigmoid_outputs
        if self.unit_interval and self.continuous:
            return continuous_bernoulli_mean_of_probabilities if probabilities else continuous_bernoulli_mean
        return "sigmoid" if self.unit_interval and not probabilities else None

    def make_optimizers(self, hp):
        return {"vae": (keras.optimizers.Adam(hp["learning_rate"]), list(self.networks))}

    # -- the math ------------------------------------------------------------
    def encode_dist(self, params, x, labels=None):
        out = self.call(params, "encoder", x, *self.with_labels(labels))
        if isinstance(out, (list, tuple)):
            return out[0], out[1]
        return jnp.split(out, 2, axis=-1)  # one (n, 2d) output: z_mean, z_log_var

    def encode(self, params, x, labels=None):
        return self.encode_dist(params, x, labels)[0]

    def nll(self, params, x, z, labels=None):
        """-log p(x | z) per row."""
        out = self.rows(self.call(params, "decoder", z, *self.with_labels(labels)))
        if self.unit_interval:
            nll = continuous_bernoulli_nll if self.continuous else bernoulli_nll
            return nll(x, self.as_logits("decoder", out))
        return gaussian_nll(x, out, self.call(params, "log_scale", out))

    def decode(self, params, z, labels=None):
        """The decoder's mean E[x | z]."""
        out = self.rows(self.call(params, "decoder", z, *self.with_labels(labels)))
        if not self.unit_interval:
            return out
        logits = self.as_logits("decoder", out)
        return continuous_bernoulli_mean(logits) if self.continuous else jax.nn.sigmoid(logits)

    def reconstruct(self, params, x, labels=None):
        return self.decode(params, self.encode(params, x, labels), labels)

    def log_prior(self, params, z):
        """log p(z) per code (the last axis is the latent one)."""
        if "prior" not in self.networks:
            return standard_normal_logpdf(z)
        means, log_vars = params["prior"]["tv"]
        return mixture_logpdf(z, means, log_vars)

    def sample_prior(self, params, key, n):
        if "prior" not in self.networks:
            return jax.random.normal(key, (n, self.hp["latent_dim"]))
        means, log_vars = params["prior"]["tv"]
        pick, noise = jax.random.split(key)
        k = jax.random.randint(pick, (n,), 0, means.shape[0])
        return means[k] + jnp.exp(0.5 * log_vars[k]) * jax.random.normal(noise, (n, means.shape[1]))

    def sample(self, params, key, n, labels=None):
        return self.decode(params, self.sample_prior(params, key, n), labels)

    def terms(self, params, rows, key):
        x, labels = self.split(rows)
        z_mean, z_log_var = self.encode_dist(params, x, labels)
        eps = jax.random.normal(key, z_mean.shape)
        z = z_mean + jnp.exp(0.5 * z_log_var) * eps  # the reparameterization trick
        if "prior" in self.networks:  # one-sample estimate of KL(q || p) with the same z
            kl = diag_normal_logpdf(z, z_mean, z_log_var) - self.log_prior(params, z)
        else:
            kl = kl_divergence(z_mean, z_log_var)
        return self.nll(params, x, z, labels), kl

    def train_step(self, state, data, rows, live, key):
        x = data[rows]

        def loss_fn(tvs):
            params = {n: {"tv": tvs[n], "ntv": state["params"][n]["ntv"]} for n in tvs}
            with self.training_mode() as ntv:
                rec, kl = self.terms(params, x, key)
            loss = jnp.mean(rec + live["beta"] * kl)
            return loss, (jnp.mean(rec), jnp.mean(kl), ntv)

        tvs = {n: state["params"][n]["tv"] for n in self.networks}
        (loss, (rec, kl, ntv)), grads = jax.value_and_grad(loss_fn, has_aux=True)(tvs)
        state = self.apply_gradients(state, "vae", grads, live["learning_rate"])
        return self.with_ntv(state, ntv), {"loss": loss, "reconstruction": rec, "kl": kl}

    def eval_batch(self, params, x, live, key):
        rec, kl = self.terms(params, x, key)
        return {"val_loss": rec + live["beta"] * kl, "val_reconstruction": rec, "val_kl": kl}

    def importance_bound(self, params, x, key, k: int, labels=None):
        """-log p(x) estimated with k importance samples from q(z | x) (IWAE bound).

        Returns ``(neg_elbo, neg_iw_bound)``, each per row; the second is <= the first
        in expectation and tightens as k grows.
        """
        z_mean, z_log_var = self.encode_dist(params, x, labels)
        eps = jax.random.normal(key, (k, *z_mean.shape))
        z = z_mean + jnp.exp(0.5 * z_log_var) * eps  # (k, n, d)

        def log_w(zk):
            return (
                -self.nll(params, x, zk, labels)
                + self.log_prior(params, zk)
                - diag_normal_logpdf(zk, z_mean, z_log_var)
            )

        lw = jax.lax.map(log_w, z)  # (k, n)
        neg_elbo = -jnp.mean(lw, axis=0)
        neg_iw = -(jax.scipy.special.logsumexp(lw, axis=0) - math.log(k))
        return neg_elbo, neg_iw
