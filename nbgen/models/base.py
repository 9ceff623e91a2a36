"""The model protocol: what every nbgen model declares and provides.

A model is one file with one class. It declares

- ``name`` (and ``aliases``, and ``label`` for the widget's picker): what
  ``nbgen.train("vae", ...)`` calls it;
- ``network_names``: its Keras networks, in order (``("encoder", "decoder")``); the
  class's constructor takes them as keyword arguments, so that users bring their own;
- ``hyperparameters``: its own rows of the one hyperparameter table
  (``nbgen._config.TABLE``) on top of the common ones, and ``defaults(dataset)``;
- ``capabilities``: what a session can ask of it, among ``"encode"``, ``"decode"``,
  ``"reconstruct"``, ``"sample"``, ``"trajectory"``, ``"discriminate"``, ``"likelihood"``;
- ``panels``: the live views it shows, among ``"loss"``, ``"latent"``,
  ``"reconstructions"``, ``"samples"``, ``"surface"`` (D(x) behind 2-D samples),
  ``"trajectory"`` (paths from noise to samples) and ``"field"`` (``field(params, x)``, a
  direction per row, drawn as lines behind 2-D samples; ``field_description`` names it);
- ``sample_options``: the live hyperparameters that ``sample`` reads (``sample_arguments``);
- conditional models (``conditional`` among their hyperparameters): the engine trains on
  ``training_rows`` (the rows with one-hot labels after the features), the step takes them
  apart with ``split``, and networks get the label as their last input (``with_labels``);
  ``sample_arguments`` turns ``Session.sample(label=...)`` into one-hot ``labels``;
- ``metric_names`` / ``val_metric_names``: what its step and evaluation report;

and provides, as pure functions of arrays (the engine jits and scans them):

- ``default_networks(dataset, hp)``: networks that suit the data (MLP or conv; for
  ``architecture="auto"`` on a GPU or TPU, ``accelerator_architecture`` says which, measured
  by benchmarks/architecture.py; on a CPU "auto" is the MLP);
- ``check_networks(dataset)``: the contract of user networks; returns what they fix
  (``latent_dim``...);
- ``train_step(state, data, rows, live, key) -> (state, metrics)``: it calls its networks
  inside ``with self.training_mode() as ntv:`` (Dropout and BatchNorm in training mode, as
  in Keras's ``fit``), returns ``ntv`` as an auxiliary output of the function it
  differentiates and its state through ``self.with_ntv(state, ntv)`` (BatchNorm's moving
  statistics);
- ``eval_batch(params, x, live, key) -> {val_metric: per-row vector}``;
- the functions behind its capabilities (``encode(params, x)``, ``sample(params, key, n)``,
  ``trajectory(params, key, n, steps)``...).

Views, metrics, the session and the widget ask the model what it can do, never what it is.

State is a plain dict of arrays so that it can be jitted, scanned and rolled back:

    {"params": {net_name: {"tv": [...], "ntv": [...]}},
     "opt": {group_name: [...optimizer variables...]}}

Rows reach the model flat, ``(n, features)``, in the data set's model units
(``nbgen.data.Scaling``); ``call`` reshapes them to the shape each network declares and
``rows`` flattens a network's output back.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import keras
import numpy as np

from .. import _config, jitcache
from .introspect import (
    NetworkError,
    Networks,
    input_shapes,
    last_activation,
    number_like,
    probabilities_to_logits,
    takes_training,
)

if TYPE_CHECKING:
    from ..data import Dataset

State = dict[str, Any]
_MODE = threading.local()  # the model and the dict of GenerativeModel.training_mode, per thread


class GenerativeModel:
    """Base class of nbgen's models: see this module's docstring for the protocol."""

    name: str = ""
    label: str = ""  # how the widget's model picker shows it (default: the name)
    aliases: tuple[str, ...] = ()
    network_names: tuple[str, ...] = ()
    hyperparameters: tuple[str, ...] = ()
    capabilities: frozenset[str] = frozenset()
    panels: tuple[str, ...] = ("loss",)
    metric_names: tuple[str, ...] = ()
    val_metric_names: tuple[str, ...] = ()
    # live hyperparameters that sampling reads: they change what ``sample()`` and the views
    # draw, not the training (the diffusion model's ``sample_steps``)
    sample_options: tuple[str, ...] = ()

    def shows(self, name: str) -> bool:
        """Whether the widget shows the live control ``name`` (one this model takes that matters
        now: the diffusion model's guidance only when it is conditional)."""
        return name in self.accepts

    # what user networks decide (they cannot be given with networks)
    fixed_by_networks: tuple[str, ...] = ("hidden", "architecture")
    # what architecture="auto" builds for images on a GPU or TPU ("conv" or "mlp"; on a CPU it
    # is always "mlp"): the one that reached the better held-out quality within the time budget
    # there (benchmarks/architecture.py; a model without default networks ignores it)
    accelerator_architecture: str = "conv"

    def __init__(self, **kwargs: Any):
        nets = {k: kwargs.pop(k) for k in self.network_names if kwargs.get(k) is not None}
        for k in self.network_names:
            kwargs.pop(k, None)
        if nets and len(nets) != len(self.network_names):
            missing = [k for k in self.network_names if k not in nets]
            raise TypeError(
                f"nbgen.{type(self).__name__} needs all of its networks ({', '.join(self.network_names)}) or none "
                f"(nbgen's defaults); {', '.join(missing)} missing"
            )
        for role, net in nets.items():
            if not isinstance(net, keras.Model):
                raise TypeError(
                    f"{role} must be a keras.Model (functional, Sequential or subclassed), got {type(net).__name__}"
                )
        self.user_networks: dict[str, keras.Model] = nets
        if nets:
            given = [k for k in self.fixed_by_networks if k in kwargs]
            if given:
                raise ValueError(
                    f"{', '.join(given)} cannot be given together with your own networks: the networks fix "
                    f"{'them' if len(given) > 1 else 'it'} (nbgen reads {', '.join(self.fixed_by_networks)} from them)"
                )
        self.hp: dict[str, Any] = _config.validate(self.table, self.name, kwargs)
        self._initial: dict[str, list[np.ndarray]] = {}
        self.networks: dict[str, keras.Model] = {}
        self.optimizers: dict[str, tuple[keras.optimizers.Optimizer, list[str]]] = {}
        self.in_shapes: dict[str, tuple[int, ...]] = {}
        self.dataset: Dataset | None = None

    # -- declared ---------------------------------------------------------------------------
    @property
    def accepts(self) -> tuple[str, ...]:
        """The hyperparameters this model takes (the common ones and its own)."""
        own = (*self.hyperparameters, *_config.COMMON)
        if self.user_networks:
            return tuple(n for n in own if n not in self.fixed_by_networks)
        return own

    @property
    def picker_label(self) -> str:
        """How the widget's model picker names this model when the user made it."""
        return f"{type(self).__name__} (your networks)"

    @property
    def table(self) -> dict[str, _config.HParam]:
        """The rows of the hyperparameter table this model takes (a model may add rows of its
        own: the live controls of a Keras model, ``nbgen.models.keras_model``)."""
        return {n: _config.TABLE[n] for n in self.accepts}

    @property
    def live_names(self) -> tuple[str, ...]:
        """The live hyperparameters of this model: step inputs that change without recompiling."""
        return tuple(n for n, row in self.table.items() if row.kind == "live")

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    def defaults(self, dataset: Dataset, given: dict[str, Any]) -> dict[str, Any]:
        """Hyperparameters that train well on ``dataset`` (benchmarks/quality.py), knowing
        the values the user ``given`` (a default may depend on them, e.g. on latent_dim)."""
        raise NotImplementedError

    def default_networks(self, dataset: Dataset, hp: dict[str, Any]) -> dict[str, keras.Model]:
        raise NotImplementedError

    def check_networks(self, dataset: Dataset) -> dict[str, Any]:
        """Check the user's networks against the data; return the hyperparameters they fix."""
        raise NotImplementedError

    def make_optimizers(self, hp: dict[str, Any]) -> dict[str, tuple[keras.optimizers.Optimizer, list[str]]]:
        raise NotImplementedError

    # -- labels (conditional models) ------------------------------------------------------------
    @property
    def conditional(self) -> bool:
        return bool(self.hp.get("conditional", False))

    @property
    def n_classes(self) -> int:
        """The number of classes of the data's labels (conditional models)."""
        ds = self.dataset
        return int(max(ds.y_train.max(), -1 if ds.y_val is None or not len(ds.y_val) else ds.y_val.max())) + 1

    def check_labels(self, dataset: Dataset) -> None:
        """A conditional model needs in-memory data with class ids 0..k-1."""
        if not self.hp.get("conditional"):
            return
        if not dataset.has_labels:
            raise ValueError(
                f"conditional=True needs labels, and the data {dataset.name!r} has none: pass (x, y), "
                "nbgen.data.from_arrays(x, labels=y), or a data set with labels (digits, mnist5k, ring, grid)"
            )
        if dataset.streaming:
            raise ValueError("conditional=True needs the data in memory; streamed data is not supported yet")
        low = int(min(dataset.y_train.min(), dataset.y_val.min() if len(dataset.y_val) else 0))
        if low < 0:
            raise ValueError(f"conditional=True needs class ids 0, 1, ...; the labels hold {low}")
        k = int(max(dataset.y_train.max(), dataset.y_val.max() if len(dataset.y_val) else 0)) + 1
        missing = np.setdiff1d(np.arange(k), dataset.y_train)
        if len(missing):
            raise ValueError(
                f"conditional=True needs class ids 0 to k-1 that all occur in the training rows; the labels run to "
                f"{k - 1} but class {int(missing[0])} has no training rows ({len(missing)} of {k} missing): renumber "
                "the labels (np.unique(labels, return_inverse=True)[1]) or pass class names, which nbgen numbers"
            )

    def training_rows(self, x: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        """What the engine trains on: the rows, and for a conditional model their labels as
        one-hot columns after the features (``split`` takes them apart in the step)."""
        if not self.conditional:
            return x
        return np.concatenate([np.asarray(x, np.float32), self.one_hot(y)], axis=1)

    def one_hot(self, y: Any) -> np.ndarray:
        return np.eye(self.n_classes, dtype=np.float32)[np.asarray(y, np.int64)]

    def split(self, rows: jax.Array) -> tuple[jax.Array, jax.Array | None]:
        """Rows and their one-hot labels (None for an unconditional model)."""
        if not self.conditional:
            return rows, None
        return rows[:, : self.features], rows[:, self.features :]

    def with_labels(self, labels: Any) -> tuple:
        """The label input of a conditional network's call (nothing for an unconditional one)."""
        return () if labels is None else (labels,)

    def labels_given(self, n: int, label: Any, method: str) -> dict[str, Any]:
        """``{"labels": one-hot}`` for a conditional model's ``method`` (``label`` required),
        ``{}`` for an unconditional one (``label`` refused)."""
        if not self.conditional:
            if label is not None:
                self.sample_arguments({}, n, 0, label=label)  # its error: not a conditional model
            return {}
        if label is None:
            raise ValueError(
                f"{method}() of a conditional model needs label= (an int, or one int per row): "
                "the networks read each row's class"
            )
        return {"labels": self.labels_for(n, 0, label)}

    def labels_for(self, n: int, seed: int, label: Any = None) -> np.ndarray:
        """One-hot labels for ``n`` samples: ``label`` (an int or ``n`` ints), or drawn in the
        training data's class proportions."""
        k = self.n_classes
        if label is None:
            counts = np.bincount(self.dataset.y_train, minlength=k)
            y = np.random.default_rng(seed).choice(k, size=n, p=counts / counts.sum())
        else:
            y = np.asarray(label)
            if y.ndim == 0:
                y = np.full(n, y)
            if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
                raise ValueError(
                    f"label must be an int or {n} ints (one per row), got {np.asarray(label).dtype} "
                    f"array of shape {np.asarray(label).shape}"
                )
            bad = y[(y < 0) | (y >= k)]
            if len(bad):
                raise ValueError(f"label={int(bad[0])} is not a class of the data: its labels are 0 to {k - 1}")
        return self.one_hot(y)

    @property
    def sample_keywords(self) -> tuple[str, ...]:
        """What ``Session.sample`` takes besides ``n`` and ``seed`` (a conditional model: ``label``)."""
        return ("label",) if self.conditional else ()

    def sample_arguments(self, hp: dict[str, Any], n: int = 1, seed: int = 0, **given: Any) -> dict[str, Any]:
        """The keyword arguments of ``sample`` (arrays, so that changing them does not
        recompile): from the options a user ``given`` to ``Session.sample``, else the current
        ``hp``; a conditional model's one-hot ``labels``."""
        if "label" in given and not self.conditional:
            raise ValueError(
                f"label= needs a conditional model, and this {self.name} model is not: "
                f"use {type(self).__name__}(conditional=True) (or conditional=True in nbgen.train/show)"
                if "conditional" in self.accepts
                else f"label= needs a conditional model; the {self.name} model cannot be conditional"
            )
        unknown = [k for k in given if k not in self.sample_keywords]
        if unknown:
            takes = ", ".join(("n", "seed", *self.sample_keywords))
            raise TypeError(
                f"sample() takes no {', '.join(f'{k}=' for k in unknown)} for the {self.name} model; it takes "
                + takes.rsplit(", ", 1)[0]
                + " and "
                + takes.rsplit(", ", 1)[1]
            )
        return {"labels": self.labels_for(n, seed, given.get("label"))} if self.conditional else {}

    def train_step(self, state: State, data: jax.Array, rows: jax.Array, live: dict, key: jax.Array):
        """One step: returns ``(new_state, {metric: scalar})``."""
        raise NotImplementedError

    def eval_batch(self, params: dict, x: jax.Array, live: dict, key: jax.Array) -> dict:
        """Validation metrics on a batch, each a per-row vector ``(n,)``."""
        raise NotImplementedError

    # -- binding to data ------------------------------------------------------------------------
    @property
    def user_defined(self) -> bool:
        """True when the user gave the networks."""
        return bool(self.user_networks)

    def resolve(self, dataset: Dataset, given: dict[str, Any]) -> dict[str, Any]:
        """All hyperparameters for ``dataset``: defaults, this object's own, then ``given``."""
        n_train = len(dataset.x_train)
        own = _config.validate(self.table, self.name, {**self.hp, **given}, n_train)
        probe = copy.copy(self)  # this model as the user asked for it, on this data
        probe.hp, probe.dataset = own, dataset
        probe.check_labels(dataset)
        fixed = probe.check_networks(dataset) if self.user_networks else {}  # latent_dim, noise_dim...
        if self.user_networks:
            probe.check_activations(dataset)
        # defaults that suit the networks (the AE's schedule depends on its latent size)
        defaults = {**_config.common_defaults(), **probe.defaults(dataset, {**own, **fixed})}
        defaults["batch_size"] = min(defaults["batch_size"], n_train)
        defaults = {k: v for k, v in defaults.items() if k in self.accepts or k in self.table}  # (a Keras model takes fewer)
        if self.user_networks:
            defaults.update(fixed)
        hp = {**defaults, **own}
        self.check_hyperparameters(hp)
        return hp

    def check_hyperparameters(self, hp: dict[str, Any]) -> None:
        """Combinations of values that this model refuses (a ValueError naming them)."""

    def bind(self, dataset: Dataset, hp: dict[str, Any]) -> GenerativeModel:
        """A built copy of this model for ``dataset``: networks, optimizers (fresh weights)."""
        m = copy.copy(self)
        m.__dict__.pop("_jitted", None)  # a bound model compiles its own (nbgen.jitcache)
        m._keras_model = None
        m.dataset = dataset
        m.hp = dict(hp)
        if self.user_networks:
            if not self._initial:  # the user's starting weights: every reset starts from them
                self._initial = {k: [np.array(v.value) for v in n.variables] for k, n in self.user_networks.items()}
            for k, net in self.user_networks.items():
                for var, val in zip(net.variables, self._initial[k]):
                    var.assign(val)
            m.networks = dict(self.user_networks)
            m.sigmoid_outputs = frozenset(
                r
                for r in self.probability_roles
                if r in self.user_networks and last_activation(self.user_networks[r]) == "sigmoid"
            )
        else:
            m.networks = m.default_networks(dataset, hp)
            m.sigmoid_outputs = frozenset()
        m.networks.update(m.extra_networks(dataset))
        shapes = {k: input_shapes(n, k) for k, n in m.networks.items()}
        m.in_shapes = {k: v[0] for k, v in shapes.items()}  # the rows (or codes) a network reads
        m.more_in_shapes = {k: v[1:] for k, v in shapes.items()}  # its other inputs (time, label)
        m._training_arg = {k: takes_training(n) for k, n in m.networks.items()}
        m.optimizers = m.make_optimizers(hp)
        for opt, nets in m.optimizers.values():
            opt.build([v for n in nets for v in m.networks[n].trainable_variables])
        m._lr_index = {
            g: next(i for i, v in enumerate(opt.variables) if v.path.endswith("learning_rate"))
            for g, (opt, _) in m.optimizers.items()
        }
        return m

    def extra_networks(self, dataset: Dataset) -> dict[str, keras.Model]:
        """Networks nbgen adds to the user's (the VAE's Gaussian log-scale)."""
        return {}

    def signature(self) -> tuple:
        """Equal for models whose steps trace to the same computation (they share one jit)."""
        nets = tuple(id(n) for n in self.user_networks.values())
        structural = tuple((k, repr(self.hp.get(k))) for k in _config.STRUCTURAL if k != "seed")
        ds = self.dataset
        classes = self.n_classes if self.conditional else 0  # the width of the label input
        return (
            type(self).__module__, type(self).__qualname__, ds.features, ds.unit_interval, structural, nets, classes,
            self._settings(),
        )  # fmt: skip

    def _settings(self) -> tuple:
        """The model's public numeric and text class settings (``weight_decay``, ``r1_gamma``,
        ``betas``, ``generator_activation``...) as this object sees them: a step traces them in as
        constants, so changing one (on the class or the object) must not reuse a step compiled
        with the old value."""

        def setting(v):
            return number_like(v) or isinstance(v, str)

        public = {k for c in type(self).__mro__ for k, v in vars(c).items() if not k.startswith("_")}
        names = sorted(k for k in public if setting(getattr(type(self), k, None)))
        return tuple((k, getattr(self, k)) for k in names if setting(getattr(self, k, None)))

    # -- what the data looks like to the networks --------------------------------------------------
    @property
    def features(self) -> int:
        return self.dataset.features

    @property
    def unit_interval(self) -> bool:
        return self.dataset.unit_interval

    def output_activation(self) -> str | None:
        return "sigmoid" if self.unit_interval else None

    # the roles whose user network may end in a sigmoid that nbgen then reads as probabilities
    # (turned into logits for the loss): the VAE's decoder of pixels, the GAN's discriminator
    probability_roles: tuple[str, ...] = ()
    # the roles that make rows: a sigmoid there bounds them to (0, 1), which only [0, 1] data allows
    row_roles: tuple[str, ...] = ()

    def check_activations(self, dataset: Dataset) -> None:
        """The last activation of each user network against what its role needs: a softmax is
        refused everywhere (these roles output one value per pixel or feature, or one logit); a
        sigmoid where the role makes rows of data outside [0, 1]; never trained silently wrong."""
        for role, net in self.user_networks.items():
            act = last_activation(net)
            if act == "softmax":
                raise NetworkError(
                    f"{role} {net.name!r} ends in a softmax, which makes its outputs sum to 1 across the "
                    f"features: nbgen's {role} outputs "
                    + ("one logit per row" if role == "discriminator" else "one value per feature")
                    + ": end it in a linear layer"
                    + (" (or a sigmoid)" if role in self.probability_roles or role in self.row_roles else "")
                )
            if act == "sigmoid" and role in self.row_roles and role not in self.probability_roles:
                if not dataset.unit_interval:
                    raise NetworkError(
                        f"{role} {net.name!r} ends in a sigmoid, so its rows lie in (0, 1), but this data is "
                        f"standardised ({dataset.scaling.describe()}): end it in a linear layer"
                    )
            if act == "sigmoid" and role in self.probability_roles and role in self.row_roles:
                if not dataset.unit_interval:
                    raise NetworkError(
                        f"{role} {net.name!r} ends in a sigmoid (probabilities), which fits data in [0, 1]; this data "
                        f"is standardised ({dataset.scaling.describe()}) and gets a Gaussian decoder: end it in a "
                        "linear layer (the mean)"
                    )

    def as_logits(self, role: str, out: jax.Array) -> jax.Array:
        """A network's output as logits: a user network of a probability role that ends in a
        sigmoid gives probabilities, turned into logits here; any other output is logits already."""
        if role in getattr(self, "sigmoid_outputs", ()):
            return probabilities_to_logits(out)
        return out

    def jitted(self, method: str, **jit_options: Any):
        """``jax.jit`` of one of this model's methods, compiled once per bound model (nbgen.jitcache)."""
        return jitcache.method(self, method, **jit_options)

    # -- what Session.model gives ------------------------------------------------------------------
    decoded_activation: str | None = None  # applied to the decoder's output to get E[x | z]

    def keras_model(self) -> Any:
        """For models that reconstruct: one Keras model from rows ``(n, features)`` to their
        reconstructions, with ``.encoder`` and ``.decoder``; otherwise the networks as
        attributes (``.generator``, ``.discriminator``)."""
        nets = {k: self.networks[k] for k in self.network_names}
        if not self.can("reconstruct") or self.conditional:
            return Networks(**nets)
        if getattr(self, "_keras_model", None) is None:
            x = keras.Input((self.features,), name="x")
            h = keras.layers.Reshape(self.in_shapes["encoder"], name="to_encoder")(x)
            code = nets["encoder"](h)
            if isinstance(code, (list, tuple)):
                code = code[0]
            elif code.shape[-1] != self.hp["latent_dim"]:  # one (n, 2d) output: the mean is the first half
                code = code[:, : self.hp["latent_dim"]]
            out = keras.layers.Reshape((self.features,), name="to_rows")(nets["decoder"](code))
            if self.decoded_activation:
                out = keras.layers.Activation(self.decoded_activation, name="x_mean")(out)
            full = keras.Model(x, out, name=self.name)
            full.encoder, full.decoder = nets["encoder"], nets["decoder"]
            self._keras_model = full
        return self._keras_model

    # -- state helpers -------------------------------------------------------------------------------
    # The training state and the Keras variables never share a buffer: Keras's own fit, predict and
    # evaluate donate the variables' buffers to their compiled steps (JAX then deletes them), so a
    # user's model.predict() on ``session.model`` would otherwise destroy the session's weights.
    def init_state(self) -> State:
        params = {
            name: {
                "tv": [jnp.array(v.value, copy=True) for v in net.trainable_variables],
                "ntv": [jnp.array(v.value, copy=True) for v in net.non_trainable_variables],
            }
            for name, net in self.networks.items()
        }
        opt = {g: [jnp.array(v.value, copy=True) for v in o.variables] for g, (o, _) in self.optimizers.items()}
        return {"params": params, "opt": opt}

    def write_back(self, state: State) -> None:
        """Copy state arrays into the Keras variables (for save, export, user access)."""
        for name, net in self.networks.items():
            p = state["params"][name]
            for var, val in zip(net.trainable_variables, p["tv"]):
                var.assign(jnp.array(val, copy=True))
            for var, val in zip(net.non_trainable_variables, p["ntv"]):
                var.assign(jnp.array(val, copy=True))
        for g, (opt, _) in self.optimizers.items():
            for var, val in zip(opt.variables, state["opt"][g]):
                var.assign(jnp.array(val, copy=True))

    @contextlib.contextmanager
    def training_mode(self, record: bool = True):
        """Networks called inside run as Keras runs them in ``fit``: ``training=True``
        (Dropout drops, BatchNorm normalises by the batch). Yields a dict that collects each
        called network's updated non-trainable variables (BatchNorm's moving statistics),
        one call feeding the next; a training step opens it inside the function it
        differentiates, returns the dict as an auxiliary output and passes it to
        :meth:`with_ntv`. ``record=False``: training mode, nothing collected (a gradient
        penalty's inner derivative, whose values must not leave it)."""
        saved = getattr(_MODE, "current", None)
        out: dict[str, list] = {}
        _MODE.current = (self, out if record else {"_": None})  # per thread: a view may draw meanwhile
        try:
            yield out
        finally:
            _MODE.current = saved

    def with_ntv(self, state: State, ntv: dict[str, list]) -> State:
        """``state`` with the non-trainable variables that :meth:`training_mode` collected."""
        if not ntv:
            return state
        params = dict(state["params"])
        for name, values in ntv.items():
            params[name] = {"tv": params[name]["tv"], "ntv": [jax.lax.stop_gradient(v) for v in values]}
        return {**state, "params": params}

    def call(self, params: dict, name: str, x: jax.Array, *more: jax.Array, training: bool = False):
        """Run network ``name`` on ``x`` (rows are reshaped to the network's input shape) and,
        for networks with several inputs, on ``more`` (each reshaped to its input's shape).
        Inside :meth:`training_mode` the network runs in training mode."""
        net = self.networks[name]
        x = x.reshape((x.shape[0], *self.in_shapes[name]))
        current = getattr(_MODE, "current", None)
        mode = current[1] if current is not None and current[0] is self else None
        training = training or mode is not None
        ntv = params[name]["ntv"] if mode is None or name not in mode else mode[name]
        kw = {"training": training} if self._training_arg[name] else {}
        if len(more) != len(self.more_in_shapes[name]):
            raise NetworkError(
                f"{name} {net.name!r} takes {1 + len(self.more_in_shapes[name])} inputs; nbgen gives it {1 + len(more)}"
            )
        if more:
            x = [x, *(a.reshape((a.shape[0], *shape)) for a, shape in zip(more, self.more_in_shapes[name]))]
        out, new_ntv = net.stateless_call(params[name]["tv"], ntv, x, **kw)
        if mode is not None and "_" not in mode and net.non_trainable_variables:
            mode[name] = list(new_ntv)
        return out

    def rows(self, out: Any) -> jax.Array:
        """A network's output as flat rows ``(n, features)``."""
        return out.reshape((out.shape[0], -1))

    def apply_gradients(self, state: State, group: str, grads: dict, lr: jax.Array) -> State:
        """Update the networks of one optimizer group with the live learning rate."""
        opt, nets = self.optimizers[group]
        opt_vars = list(state["opt"][group])
        opt_vars[self._lr_index[group]] = jnp.asarray(lr, opt_vars[self._lr_index[group]].dtype)
        tv = [v for n in nets for v in state["params"][n]["tv"]]
        flat_grads = [g for n in nets for g in grads[n]]
        new_tv, new_opt = opt.stateless_apply(opt_vars, flat_grads, tv)
        params = dict(state["params"])
        i = 0
        for n in nets:
            k = len(params[n]["tv"])
            params[n] = {"tv": list(new_tv[i : i + k]), "ntv": params[n]["ntv"]}
            i += k
        return {"params": params, "opt": {**state["opt"], group: list(new_opt)}}

    def __repr__(self) -> str:
        nets = ", ".join(f"{k}={n.name!r}" for k, n in self.user_networks.items())
        hp = ", ".join(f"{k}={v!r}" for k, v in self.hp.items())
        return f"nbgen.{type(self).__name__}({', '.join(p for p in (nets, hp) if p)})"
