"""Autoencoder: x -> encoder -> z -> decoder -> x_hat, reported by the mean squared error."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import keras

from .base import GenerativeModel
from .introspect import NetworkError, check_decoder, check_rows_in, output_shapes, probabilities_to_logits
from .networks import architecture, decoder_net, encoder_trunk

TIGHT = 4  # a code of at most this many dimensions is tight: its own defaults (and loss) for images


def reconstruction_mse(x: jax.Array, x_hat: jax.Array) -> jax.Array:
    """Per-row mean squared error, averaged over features: shape ``(n,)``."""
    return jnp.mean(jnp.square(x - x_hat), axis=-1)


class Autoencoder(GenerativeModel):
    """An autoencoder, with nbgen's networks or your own.

    Args:
        encoder: a ``keras.Model`` from rows to codes ``(n, latent_dim)`` (optional).
        decoder: a ``keras.Model`` from codes ``(n, latent_dim)`` to rows (optional);
            for data in [0, 1] end it with a sigmoid.
        **hyperparameters: as for :class:`nbgen.Session` (``latent_dim``, ``hidden`` and
            ``architecture`` only without networks: yours fix them).

    Example:
        >>> enc = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(2)])
        >>> dec = keras.Sequential([keras.Input((2,)), keras.layers.Dense(64, activation="sigmoid")])
        >>> s = nbgen.train(nbgen.Autoencoder(enc, dec), "digits", epochs=2)  # doctest: +SKIP
    """

    name = "autoencoder"
    label = "autoencoder"
    aliases = ("ae",)
    network_names = ("encoder", "decoder")
    hyperparameters = ("latent_dim",)
    fixed_by_networks = ("latent_dim", "hidden", "architecture")
    capabilities = frozenset({"encode", "decode", "reconstruct"})
    panels = ("loss", "latent", "reconstructions")
    metric_names = ("loss",)
    val_metric_names = ("val_loss",)
    # decoupled weight decay against overfitting on small image sets. Its effect is small:
    # with the 1024-wide defaults on digits, latent 8, 0.2 against 0.05 and none moves the
    # held-out MSE by <= 2% (benchmarks/defaults.py --only ae-decay, seeds 0-4); on the
    # anchor split 0.2 kept all 5 seeds <= 0.0116 (seed 2: 0.0115 against 0.0117 at 0.05);
    # latent 2 and mnist5k stay within 1% (benchmarks/quality.py --only ae-anchor)
    weight_decay = 0.2
    # the hidden activation of the default MLP for images. GELU against ReLU, mnist5k latent 8,
    # the other defaults, seeds 0-2: held-out MSE 0.479x / 0.486x / 0.482x PCA(8) against
    # 0.513x / 0.521x / 0.515x, in the same time (benchmarks/defaults.py --only ae-activation). The conv
    # networks keep ReLU (Keras's example; measured on an H100 with it), other data too.
    image_activation = "gelu"
    # the training loss of nbgen's own decoder on data in [0, 1] (it ends in a sigmoid) when the code
    # is wider than TIGHT: the pixels' binary cross-entropy, the sigmoid read as logits, as Keras's
    # autoencoder examples train. The reported loss stays the mean squared error (what evaluate()
    # and the PCA ratio compare). Measured (benchmarks/quality.py --rows ae-anchor-2,ae-anchor-8,
    # ae-mnist5k, with anneal 0.3): mnist5k latent 8, seeds 0-4, 0.482x / 0.478x / 0.473x / 0.478x / 0.477x PCA(8)
    # against a median of 0.482x with the MSE; digits latent 8 (anchor split) 0.0107 against
    # 0.0108; but digits latent 2 0.0283 against 0.0272, so a tight code keeps the MSE. A user's
    # decoder, and other data, train on the MSE ("mse" here: every decoder).
    image_loss = "bce"

    def __init__(self, encoder: keras.Model | None = None, decoder: keras.Model | None = None, **hyperparameters: Any):
        super().__init__(encoder=encoder, decoder=decoder, **hyperparameters)

    def defaults(self, dataset, given):
        hp = {"latent_dim": 2, "hidden": (512, 512), "learning_rate": 1e-3, "batch_size": 64, "epochs": 100}
        if dataset.is_image:
            # Measured (benchmarks/defaults.py; digits on the 80/20 split, 3 seeds, and mnist5k): small batches
            # and the last 30% at lr/10 beat batch 64 for 100 epochs (latent 2: 0.0325 ->
            # 0.027-0.028; latent 8: 0.0125 -> 0.0114-0.0116; mnist5k latent 8: 0.0241 -> 0.0196-0.0198).
            # A tight bottleneck (latent <= 4) wants a deeper net and more epochs; a wider one
            # overfits sooner (held-out MSE is lowest near 40 epochs on digits, 20 on mnist5k).
            # On a small set (digits) a wider net reconstructs better at latent 8 (the anchor split,
            # quality.py --only ae-anchor: 0.0112-0.0115 at 1024 wide, 0.0114-0.0119 at 512); on
            # mnist5k it did not in ad hoc runs (0.517x PCA(8) against 0.512x) at twice the time.
            tight = given.get("latent_dim", hp["latent_dim"]) <= TIGHT
            small = len(dataset.x_train) < 2000
            hp["hidden"] = (512, 512, 512) if tight else ((1024, 1024) if small else (512, 512))
            hp["batch_size"] = 16 if tight else 8
            hp["epochs"] = 80 if tight else (40 if small else 20)
            # With the cross-entropy (image_loss), a set of 2000+ rows and a wide code anneal only the last
            # 10%: mnist5k latent 8, seeds 0-4, 0.479x / 0.477x / 0.473x / 0.475x / 0.476x PCA(8) (median
            # 0.476x, every seed <= 0.48x) against 0.482x / 0.478x / 0.473x / 0.478x / 0.477x with 0.3;
            # 0.2 and 0.15 gave 0.4800x and 0.4806x on seed 0 (benchmarks/defaults.py --only ae-mnist5k
            # --seeds 0 1 2 3 4). A small gain, near the spread between seeds. Digits and tight codes keep 0.3.
            hp["anneal"] = 0.3 if tight or small else 0.1
        return hp

    def default_networks(self, dataset, hp):
        arch = architecture(hp["architecture"], dataset, self.accelerator_architecture)
        act = self.image_activation if dataset.is_image and arch == "mlp" else "relu"
        x, h = encoder_trunk("encoder", arch, dataset, hp["hidden"], act)
        encoder = keras.Model(x, keras.layers.Dense(hp["latent_dim"], name="z")(h), name="encoder")
        decoder = decoder_net(
            "decoder", arch, dataset, hp["latent_dim"], hp["hidden"], self.output_activation(), "x_hat",
            hidden_activation=act,
        )
        return {"encoder": encoder, "decoder": decoder}

    row_roles = ("decoder",)

    def check_networks(self, dataset):
        enc = self.user_networks["encoder"]
        outs = output_shapes(enc, check_rows_in(enc, "encoder", dataset), "encoder")
        if len(outs) != 1 or len(outs[0]) != 1:
            got = ", ".join(str((None, *o)) for o in outs)
            raise NetworkError(
                f"encoder {enc.name!r} outputs {got}: an autoencoder's encoder must output one code (None, latent_dim)"
            )
        d = outs[0][0]
        check_decoder(self.user_networks["decoder"], "decoder", d, dataset)
        return {"latent_dim": d}

    def make_optimizers(self, hp):
        opt = keras.optimizers.AdamW(hp["learning_rate"], weight_decay=self.weight_decay)
        return {"ae": (opt, ["encoder", "decoder"])}

    def encode(self, params, x):
        return self.call(params, "encoder", x)

    def decode(self, params, z):
        return self.rows(self.call(params, "decoder", z))

    def reconstruct(self, params, x, key=None):
        return self.decode(params, self.encode(params, x))

    def train_step(self, state, data, rows, live, key):
        x = data[rows]

        bce = (self.image_loss == "bce" and self.unit_interval and "decoder" not in self.user_networks
               and self.hp["latent_dim"] > TIGHT)  # fmt: skip

        def loss_fn(tvs):
            params = {n: {"tv": tvs[n], "ntv": state["params"][n]["ntv"]} for n in tvs}
            with self.training_mode() as ntv:
                x_hat = self.reconstruct(params, x)
            mse = jnp.mean(reconstruction_mse(x, x_hat))
            if not bce:
                return mse, (ntv, mse)
            logits = probabilities_to_logits(x_hat)  # nbgen's decoder on [0, 1] data ends in a sigmoid
            return jnp.mean(jax.nn.softplus(logits) - x * logits), (ntv, mse)

        tvs = {n: state["params"][n]["tv"] for n in ("encoder", "decoder")}
        (_, (ntv, mse)), grads = jax.value_and_grad(loss_fn, has_aux=True)(tvs)
        state = self.apply_gradients(state, "ae", grads, live["learning_rate"])
        return self.with_ntv(state, ntv), {"loss": mse}

    def eval_batch(self, params, x, live, key):
        return {"val_loss": reconstruction_mse(x, self.reconstruct(params, x))}
