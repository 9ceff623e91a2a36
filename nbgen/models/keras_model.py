"""Your own compiled ``keras.Model``, trained by nbgen's engine the way Keras trains it.

``nbgen.train(model, data)`` (and ``show``, ``Session``, ``sweep``, ``replay``...) takes any
compiled ``keras.Model`` where a model name goes. Its training is Keras's own: nbgen calls
the model's JAX ``train_step(state, data)`` (Keras's default, which runs the compiled loss
and metrics or an overridden ``compute_loss``; or your own JAX-style override, as Keras's
guide "Customizing what happens in fit() with JAX" writes it) inside the engine's compiled
dispatches, so pause, stop, divergence rollback, events, timeline and exact replay hold as
for nbgen's own models.

What nbgen adds, read off the model:

- live controls: the learning rate of ``model.optimizer`` (``learning_rate``; a schedule gets
  ``learning_rate_scale``, keras_schedules.py; a ``MultiOptimizer``, ``learning_rate_<name>``
  per sub-optimizer, and optimizer attributes ``<name>_learning_rate``, keras_optimizers.py)
  and every scalar non-trainable ``keras.Variable`` that is an attribute of the model
  (``self.beta = keras.Variable(1.0, trainable=False)``), under its attribute name. A change is
  written into the step's state (the optimizer's learning-rate variable, the model's variable)
  at the next dispatch, recorded in the timeline and replayed;
- curves of every scalar the step returns (``loss`` and the compiled metrics), per step and per
  epoch, and the same through Keras's ``test_step`` on the validation split (``val_loss``...)
  when the model trains through its loss (no ``train_step`` override, or a ``test_step`` one).
- samples from its ``decoder`` or ``generator`` (N(0, I) codes), or from its own ``sample(n)`` /
  ``generate(n)`` method (keras_sampling.py).

How it differs from ``model.fit``: the data are shuffled and cut into whole batches each epoch
(a last partial batch is dropped, as nbgen's own models do); metrics are reset at every step and
averaged over the epoch's steps (the same as Keras's running means for losses and accuracies,
not for metrics such as AUC that do not average over batches); the validation pass uses the
first 2,000 rows of the validation split. Data reach the model in the data's own units, as
``fit`` receives them: ``x`` alone, or ``(x, y)`` with ``y`` the labels as int class ids when the
model was compiled with a ``loss`` (or with ``labels=True``).
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import keras
import numpy as np

from .. import _config
from .base import GenerativeModel, State
from .introspect import NetworkError
from .keras_optimizers import check as check_optimizers
from .keras_optimizers import check_built, extra_optimizers, lr_row, lr_variable, rate_controls
from .keras_sampling import draw, sampler, signature_problem
from .keras_schedules import ROW as SCALE_ROW
from .keras_schedules import SCALE, scaled, schedule_of

if TYPE_CHECKING:
    from ..data import Dataset

TF_ROUTE = (
    "On JAX, write the step the backend-agnostic way instead: override compute_loss(self, x, y, y_pred, "
    "sample_weight, training) to return the loss (a VAE adds its KL term there) and keep Keras's train_step; or "
    "write train_step(self, state, data) as Keras's guide 'Customizing what happens in fit() with JAX' does"
)


class KerasModelError(NetworkError):
    """A Keras model that nbgen cannot train as it is (not compiled, a TensorFlow-only step...)."""


def _scalar_variables(model: keras.Model) -> dict[str, keras.Variable]:
    """The model's attributes that are scalar, non-trainable numeric keras.Variables."""
    out = {}
    for name, value in vars(model).items():
        if name.startswith("_") or not isinstance(value, keras.Variable):
            continue
        if value.trainable or tuple(value.shape) != ():
            continue
        dtype = keras.backend.standardize_dtype(value.dtype)
        if "float" in dtype or "int" in dtype:
            out[name] = value
    return out


ONE_HOT_LOSSES = ("categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge")


