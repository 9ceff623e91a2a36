"""A diffusion model, trained by flow matching (rectified flow: Lipman et al., 2023; Liu et al., 2023).

Noise ``x0 ~ N(0, I)`` flows to data ``x1`` along straight lines,
``x_t = (1 - t) x0 + t x1`` for ``t`` from 0 (noise) to 1 (data). A network learns the
velocity of that flow by regression:

    loss = mean || v(x_t, t) - (x1 - x0) ||^2

Sampling integrates ``dx/dt = v(x, t)`` from noise with ``sample_steps`` Euler steps
(live-tunable: it changes what ``sample()`` and the views draw, not the training).

Two recipes, chosen by the data's width and measured (benchmarks/README.md, "How the
diffusion model was chosen"):

- low-dimensional data (<= 3 features: the 2-D mixtures): the network outputs the velocity,
  and training times lean towards the data, ``t = u ** (1 / 5)``, where the flow must land
  within a mode's width (grid: 57-59% of samples within 3 std of a mode with uniform times
  and Keras's default initialisation, 93-96% with this);
- wider data (images): nbgen's network predicts the data, preconditioned as in Karras et al.
  (2022), ``x1 = c_skip(t) x_t + c_out(t) F(x_t, t)``, with uniform times and a per-feature
  linear term ``g(t) * x_t`` (mnist5k: the velocity-predicting MLP left noisy, unreadable
  samples; 6/10 classes with >= 5% of samples against 10/10 with this).

Your own denoiser always outputs the velocity (and gets the uniform or leaning times by the
same rule). Images in [0, 1] are mapped to [-1, 1] for the flow, as in DDPM.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np

from .base import GenerativeModel
from .introspect import NetworkError, input_shapes, output_shapes
from .networks import architecture, image_shape

TIME_FREQUENCIES = 8  # sin/cos pairs of the time features


@keras.saving.register_keras_serializable(package="nbgen")
class TimeFeatures(keras.layers.Layer):
    """``t`` (n, 1) -> ``[t, sin(f t), cos(f t)]`` for ``f`` from 1 to 1000 (geometric): what
    lets a small dense network resolve the late, sharp part of the flow."""

    def call(self, t):
        freqs = keras.ops.exp(keras.ops.linspace(0.0, float(np.log(1000.0)), TIME_FREQUENCIES))
        e = t * freqs
        return keras.ops.concatenate([t, keras.ops.sin(e), keras.ops.cos(e)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1 + 2 * TIME_FREQUENCIES)


def flow_matching_loss(v: jax.Array, x1: jax.Array, x0: jax.Array) -> jax.Array:
    """Per row: the mean over features of ``(v - (x1 - x0))^2``."""
    return jnp.mean(jnp.square(v - (x1 - x0)), axis=-1)


def mlp_denoiser(dataset, hidden: tuple[int, ...], gate: bool, n_classes: int = 0) -> keras.Model:
    """Dense layers on ``[x_t, time features]``; with ``gate``, plus a per-feature linear term
    ``g(t) * x_t``, which lets it carry each feature of wide rows through (a dense bottleneck
    narrower than the rows cannot: mnist5k's backgrounds stayed speckled without it)."""
    x = keras.Input((dataset.features,), name="x_t")
    t = keras.Input((1,), name="t")
    tf = TimeFeatures(name="time_features")(t)
    inputs = [x, t]
    if n_classes:  # conditional: the label, one-hot (all zeros: no label, for guidance)
        inputs.append(keras.Input((n_classes,), name="label"))
        tf = keras.layers.Concatenate(name="time_and_label")([tf, inputs[-1]])
    h = keras.layers.Concatenate(name="denoiser_in")([x, tf])
    for i, width in enumerate(hidden):
        h = keras.layers.Dense(width, activation="silu", kernel_initializer="lecun_normal", name=f"denoiser_dense_{i}")(h)
    if not gate:
        return keras.Model(inputs, keras.layers.Dense(dataset.features, name="velocity")(h), name="denoiser")
    g = keras.layers.Dense(dataset.features, name="skip_gate")(tf)
    out = keras.layers.Add(name="output")(
        [keras.layers.Dense(dataset.features, name="dense_out")(h), keras.layers.Multiply(name="skip")([g, x])]
    )
    return keras.Model(inputs, out, name="denoiser")


def conv_denoiser(dataset, hidden: tuple[int, ...], n_classes: int = 0) -> keras.Model:
    """A small U-Net: two strided convolutions down, two transposed ones up, skips across,
    the time added to the channels at each resolution."""
    h_, w_, c = image_shape(dataset)
    L = keras.layers
    x = keras.Input((h_, w_, c), name="x_t")
    t = keras.Input((1,), name="t")
    tf = TimeFeatures(name="time_features")(t)
    inputs = [x, t]
    if n_classes:
        inputs.append(keras.Input((n_classes,), name="label"))
        tf = L.Concatenate(name="time_and_label")([tf, inputs[-1]])
    temb = L.Dense(hidden[0], activation="silu", name="time_dense")(tf)

    def with_time(h, ch, name):
        return L.Add(name=f"{name}_time")([h, L.Reshape((1, 1, ch))(L.Dense(ch, name=f"{name}_time_dense")(temb))])

    h0 = with_time(L.Conv2D(32, 3, padding="same", activation="silu", name="down_0")(x), 32, "down_0")
    h1 = L.Conv2D(64, 3, strides=2, padding="same", activation="silu", name="down_1")(h0)
    h2 = with_time(L.Conv2D(64, 3, strides=2, padding="same", activation="silu", name="down_2")(h1), 64, "down_2")
    h2 = L.Conv2D(64, 3, padding="same", activation="silu", name="middle")(h2)
    u1 = L.Conv2DTranspose(64, 3, strides=2, padding="same", activation="silu", name="up_1")(h2)
    u1 = L.Concatenate(name="skip_1")([u1, h1])
    u0 = L.Conv2DTranspose(32, 3, strides=2, padding="same", activation="silu", name="up_0")(u1)
    u0 = L.Concatenate(name="skip_0")([u0, h0])
    v = L.Conv2D(c, 3, padding="same", name="velocity")(u0)
    return keras.Model(inputs, v, name="denoiser")


class Diffusion(GenerativeModel):
    """A diffusion model trained by flow matching, with nbgen's denoiser or your own.

    Args:
        denoiser: a ``keras.Model`` with two inputs, noisy rows ``x_t`` (shaped like one
            row, e.g. ``(None, 8, 8)`` or ``(None, 64)``) and the time ``t`` ``(None, 1)``
            (0 = pure noise, 1 = data), and with ``conditional=True`` a third, the one-hot
            label ``(None, n_classes)``; one output shaped like the rows: the velocity
            ``x1 - x0`` of the flow from noise to data (no activation).
        **hyperparameters: as for :class:`nbgen.Session` (``sample_steps`` live;
            ``hidden`` and ``architecture`` only without a denoiser).

    Example:
        >>> s = nbgen.train(nbgen.Diffusion(sample_steps=20), "ring", epochs=2)  # doctest: +SKIP
        >>> path = s.trajectory(8, seed=0)  # (sample_steps + 1, 8, 2)  # doctest: +SKIP
    """

    name = "diffusion"
    label = "Diffusion"
    aliases = ("flow",)
    network_names = ("denoiser",)
    hyperparameters = ("sample_steps", "guidance", "conditional")
    capabilities = frozenset({"sample", "trajectory"})
    # on an H100, mnist5k, seeds 0-2: the MLP's samples were sharper (classifier confidence
    # 0.828-0.834 against the small U-Net's 0.774-0.786) in less than half the time
    accelerator_architecture = "mlp"
    panels = ("loss", "samples", "trajectory", "field")
    metric_names = ("loss",)
    val_metric_names = ("val_loss",)
    sample_options = ("sample_steps", "guidance")
    label_dropout = 0.1  # conditional: the share of training rows shown without their label (for guidance)
    # low-dimensional data: training times t = u ** (1 / 5), density 5 t^4, most near the data
    # (grid, seeds 2 / 0: 76% / 92% HQ with a power of 3, 94% / 95% with 5); wider data: uniform
    low_dim_time_power = 5.0
    low_dim_features = 3

    @property
    def low_dimensional(self) -> bool:
        return self.features <= self.low_dim_features

    @property
    def time_power(self) -> float:
        return self.low_dim_time_power if self.low_dimensional else 1.0

    @property
    def predicts(self) -> str:
        """What the network outputs: "velocity" (yours; nbgen's on low-dimensional data) or
        "data" (nbgen's on wider data, preconditioned: see the module's docstring)."""
        return "velocity" if self.user_defined or self.low_dimensional else "data"

    def __init__(self, denoiser: keras.Model | None = None, **hyperparameters: Any):
        super().__init__(denoiser=denoiser, **hyperparameters)

    def defaults(self, dataset, given):
        mixture = dataset.features <= 3
        n = len(dataset.x_train)
        return {
            "hidden": (256, 256, 256) if mixture else (512, 512, 512),
            "learning_rate": 1e-3,
            "batch_size": 256 if mixture else 128,
            # about 15,600 steps on 2-D data (ring, grid: 16,000 rows -> 250 epochs; 190 epochs left
            # the grid at 57-59% HQ), 12,000 on images (mnist5k: 384 epochs, about 100 s here);
            # benchmarks/quality.py measures the result
            "epochs": int(min(5000, max(10, round((15_600 * 256 if mixture else 12_000 * 128) / n)))),
            "anneal": 1 / 3,
            "sample_steps": 50,
            "conditional": False,
            "guidance": 2.0,  # read only by a conditional model
        }

    def shows(self, name):
        return name != "guidance" or self.conditional

    def default_networks(self, dataset, hp):
        k = self.n_classes if hp.get("conditional") else 0
        if architecture(hp["architecture"], dataset, self.accelerator_architecture) == "conv":
            return {"denoiser": conv_denoiser(dataset, hp["hidden"], k)}
        return {"denoiser": mlp_denoiser(dataset, hp["hidden"], dataset.features > self.low_dim_features, k)}

    def check_activations(self, dataset):
        super().check_activations(dataset)
        from .introspect import last_activation

        net = self.user_networks["denoiser"]
        act = last_activation(net)
        if act in ("sigmoid", "relu", "softplus", "exponential"):
            raise NetworkError(
                f"denoiser {net.name!r} ends in a {act}, but it predicts the velocity x1 - x0, which takes any "
                "sign and size: end it in a linear layer"
            )

    def check_networks(self, dataset):
        net = self.user_networks["denoiser"]
        shapes = input_shapes(net, "denoiser")
        want = [(1,)]
        if self.hp.get("conditional"):
            want.append((self.n_classes,))
        if len(shapes) != 1 + len(want) or list(shapes[1:]) != want:
            got = ", ".join(str((None, *s)) for s in shapes)
            if len(want) == 1:
                what = "two, the noisy rows (e.g. {}) and the time (None, 1), as keras.Model([x_t, t], velocity)"
            else:
                what = (f"three, the noisy rows (e.g. {{}}), the time (None, 1) and the one-hot label "
                        f"(None, {self.n_classes}), as keras.Model([x_t, t, label], velocity)")  # fmt: skip
            raise NetworkError(
                f"denoiser {net.name!r} takes inputs {got}: it must take {what.format((None, *dataset.row_shape))}"
            )
        if int(np.prod(shapes[0])) != dataset.features:
            raise NetworkError(
                f"denoiser {net.name!r} takes noisy rows of shape {(None, *shapes[0])}, but the data's rows are "
                f"shaped {dataset.row_shape} ({dataset.features} features): its first input must hold one row, "
                f"e.g. {(None, *dataset.row_shape)} or {(None, dataset.features)}"
            )
        outs = output_shapes(net, shapes[0], "denoiser", *shapes[1:])
        if len(outs) != 1 or int(np.prod(outs[0])) != dataset.features:
            got = ", ".join(str((None, *o)) for o in outs)
            raise NetworkError(
                f"denoiser {net.name!r} outputs {got}, but the data's rows are shaped {dataset.row_shape} "
                f"({dataset.features} features): it must output one array shaped like a row, the velocity"
            )
        return {}

    def make_optimizers(self, hp):
        return {"denoiser": (keras.optimizers.Adam(hp["learning_rate"]), ["denoiser"])}

    # -- the flow ------------------------------------------------------------------------------
    t_clip = 0.05
    sigma_data = 0.5

    def velocity(self, params, x, t, training=False, labels=None):
        """The velocity at rows ``x`` (n, features) and times ``t`` (n,) (and, conditional, one-hot
        ``labels``: zeros for none)."""
        more = (t.reshape(-1, 1),)
        if self.conditional:
            more += (jnp.zeros((x.shape[0], self.n_classes)) if labels is None else labels,)
        out = self.rows(self.call(params, "denoiser", x, *more))
        if self.predicts == "data":
            # the data x1 = c_skip x_t + c_out F (Karras et al., 2022, for the straight path): near
            # the noise the network predicts the data, near the data it corrects x_t
            sd, tc = self.sigma_data, t[:, None]
            norm = jnp.sqrt(jnp.square(tc * sd) + jnp.square(1.0 - tc))
            x1 = tc * sd**2 / norm**2 * x + (1.0 - tc) * sd / norm * out
            # v = (x1 - x_t) / max(1 - t, t_clip): what training regressed is what sampling
            # integrates (with 1 - t when sampling, a step past t = 0.95 moved 0.05 / (1 - t) times
            # too far; the 50-step sampler returned about 1.03 x1 - 0.03 x0)
            return (x1 - x) / jnp.maximum(1.0 - t, self.t_clip)[:, None]
        return out

    field_time = 0.5
    @property
    def field_description(self):
        return "the flow at t = 0.5" + (" (no label)" if self.conditional else "")

    def field(self, params, x):
        """What the field view draws: the velocity at ``field_time`` (noise 0, data 1), in model units."""
        v = self.velocity(params, self.to_flow(x), jnp.full((x.shape[0],), self.field_time))
        return v / 2.0 if self.unit_interval else v

    # the flow runs on data centred like the noise: pixels in [0, 1] as 2x - 1 (as in DDPM)
    def to_flow(self, x):
        return 2.0 * x - 1.0 if self.unit_interval else x

    def from_flow(self, x):
        return (x + 1.0) / 2.0 if self.unit_interval else x

    def terms(self, params, rows, key):
        x1, labels = self.split(rows)
        x1 = self.to_flow(x1)
        k_noise, k_time, k_drop = jax.random.split(key, 3)
        x0 = jax.random.normal(k_noise, x1.shape)
        t = jax.random.uniform(k_time, (x1.shape[0],)) ** (1.0 / self.time_power)
        xt = (1.0 - t[:, None]) * x0 + t[:, None] * x1
        if labels is not None:  # some rows without their label: the same network learns both
            keep = jax.random.uniform(k_drop, (x1.shape[0], 1)) >= self.label_dropout
            labels = labels * keep
        return flow_matching_loss(self.velocity(params, xt, t, training=True, labels=labels), x1, x0)

    def train_step(self, state, data, rows, live, key):
        x1 = data[rows]

        def loss_fn(tvs):
            params = {**state["params"], "denoiser": {**state["params"]["denoiser"], "tv": tvs["denoiser"]}}
            with self.training_mode() as ntv:
                return jnp.mean(self.terms(params, x1, key)), ntv

        (loss, ntv), grads = jax.value_and_grad(loss_fn, has_aux=True)({"denoiser": state["params"]["denoiser"]["tv"]})
        state = self.apply_gradients(state, "denoiser", grads, live["learning_rate"])
        return self.with_ntv(state, ntv), {"loss": loss}

    def eval_batch(self, params, x, live, key):
        return {"val_loss": self.terms(params, x, key)}

    # -- sampling --------------------------------------------------------------------------------
    @property
    def sample_keywords(self):
        return ("steps", "label", "guidance") if self.conditional else ("steps",)

    def sample_arguments(self, hp, n=1, seed=0, **given):
        from .. import _config

        out = super().sample_arguments(hp, n, seed, **given)
        steps = given.get("steps")
        out["steps"] = np.int32(hp["sample_steps"] if steps is None else _config.validate_value("sample_steps", steps))
        if self.conditional:
            g = given.get("guidance")
            out["guidance"] = np.float32(hp["guidance"] if g is None else _config.validate_value("guidance", g))
        return out

    def _finish(self, x):
        return jnp.clip(self.from_flow(x), 0.0, 1.0) if self.unit_interval else x

    def guided_velocity(self, params, x, t, labels, guidance):
        """Classifier-free guidance (Ho & Salimans, 2022): ``v_none + guidance * (v_label - v_none)``."""
        if labels is None:
            return self.velocity(params, x, t)
        n = x.shape[0]
        both = self.velocity(
            params, jnp.concatenate([x, x]), jnp.concatenate([t, t]), labels=jnp.concatenate([labels, 0.0 * labels])
        )
        v_label, v_none = both[:n], both[n:]
        return v_none + guidance * (v_label - v_none)

    def _labels(self, n, labels):
        if self.conditional and labels is None:
            raise ValueError("a conditional model samples with labels: Session.sample draws them")
        return labels

    def sample(self, params, key, n, steps=None, guidance=None, labels=None):
        """``n`` rows: noise carried to data by ``steps`` Euler steps (a traced int: no recompile)."""
        steps = self.hp["sample_steps"] if steps is None else steps
        guidance = self.hp.get("guidance", 1.0) if guidance is None else guidance
        labels = self._labels(n, labels)
        dt = 1.0 / jnp.asarray(steps, jnp.float32)

        def body(i, x):
            return x + dt * self.guided_velocity(params, x, jnp.full((n,), i * dt), labels, guidance)

        x = jax.lax.fori_loop(0, steps, body, jax.random.normal(key, (n, self.features)))
        return self._finish(x)

    def trajectory(self, params, key, n, steps, guidance=None, labels=None):
        """The states from noise to data, ``(steps + 1, n, features)`` (``steps`` static)."""
        guidance = self.hp.get("guidance", 1.0) if guidance is None else guidance
        labels = self._labels(n, labels)
        dt = 1.0 / steps

        def body(x, i):
            x = x + dt * self.guided_velocity(params, x, jnp.full((n,), i * dt), labels, guidance)
            return x, x

        x0 = jax.random.normal(key, (n, self.features))
        last, path = jax.lax.scan(body, x0, jnp.arange(steps, dtype=jnp.float32))
        path = self.from_flow(jnp.concatenate([x0[None], path], axis=0))
        return path.at[-1].set(self._finish(last))
