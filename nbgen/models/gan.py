"""Generative adversarial network (Goodfellow et al., 2014), non-saturating loss.

generator(noise) -> x_fake; discriminator(x) -> a logit for "real". Each has its
own Adam optimizer; D's learning rate is ``d_lr_mult`` times G's. Per generator step the discriminator takes ``d_steps``
steps (live-tunable). As in PacGAN (Lin et al., 2018) the discriminator judges
packs of ``pack`` samples concatenated side by side (all real or all fake):

    d_loss = softplus(-D(real pack)) + softplus(D(fake pack))  (-log D(real) - log(1 - D(fake)))
           + r1_gamma / 2 * |grad_x D(real pack)|^2             (R1, Mescheder et al., 2018)
    g_loss = softplus(-D(G(noise) pack))                         (-log D(fake), non-saturating)

With ``code_classes = C > 0`` (the default for unconditional images) the last C noise inputs are
a one-hot categorical code drawn uniformly, and a small network Q, trained with G, reads the code
back from the sample (InfoGAN, Chen et al., 2016). G's loss adds ``info_weight`` times Q's
cross-entropy (reported as ``code_loss``), so G must make C distinguishable kinds of samples:
on mnist5k that turns blends between digits into digits (benchmarks/defaults.py --only gan-code).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np

from .. import _config
from .base import GenerativeModel
from .introspect import (
    NetworkError,
    check_conditional_inputs,
    check_rows_in,
    check_rows_out,
    input_shape,
    output_shapes,
)
from .networks import architecture, decoder_net, encoder_trunk, mlp


def discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    return jnp.mean(jax.nn.softplus(-real_logits)) + jnp.mean(jax.nn.softplus(fake_logits))


def generator_loss(fake_logits: jax.Array) -> jax.Array:
    return jnp.mean(jax.nn.softplus(-fake_logits))


class GAN(GenerativeModel):
    """A GAN, with nbgen's networks or your own.

    Args:
        generator: a ``keras.Model`` from noise ``(n, noise_dim)`` to rows (for data in
            [0, 1] end it with a sigmoid).
        discriminator: a ``keras.Model`` from rows to one logit per row ``(n, 1)`` or
            ``(n,)`` (no sigmoid).
        **hyperparameters: as for :class:`nbgen.Session` (``noise_dim``, ``hidden`` and
            ``architecture`` only without networks).

    Example:
        >>> s = nbgen.train(nbgen.GAN(d_steps=2), "ring", epochs=2)  # doctest: +SKIP
    """

    name = "gan"
    label = "GAN"
    # which networks a step updates, a live value so that a change is exact and replayable: set
    # for the length of one run by session.step_once(part="d" | "g"), 0 (both) again after it
    update_row = _config.HParam(
        "update", "live", "int", "which networks a step updates: 0 both, 1 the discriminator only, "
        "2 the generator only (set by session.step_once(part=...))", 0, 2, label="update",
    )  # fmt: skip

    @property
    def table(self) -> dict[str, _config.HParam]:
        return {**super().table, "update": self.update_row}

    network_names = ("generator", "discriminator")
    hyperparameters = ("noise_dim", "d_steps", "conditional", "code_classes")
    fixed_by_networks = ("noise_dim", "hidden", "architecture")
    capabilities = frozenset({"sample", "discriminate"})

    @property
    def panels(self):
        # a conditional discriminator judges (row, label) pairs: there is no one surface to shade
        # (and the field: where the generator's loss pushes a fake point, drawn on 2-D data)
        return ("loss", "samples") if self.conditional else ("loss", "samples", "surface", "field", "manifold")

    field_description = "G's gradient"  # where its loss pushes a fake point; short: a panel title

    def field(self, params, x):
        """The direction in which the generator's loss moves a fake point at each row of ``x``
        (model units): minus the gradient of softplus(-D(x)), D judging a pack of copies of the
        row. What GAN Lab draws as arrows on the fake points, here on a grid behind them."""

        def loss(rows):
            return jnp.sum(jax.nn.softplus(-self.logits(params, rows)))

        return -jax.grad(loss)(x)

    @property
    def metric_names(self):
        return ("d_loss", "g_loss", "code_loss") if self.hp.get("code_classes") else ("d_loss", "g_loss")

    val_metric_names = ()
    # InfoGAN's categorical code (code_classes > 0): weight of Q's cross-entropy in G's loss,
    # and the width of Q's one hidden layer (dense, ReLU, reading the flattened sample)
    info_weight = 1.0
    q_hidden = 256
    # weight of the R1 penalty on the discriminator's gradient at real data
    # (Mescheder et al., 2018); it keeps the game from oscillating and collapsing.
    r1_gamma = 0.05
    # PacGAN (Lin et al., 2018): nbgen's dense discriminator reads `pack` samples side by
    # side, which lets it see a lack of diversity; on the ring it also sharpens the modes
    # (23-43% -> 79-87% HQ, benchmarks/README.md). Your own and conv discriminators read
    # one row at a time (`pack` reads 1 for them: it is derived from the discriminator's input).
    dense_pack = 2

    @property
    def pack(self) -> int:
        """Rows per discriminator input: its input size over the row's (2 for nbgen's dense one)."""
        return math.prod(self.in_shapes["discriminator"]) // self.features

    # D learns d_lr_mult times faster than G (TTUR, Heusel et al., 2017), with
    # Adam betas (0, 0.99) as in Mescheder et al. (2018): a stronger, quicker D
    # resolves the narrow modes (grid: 2% -> 24-50% HQ, benchmarks/README.md)
    d_lr_mult = 4.0
    betas = (0.0, 0.99)
    # the activation of nbgen's generator's dense hidden layers (GELU and leaky ReLU: within the
    # seeds' spread on mnist5k, benchmarks/README.md "What raises the classifier's confidence")
    generator_activation = "relu"

    def __init__(
        self, generator: keras.Model | None = None, discriminator: keras.Model | None = None, **hyperparameters: Any
    ):
        super().__init__(generator=generator, discriminator=discriminator, **hyperparameters)

    def defaults(self, dataset, given):
        mixture = dataset.name in ("ring", "grid", "moons") or dataset.features <= 3
        noise_dim = 4 if mixture else 32
        # unconditional images: 10 of the noise inputs are an InfoGAN code (seeds 0-4, the
        # classifier's mean top probability on samples: mnist5k 0.894-0.908 against 0.868-0.881
        # without, digits 0.905-0.914 against 0.897-0.900; defaults.py --only gan-code). Not for
        # your own generator (its noise stays Gaussian unless you ask) nor with fewer than 20
        # noise inputs (at least half stay Gaussian)
        code = (
            dataset.is_image
            and not given.get("conditional", False)
            and not self.user_networks
            and given.get("noise_dim", noise_dim) >= 20
        )
        return {
            # 2-D mixtures: a small noise and narrow, cheap networks trained for many
            # steps give sharp modes (grid: 35-55% -> 90-93% HQ, benchmarks/quality.py;
            # each change alone: benchmarks/defaults.py)
            "noise_dim": noise_dim,
            "hidden": (128, 128, 128) if mixture else (256, 256),
            # other data: a 5x higher rate and about 11,000 steps (350 epochs of mnist5k) took
            # mnist5k from 7/10 classes and mean top probability 0.67 to 10/10 and 0.87-0.89
            # (3 seeds, issue-10 note; quality.py --only gan-mnist5k)
            "learning_rate": 5e-4 if mixture else 1e-3,
            "batch_size": 64 if mixture else 128,
            "epochs": 150 if mixture else int(min(350, max(20, round(11_000 * 128 / len(dataset.x_train))))),
            # the last third at a tenth of the learning rate lets the generator settle on
            # the modes (ring, 150 epochs: HQ 0.39 / 0.73 without, 0.94 / 0.95 with; seeds 0 / 1)
            "anneal": 1 / 3 if mixture else 0.0,
            # 2-D mixtures: two discriminator steps per generator step keep the last, annealed
            # third steady (ring seed 0 fell from 0.95 to 0.87 HQ in its last 5 epochs with one;
            # grid seed 3 ended at 0.896): issue 29, benchmarks/README.md "GAN defaults that hold"
            "d_steps": 2 if mixture else 1,
            "update": 0,
            "conditional": False,
            "code_classes": 10 if code else 0,
        }

    def check_hyperparameters(self, hp):
        if hp.get("batch_size") == 1:
            raise ValueError("batch_size must be >= 2 for the gan model (its discriminator judges packs of 2), got 1")
        code = hp.get("code_classes", 0)
        if code and hp.get("conditional"):
            raise ValueError(
                f"code_classes must be 0 for a conditional GAN (its labels already say which kind of sample to "
                f"make), got code_classes={code} with conditional=True"
            )
        if code == 1 or code >= hp["noise_dim"]:
            raise ValueError(
                f"code_classes must be 0 (no code) or between 2 and noise_dim - 1 = {hp['noise_dim'] - 1} (the code "
                f"is the last code_classes of the noise_dim={hp['noise_dim']} noise inputs), got {code}"
            )

    def default_networks(self, dataset, hp):
        arch = architecture(hp["architecture"], dataset, self.accelerator_architecture)
        k = self.n_classes if hp.get("conditional") else 0
        out = self.output_activation()
        generator = decoder_net(
            "generator", arch, dataset, hp["noise_dim"], hp["hidden"], out, "x_fake", k, self.generator_activation
        )
        if arch == "conv":
            x, h = encoder_trunk("discriminator", arch, dataset, hp["hidden"], activation="leaky_relu")
        else:  # packs of dense_pack rows; a conditional D reads one row and its label
            x = keras.Input((dataset.features * (1 if k else self.dense_pack),), name="x")
            h = mlp("discriminator", x, hp["hidden"], activation="leaky_relu")
        logit = keras.layers.Dense(1, name="logit")(h)
        if not k:
            return {"generator": generator, "discriminator": keras.Model(x, logit, name="discriminator")}
        # the projection discriminator (Miyato & Koyama, 2018): logit + <embed(label), features>
        label = keras.Input((k,), name="label")
        embed = keras.layers.Dense(h.shape[-1], use_bias=False, name="label_embedding")(label)
        logit = keras.layers.Add(name="logit_with_label")(
            [logit, keras.layers.Dot(axes=1, name="projection")([embed, h])]
        )
        return {"generator": generator, "discriminator": keras.Model([x, label], logit, name="discriminator")}

    def extra_networks(self, dataset):
        c = self.hp.get("code_classes", 0)
        if not c:
            return {}
        x = keras.Input((dataset.features,), name="x")
        h = keras.layers.Dense(self.q_hidden, activation="relu", name="q_hidden")(x)
        return {"q": keras.Model(x, keras.layers.Dense(c, name="code_logits")(h), name="q")}

    probability_roles = ("discriminator",)  # a discriminator may end in a sigmoid: read as D(x)
    row_roles = ("generator",)

    def check_networks(self, dataset):
        gen, disc = self.user_networks["generator"], self.user_networks["discriminator"]
        if self.conditional:
            return self._check_conditional(dataset, gen, disc)
        noise = input_shape(gen, "generator")
        if len(noise) != 1:
            raise NetworkError(
                f"generator {gen.name!r} takes inputs of shape {(None, *noise)}: it must take noise vectors (None, noise_dim)"
            )
        check_rows_out(self.user_networks["generator"], "generator", dataset, noise)
        outs = output_shapes(disc, check_rows_in(disc, "discriminator", dataset), "discriminator")
        if len(outs) != 1 or outs[0] not in ((), (1,)):
            got = ", ".join(str((None, *o)) for o in outs)
            raise NetworkError(
                f"discriminator {disc.name!r} outputs {got}: it must output one logit per row, (None, 1) or (None,)"
            )
        return {"noise_dim": noise[0]}

    def _check_conditional(self, dataset, gen, disc):
        k = self.n_classes
        g_in = check_conditional_inputs(gen, "generator", k, "the noise (None, noise_dim)", lambda s: len(s) == 1)
        d_in = check_conditional_inputs(
            disc,
            "discriminator",
            k,
            f"a row (e.g. {(None, *dataset.row_shape)})",
            lambda s: int(np.prod(s)) == dataset.features,
        )
        check_rows_out(gen, "generator", dataset, *g_in)
        outs = output_shapes(disc, d_in[0], "discriminator", d_in[1])
        if len(outs) != 1 or outs[0] not in ((), (1,)):
            raise NetworkError(
                f"discriminator {disc.name!r} outputs {', '.join(str((None, *o)) for o in outs)}: it must output one "
                "logit per row, (None, 1) or (None,)"
            )
        return {"noise_dim": g_in[0][0]}

    def make_optimizers(self, hp):
        lr = hp["learning_rate"]
        return {  # Q learns with G (InfoGAN)
            "generator": (
                keras.optimizers.Adam(lr, *self.betas),
                ["generator", "q"] if hp.get("code_classes") else ["generator"],
            ),
            "discriminator": (keras.optimizers.Adam(lr * self.d_lr_mult, *self.betas), ["discriminator"]),
        }

    def manifold(self, params, noise):
        """The generator's rows (model units) for the given ``noise`` (n, noise_dim): the image of
        a grid of noise, which the 2-D data panel draws as the generator's warped grid (GAN Lab's
        "manifold")."""
        return self.rows(self.call(params, "generator", noise))

    def noise(self, params, key, n, code=None):
        """The generator's input noise for ``n`` samples (training and sampling draw the same):
        Gaussian, its last ``code_classes`` inputs a one-hot code if any, drawn uniformly or the
        given ``code`` (one-hot, ``(n, code_classes)``)."""
        c = self.hp.get("code_classes", 0)
        if not c:
            return jax.random.normal(key, (n, self.hp["noise_dim"]))
        pick, gauss = jax.random.split(key)
        if code is None:
            code = jax.nn.one_hot(jax.random.randint(pick, (n,), 0, c), c)
        return jnp.concatenate([jax.random.normal(gauss, (n, self.hp["noise_dim"] - c)), code], -1)

    def code_loss(self, params, noise, fake):
        """Q's cross-entropy for the code in ``noise`` read back from ``fake`` (0 without a code)."""
        c = self.hp.get("code_classes", 0)
        if not c:
            return jnp.zeros(())
        return jnp.mean(-jnp.sum(noise[:, -c:] * jax.nn.log_softmax(self.call(params, "q", fake), -1), -1))

    @property
    def sample_keywords(self):
        return (*super().sample_keywords, "code") if self.hp.get("code_classes") else super().sample_keywords

    def sample_arguments(self, hp, n=1, seed=0, **given):
        """As the base model's, plus ``code``: the categorical code's value (an int, or one int
        per sample) for a GAN with ``code_classes > 0`` (default: drawn uniformly)."""
        code = given.pop("code", None)
        c = self.hp.get("code_classes", 0)
        if code is not None and not c:
            raise ValueError(
                "code= needs a GAN with a categorical code, and this one has code_classes=0: "
                "use code_classes=10 (for example) in nbgen.train/show or nbgen.GAN(...)"
            )
        out = super().sample_arguments(hp, n, seed, **given)
        if code is not None:
            y = np.asarray(code)
            y = np.full(n, y) if y.ndim == 0 else y
            if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= c:
                raise ValueError(
                    f"code must be an int between 0 and {c - 1} (code_classes={c}) or {n} such ints, one per "
                    f"sample, got {code!r}"
                )
            out["code"] = np.eye(c, dtype=np.float32)[y]
        return out

    def sample(self, params, key, n, labels=None, code=None):
        noise = self.noise(params, key, n, code)
        return self.rows(self.call(params, "generator", noise, *self.with_labels(labels)))

    def logits(self, params, x, labels=None):
        """D's logit for each row of x (n, features), judged as a pack of copies of that row
        (conditional: with its one-hot label)."""
        out = self.call(params, "discriminator", jnp.tile(x, (1, self.pack)), *self.with_labels(labels))
        return self.as_logits("discriminator", out).reshape(-1)

    def pack_logits(self, params, x, labels=None):
        """D's logits for x (n, features) grouped into n // pack packs (conditional: pack 1)."""
        n = x.shape[0] // self.pack * self.pack
        packs = x[:n].reshape(n // self.pack, -1)
        return self.as_logits(
            "discriminator", self.call(params, "discriminator", packs, *self.with_labels(labels))
        ).reshape(-1)

    def _d_step(self, state, real, live, key):
        x_real, labels = self.split(real)
        fake = self.sample(state["params"], key, x_real.shape[0], labels)

        def loss_fn(tvs):
            params = {
                **state["params"],
                "discriminator": {"tv": tvs["discriminator"], "ntv": state["params"]["discriminator"]["ntv"]},
            }
            with self.training_mode() as ntv:
                loss = discriminator_loss(
                    self.pack_logits(params, x_real, labels), self.pack_logits(params, fake, labels)
                )
            if self.r1_gamma:
                with self.training_mode(record=False):
                    grad_x = jax.grad(lambda xr: jnp.sum(self.pack_logits(params, xr, labels)))(x_real)
                packs = x_real.shape[0] // self.pack  # R1 = gamma/2 * E ||grad of D at a real pack||^2
                loss = loss + 0.5 * self.r1_gamma * jnp.sum(jnp.square(grad_x)) / packs
            return loss, ntv

        tvs = {"discriminator": state["params"]["discriminator"]["tv"]}
        (loss, ntv), grads = jax.value_and_grad(loss_fn, has_aux=True)(tvs)
        state = self.apply_gradients(state, "discriminator", grads, live["learning_rate"] * self.d_lr_mult)
        return self.with_ntv(state, ntv), loss

    def train_step(self, state, data, rows, live, key):
        batch = rows.shape[0]
        k_first, k_more, k_gen = jax.random.split(key, 3)
        before_d = state
        state, d_loss = self._d_step(state, data[rows], live, k_first)

        def more(i, carry):  # the extra discriminator steps draw fresh real rows
            st, _ = carry
            kr, kf = jax.random.split(jax.random.fold_in(k_more, i))
            real = data[jax.random.randint(kr, (batch,), 0, data.shape[0])]
            return self._d_step(st, real, live, kf)

        state, d_loss = jax.lax.fori_loop(1, live["d_steps"], more, (state, d_loss))
        # a generator-only step (update 2) keeps D as it was; a discriminator-only one (1) keeps G
        state = jax.tree.map(lambda old, new: jnp.where(live["update"] == 2, old, new), before_d, state)
        before_g = state
        noise = self.noise(state["params"], k_gen, batch)
        _, labels = self.split(data[rows])  # the generator makes the batch's classes

        nets = self.optimizers["generator"][1]  # G, and Q with a code

        def g_loss_fn(tvs):
            params = {**state["params"], **{k: {"tv": tvs[k], "ntv": state["params"][k]["ntv"]} for k in nets}}
            with self.training_mode() as ntv:  # G's statistics move; D's were updated in its own step
                fake = self.rows(self.call(params, "generator", noise, *self.with_labels(labels)))
                g_loss = generator_loss(self.pack_logits(params, fake, labels))
                code_loss = self.code_loss(params, noise, fake)
            return g_loss + self.info_weight * code_loss, (
                {k: v for k, v in ntv.items() if k in nets},
                g_loss,
                code_loss,
            )

        (_, (ntv, g_loss, code_loss)), grads = jax.value_and_grad(g_loss_fn, has_aux=True)(
            {k: state["params"][k]["tv"] for k in nets}
        )
        state = self.apply_gradients(state, "generator", grads, live["learning_rate"])
        state = self.with_ntv(state, ntv)
        state = jax.tree.map(lambda old, new: jnp.where(live["update"] == 1, old, new), before_g, state)
        out = {"d_loss": d_loss, "g_loss": g_loss}
        return state, {**out, "code_loss": code_loss} if "code_loss" in self.metric_names else out

    def eval_batch(self, params, x, live, key):
        return {}