def _wants_one_hot(model: keras.Model) -> bool:
    """Whether the model's compiled loss compares outputs with one-hot targets (Keras's
    ``categorical_crossentropy`` and kin, not the ``sparse_`` ones that take class ids)."""
    loss = getattr(model, "loss", None)
    if isinstance(loss, str):
        return loss in ONE_HOT_LOSSES
    name = getattr(loss, "name", None) or getattr(getattr(loss, "fn", None), "__name__", "")
    return name in ONE_HOT_LOSSES or type(loss).__name__ in ("CategoricalCrossentropy", "CategoricalFocalCrossentropy")


def _variable_row(name: str, value: float, integer: bool) -> _config.HParam:
    """A live control for a model variable: a slider around its starting value."""
    top = max(10.0 * abs(value), 1.0)
    lo = 0.0 if value >= 0 else -top
    step = 1 if integer else top / 200
    return _config.HParam(
        name,
        "live",
        "int" if integer else "float",
        f"your model's variable {name} (keras.Variable, trainable=False)",
        control="slider",
        view=(lo, top, step),
        css=f"nbgen-var-{name}",
    )


PARTS = ("encoder", "decoder", "generator")  # sub-networks whose views nbgen draws


def _parts(model: keras.Model) -> dict[str, keras.Model]:
    """The model's sub-networks that nbgen can draw: ``encoder``, ``decoder``, ``generator``."""
    return {k: v for k in PARTS if isinstance(v := getattr(model, k, None), keras.Model)}


class KerasModel(GenerativeModel):
    """A compiled ``keras.Model`` trained by nbgen (see this module's docstring).

    Args:
        model: a compiled ``keras.Model`` (``model.compile(optimizer, loss, metrics)``, or with
            an overridden ``compute_loss`` or JAX ``train_step``).
        labels: pass the data's labels as ``y`` (``(x, y)``); default: when the model was
            compiled with a ``loss``.
        **hyperparameters: ``batch_size``, ``epochs``, ``seed``, ``learning_rate`` and the
            model's own variables (their starting values).

    Example:
        >>> clf = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10)])
        >>> clf.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        >>> s = nbgen.train(clf, "digits", epochs=5)
        >>> s.history["val_accuracy"][-1] > 0.8
        True
    """

    name = "keras"
    network_names = ("model",)
    fixed_by_networks = ("hidden", "architecture", "latent_dim")

    def __init__(self, model: Any = None, labels: bool | None = None, **hyperparameters: Any):
        if not isinstance(model, keras.Model):
            raise TypeError(f"model must be a compiled keras.Model, got {type(model).__name__} {model!r}")
        if labels is not None and not isinstance(labels, bool):
            raise TypeError(f"labels must be True, False or None (automatic), got {labels!r}")
        self._check_compiled(model)
        self._check_train_step(model)
        if problem := signature_problem(model):  # its own sample(n) / generate(n)
            raise KerasModelError(problem)
        self.extra_optimizers = extra_optimizers(model)  # a GAN's d_optimizer and g_optimizer
        jax_step = type(model).train_step is not keras.Model.train_step
        problem = check_optimizers(model, self.extra_optimizers, jax_step)
        if problem:
            raise KerasModelError(problem)
        self.keras = model
        self.labels = labels
        self.variable_names = tuple(_scalar_variables(model))
        clash = [n for n in self.variable_names if n in _config.COMMON or n in _config.STRUCTURAL]
        if clash:
            raise KerasModelError(
                f"the variable {clash[0]!r} of model {model.name!r} has the name of one of nbgen's settings "
                f"({', '.join(_config.COMMON)}): rename the attribute to make it a live control"
            )
        super().__init__(model=model, **hyperparameters)

    # -- what the model is ----------------------------------------------------------------------
    @staticmethod
    def _check_compiled(model: keras.Model) -> None:
        if not getattr(model, "compiled", False) or model.optimizer is None:
            raise KerasModelError(
                f"model {model.name!r} is not compiled: call model.compile(optimizer=..., loss=..., metrics=[...]) "
                "first (with an overridden compute_loss or train_step, model.compile(optimizer=...) is enough)"
            )

    @staticmethod
    def _check_train_step(model: keras.Model) -> None:
        if type(model).train_step is keras.Model.train_step:
            return
        try:
            params = list(inspect.signature(model.train_step).parameters)
        except (TypeError, ValueError):
            return
        if len(params) == 1:  # train_step(self, data): TensorFlow's form (tf.GradientTape)
            raise KerasModelError(
                f"model {model.name!r} overrides train_step(self, {params[0]}), the TensorFlow form (it runs "
                f"tf.GradientTape), which the JAX backend cannot run. {TF_ROUTE}"
            )

    @property
    def capabilities(self) -> frozenset[str]:  # type: ignore[override]
        """What the model's parts allow: ``encoder`` -> encode; ``decoder`` -> decode and sample
        (from N(0, I) codes); both -> reconstruct; ``generator`` -> sample."""
        parts = _parts(self.keras)
        can = set()
        if "encoder" in parts:
            can.add("encode")
        if "decoder" in parts:
            can |= {"decode", "sample"}
        if "encoder" in parts and "decoder" in parts:
            can.add("reconstruct")
        if "generator" in parts or sampler(self.keras):
            can.add("sample")
        if getattr(self, "_classes_out", 0):
            can.add("classify")
        return frozenset(can)

    @property
    def panels(self) -> tuple[str, ...]:  # type: ignore[override]
        can = self.capabilities
        shown = [("latent", "encode"), ("reconstructions", "reconstruct"), ("samples", "sample"), ("confusion", "classify")]
        return ("loss", *(p for p, c in shown if c in can))

    @property
    def overrides_train_step(self) -> bool:
        return type(self.keras).train_step is not keras.Model.train_step

    @property
    def validates(self) -> bool:
        """Whether Keras's test_step gives meaningful validation metrics for this model."""
        return not self.overrides_train_step or type(self.keras).test_step is not keras.Model.test_step

    @property
    def label(self) -> str:  # type: ignore[override]
        return self.keras.name

    @property
    def picker_label(self) -> str:
        return f"{self.keras.name} (your Keras model)"

    @property
    def rates(self) -> dict[str, tuple[str, keras.optimizers.Optimizer]]:
        """Each learning-rate control -> (its optimizer group, the optimizer whose rate it is)."""
        return rate_controls(self.keras, self.extra_optimizers)

    def _groups(self) -> dict[str, keras.optimizers.Optimizer]:
        """The optimizers that train the model, by group name (``"optimizer"``, or its own attributes')."""
        return dict(self.extra_optimizers) or {"optimizer": self.keras.optimizer}

    @property
    def accepts(self) -> tuple[str, ...]:
        own = ("batch_size", "epochs", "seed", "steps_per_dispatch")
        rates = tuple(self.rates)  # several optimizers: d_optimizer_learning_rate, learning_rate_adam...
        if rates == ("learning_rate",):
            own = ("learning_rate", "anneal", *own)
        elif rates or self.extra_optimizers:
            own = (*rates, *own)
        elif schedule_of(self.keras.optimizer) is not None:  # a schedule: a live factor on it
            own = (SCALE, *own)
        return (*own, *self.variable_names)

    @property
    def table(self) -> dict[str, _config.HParam]:
        rows = {
            n: SCALE_ROW if n == SCALE else lr_row(n) if n in self.rates and n != "learning_rate" else _config.TABLE[n]
            for n in self.accepts
            if n not in self.variable_names
        }
        for name, var in _scalar_variables(self.keras).items():
            integer = "int" in keras.backend.standardize_dtype(var.dtype)
            rows[name] = _variable_row(name, float(np.asarray(var.value)), integer)
        return rows

    def shows(self, name: str) -> bool:
        return name in self.live_names

    def defaults(self, dataset: Dataset, given: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"batch_size": 32, "epochs": 10}  # Keras's fit: batch 32 (its epochs: 1)
        for name, (_, opt) in self.rates.items():  # 0.001, not 0.0010000000474974513
            out[name] = float(str(np.float32(np.asarray(opt.learning_rate))))
        if SCALE in self.accepts:
            out[SCALE] = 1.0
        for name, var in _scalar_variables(self.keras).items():
            value = np.asarray(var.value)
            out[name] = int(value) if np.issubdtype(value.dtype, np.integer) else float(str(np.float32(value)))
        return out

    def check_networks(self, dataset: Dataset) -> dict[str, Any]:
        if dataset.streaming:
            raise KerasModelError(
                f"model {self.keras.name!r}: a Keras model trains on data in memory; this data set streams from "
                "its source (load a part of it, or pass the array)"
            )
        self._build(dataset)
        parts = _parts(self.keras)
        source = parts.get("decoder") or parts.get("generator")
        if source is not None:
            from .introspect import input_shape

            shape = input_shape(source, "decoder" if "decoder" in parts else "generator")
            if len(shape) != 1:
                raise KerasModelError(
                    f"model {self.keras.name!r}: its {'decoder' if 'decoder' in parts else 'generator'} takes inputs "
                    f"of shape {(None, *shape)}; nbgen draws samples from flat codes (None, d)"
                )
            return {"latent_dim": int(shape[0])}
        return {}

    def check_activations(self, dataset: Dataset) -> None:
        """Nothing to check: the model's own loss reads its outputs (a softmax classifier is fine)."""

    # -- binding ----------------------------------------------------------------------------------
    def _passes_labels(self, dataset: Dataset) -> bool:
        wanted = self.labels if self.labels is not None else self.keras._compile_loss is not None
        if wanted and dataset.targets("train") is None:
            raise KerasModelError(
                f"model {self.keras.name!r} was compiled with a loss, which compares outputs with targets, and the "
                f"data {dataset.name!r} has no labels or targets: pass (x, y), or write compute_loss for a model "
                "without targets (or KerasModel(model, labels=False))"
            )
        return bool(wanted)

    def _target_width(self, dataset: Dataset) -> int:
        """Columns the targets take after a row's features: one-hot classes for a categorical loss,
        one per real-valued target, else one (the class id)."""
        if dataset.t_train is not None:
            return int(np.prod(dataset.t_train.shape[1:], dtype=np.int64))
        return self.n_classes if _wants_one_hot(self.keras) else 1

    def bind(self, dataset: Dataset, hp: dict[str, Any]) -> KerasModel:
        import copy

        m = copy.copy(self)
        m.__dict__.pop("_jitted", None)  # a bound model compiles its own (nbgen.jitcache)
        m.dataset = dataset
        m.hp = dict(hp)
        model = self.keras
        m._with_y = m._passes_labels(dataset)
        m._in_shape = tuple(int(s) for s in dataset.row_shape)
        m._real_y = dataset.t_train is not None
        m._y_width = 0 if not m._with_y else m._target_width(dataset)
        m._build(dataset)
        groups = self._groups()
        if not self._initial:  # the starting weights: every reset starts from them
            self._initial = {"model": [np.array(v.value) for v in model.variables]}
            self._initial |= {g: [np.array(v.value) for v in o.variables] for g, o in groups.items()}
        for var, val in zip(model.variables, self._initial["model"]):
            var.assign(val)
        for g, o in groups.items():
            for var, val in zip(o.variables, self._initial[g]):
                var.assign(val)
        m.networks = {"model": model}
        m.optimizers = {g: (o, ["model"]) for g, o in groups.items()}
        m.in_shapes = {"model": m._in_shape}
        m.more_in_shapes = {"model": ()}
        m._training_arg = {"model": True}
        m._rate_index = {  # each rate control -> (group, its variable's place in that group's variables)
            name: (g, next(i for i, v in enumerate(groups[g].variables) if v is lr_variable(o)))
            for name, (g, o) in self.rates.items()
        }
        ntv_ids = {id(v): i for i, v in enumerate(model.non_trainable_variables)}
        m._variable_index = {n: ntv_ids[id(v)] for n, v in _scalar_variables(model).items()}
        m._metrics0 = [np.array(v.value) for v in model.metrics_variables]
        m._classes_out = m._class_outputs()
        m._check_step()
        if sampler(model):  # its own sample(n): 2 rows now, so that a wrong shape never reaches a view
            m._own_sample(m.init_state()["params"], jax.random.key(0), 2)
        return m

    def _class_outputs(self) -> int:
        """k when the model is a classifier of the data's labels: it trains on them and outputs one
        array ``(n, k)`` with k their number of classes (logits or probabilities); else 0."""
        if not self._with_y or self._real_y:
            return 0
        out = self.keras.compute_output_spec(keras.KerasTensor((2, *self._in_shape)))
        if isinstance(out, (list, tuple)) or len(out.shape) != 2 or out.shape[1] != self.n_classes:
            return 0
        return int(out.shape[1])

    def classify(self, params: dict, x: jax.Array) -> jax.Array:
        """The class the model gives each row ``x`` (model units), the argmax of its output."""
        x = self._to_user(x).reshape((x.shape[0], *self._in_shape))
        p = params["model"]
        out, _ = self.keras.stateless_call(p["tv"], p["ntv"], x, training=False)
        return jnp.argmax(out, axis=-1)

    def _build(self, dataset: Dataset) -> None:
        """What fit() does first: build the layers, the compiled loss and metrics, the optimizer."""
        model = self.keras
        shape = tuple(int(s) for s in dataset.row_shape)
        x0 = np.asarray(dataset.x_train[:2], np.float32).reshape((2, *shape))
        labels = self._passes_labels(dataset)
        if labels and dataset.t_train is not None:
            y0 = dataset.t_train[:2]
        elif labels:
            y0 = self.one_hot(dataset.y_train[:2]) if _wants_one_hot(model) else np.asarray(dataset.y_train[:2], np.int32)
        batch = (x0, y0) if labels else (x0,)
        try:
            model._symbolic_build(data_batch=batch)
        except Exception as exc:
            if not labels:
                targets = ""
            elif dataset.t_train is not None:
                targets = f" and targets of shape {(None, *y0.shape[1:])} (the data's real-valued targets)"
            else:
                targets = f" and targets of shape {(None, *y0.shape[1:])} (the labels as " + (
                    "one-hot rows, for its categorical loss)" if y0.ndim == 2 else "class ids: use a sparse_ loss)"
                )
            raise KerasModelError(
                f"model {model.name!r} could not be built on rows of shape {(None, *shape)}{targets} "
                f"({type(exc).__name__}: {str(exc).splitlines()[0][:300]}): its input must take one row of the data"
                + (" and its loss must take those targets" if labels else "")
            ) from exc
        if problem := check_built(model):  # a MultiOptimizer's sub-optimizers, now built on the variables
            raise KerasModelError(problem)

    def _check_step(self) -> None:
        """Trace one training step (no compute): its logs name the metrics, and a step that
        cannot train (a non-scalar loss, no loss at all) is refused before training."""
        model = self.keras
        state = self.init_state()
        rows = jax.ShapeDtypeStruct((2, self.features + self._y_width), jnp.float32)
        live = {n: jnp.float32(0) for n in self.live_names}
        try:
            shapes = jax.eval_shape(lambda st, r: self._keras_step(st, r, live)[1], state, rows)
        except Exception as exc:
            text = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
            hint = ""
            if "scalar" in text.lower():
                hint = ": its loss must be a scalar (reduce it with keras.ops.mean)"
            raise KerasModelError(
                f"model {model.name!r}: one training step failed when traced on a batch of 2 rows "
                f"({type(exc).__name__}: {text}){hint}. nbgen runs train_step with jax.jit: every layer and the loss "
                "must run on the JAX backend"
            ) from exc
        names = [k for k, s in shapes.items() if getattr(s, "shape", None) == ()]
        if "loss" not in names:
            got = ", ".join(f"{k} {getattr(s, 'shape', s)}" for k, s in shapes.items()) or "nothing"
            raise KerasModelError(
                f"model {model.name!r}: its train_step returns {got}; nbgen needs a scalar 'loss' among its logs "
                "(return {'loss': loss, ...} as Keras's own train_step does)"
            )
        self.metric_names = ("loss", *(n for n in names if n != "loss"))
        self.val_metric_names = ()
        if self.validates:
            try:
                val = jax.eval_shape(lambda p, r: self.eval_batch(p, r, live, None), state["params"], rows)
                self.val_metric_names = tuple(k for k, s in val.items() if getattr(s, "shape", None) == ())
            except Exception:  # a model whose test_step cannot run: no validation curves
                self.val_metric_names = ()

    # -- the step ----------------------------------------------------------------------------------
    def _data(self, rows: jax.Array):
        x = rows[:, : self.features].reshape((rows.shape[0], *self._in_shape))
        if not self._with_y:
            return x
        if self._real_y:  # real-valued targets, shaped as the user gave them
            return x, rows[:, self.features :].reshape((rows.shape[0], *self.dataset.t_train.shape[1:]))
        if self._y_width > 1:  # one-hot targets, for a categorical loss
            return x, rows[:, self.features :]
        return x, rows[:, self.features].astype(jnp.int32)

    def _with_live(self, ntv: list, opt: dict | None, live: dict) -> tuple[list, dict | None]:
        """The state's variables with the live values written in: the model's own variables, and
        each optimizer's learning rate (``opt``: its variables by group)."""
        ntv = list(ntv)
        for name, i in self._variable_index.items():
            if name in live:
                ntv[i] = jnp.asarray(live[name], ntv[i].dtype)
        if opt is not None:
            opt = {g: list(v) for g, v in opt.items()}
            for name, (g, i) in self._rate_index.items():
                if name in live:
                    opt[g][i] = jnp.asarray(live[name], opt[g][i].dtype)
        return ntv, opt

    def _keras_step(self, state: State, rows: jax.Array, live: dict):
        p = state["params"]["model"]
        ntv, opt = self._with_live(p["ntv"], state["opt"], live)
        assert opt is not None
        metrics0 = [jnp.asarray(v) for v in self._metrics0]  # reset every step: the engine averages
        # one optimizer: its variables, as Keras passes them; several: a dict by attribute name
        given = opt if self.extra_optimizers else opt["optimizer"]
        with scaled(self.keras.optimizer, live.get(SCALE, 1.0)):  # a schedule times its live factor
            logs, (tv, ntv, out, _) = self.keras.train_step((list(p["tv"]), ntv, given, metrics0), self._data(rows))
        out = {g: list(out[g]) for g in opt} if self.extra_optimizers else {"optimizer": list(out)}
        new = {"params": {"model": {"tv": list(tv), "ntv": list(ntv)}}, "opt": out}
        return new, _flat(logs)

    def training_rows(self, x: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        """The rows in the data's own units (what fit gets), and the label as a last column (one-hot
        columns for a categorical loss)."""
        user = np.asarray(self.dataset.scaling.to_user(np.asarray(x)), np.float32)
        if not self._with_y:
            return user
        if self._real_y:
            target = np.asarray(y, np.float32).reshape(len(y), -1)
        else:
            target = self.one_hot(y) if self._y_width > 1 else np.asarray(y, np.float32)[:, None]
        return np.concatenate([user, target], axis=1)

    def train_step(self, state: State, data: jax.Array, rows: jax.Array, live: dict, key: jax.Array):
        new, logs = self._keras_step(state, data[rows], live)
        return new, {k: jnp.asarray(logs[k], jnp.float32) for k in self.metric_names}

    def eval_batch(self, params: dict, x: jax.Array, live: dict, key: jax.Array) -> dict:
        p = params["model"]
        ntv, _ = self._with_live(p["ntv"], None, live)
        metrics0 = [jnp.asarray(v) for v in self._metrics0]
        logs, _ = self.keras.test_step((list(p["tv"]), ntv, metrics0), self._data(x))
        return {f"val_{k}": jnp.asarray(v, jnp.float32) for k, v in _flat(logs).items() if jnp.ndim(v) == 0}

    # -- the parts' views (rows in model units in and out, like nbgen's own models) ------------
    def _scoped(self, params: dict, fn):
        """Run ``fn()`` with the model's variables reading ``params`` (the training state)."""
        p = params["model"]
        mapping = list(zip(self.keras.trainable_variables, p["tv"])) + list(
            zip(self.keras.non_trainable_variables, p["ntv"])
        )
        with keras.StatelessScope(state_mapping=mapping):
            return fn()

    def _to_user(self, rows: jax.Array) -> jax.Array:
        sc = self.dataset.scaling
        return rows if sc.kind == "none" else rows * jnp.asarray(sc.scale, jnp.float32) + jnp.asarray(sc.shift, jnp.float32)

    def _to_model(self, rows: jax.Array) -> jax.Array:
        sc = self.dataset.scaling
        return rows if sc.kind == "none" else (rows - jnp.asarray(sc.shift, jnp.float32)) / jnp.asarray(sc.scale, jnp.float32)

    def _code(self, out: Any) -> jax.Array:
        """An encoder's code: its first output (z_mean of [z_mean, z_log_var, z])."""
        return out[0] if isinstance(out, (list, tuple)) else out

    def encode(self, params: dict, x: jax.Array) -> jax.Array:
        """The encoder's code: its first output, or the first half of one output twice the decoder's
        input (mean and log-variance side by side, as nbgen's own VAE networks give them)."""
        x = self._to_user(x).reshape((x.shape[0], *self._in_shape))
        code = self._scoped(params, lambda: self._code(self.keras.encoder(x, training=False)))
        d = self.hp.get("latent_dim")
        return code[:, :d] if d and code.shape[-1] == 2 * d else code

    def decode(self, params: dict, z: jax.Array) -> jax.Array:
        out = self._scoped(params, lambda: self.keras.decoder(z, training=False))
        return self._to_model(self._code(out).reshape((z.shape[0], -1)))

    def reconstruct(self, params: dict, x: jax.Array) -> jax.Array:
        return self.decode(params, self.encode(params, x))

    def jitted(self, method: str, **jit_options: Any):
        """As the base model's; your model's own ``sample``/``generate`` method runs as you wrote
        it, outside jit (it may use Keras's random ops and Python), with the training state's weights."""
        if method == "sample" and sampler(self.keras):
            return self._own_sample
        return super().jitted(method, **jit_options)

    def _own_sample(self, params: dict, key: jax.Array, n: int) -> jax.Array:
        """``n`` rows from the model's own ``sample``/``generate`` (nbgen/models/keras_sampling.py)."""
        rows, problem = draw(self, params, key, n)
        if problem:
            raise KerasModelError(problem)
        return self._to_model(jnp.asarray(rows))

    def sample(self, params: dict, key: jax.Array, n: int) -> jax.Array:
        net = self.keras.decoder if "decoder" in _parts(self.keras) else self.keras.generator
        z = jax.random.normal(key, (n, self.hp["latent_dim"]))
        out = self._scoped(params, lambda: net(z, training=False))
        return self._to_model(self._code(out).reshape((n, -1)))

    def keras_model(self) -> keras.Model:
        return self.keras

    def signature(self) -> tuple:
        return (*super().signature(), self._y_width, self._real_y, self.metric_names)

    def __repr__(self) -> str:
        return f"nbgen.KerasModel({self.keras.name!r})"


def _flat(logs: dict) -> dict:
    """Logs with nested dicts merged in, as Keras flattens them for callbacks and History
    (``self.metrics`` holds a ``compile_metrics`` container whose result is a dict)."""
    out = {}
    for k, v in logs.items():
        if isinstance(v, dict):
            out.update(_flat(v))
        else:
            out[k] = v
    return out
