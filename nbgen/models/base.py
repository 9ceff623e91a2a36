"""What every nbgen model provides to the engine.

A model owns Keras networks and says, as pure functions of arrays, how one
training step and one evaluation go. The engine owns the loop. State is a
plain dict of arrays so that it can be jitted, scanned and rolled back:

    {"params": {net_name: {"tv": [...], "ntv": [...]}},
     "opt": {group_name: [...optimizer variables...]}}
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np

State = dict[str, Any]


def mlp(name: str, inputs: keras.KerasTensor, hidden: tuple[int, ...], activation: str = "relu") -> keras.KerasTensor:
    h = inputs
    for i, width in enumerate(hidden):
        h = keras.layers.Dense(width, activation=activation, name=f"{name}_dense_{i}")(h)
    return h


class GenerativeModel:
    """Base class: subclasses set ``kind``, ``metric_names`` and build networks."""

    kind: str = ""
    metric_names: tuple[str, ...] = ()
    val_metric_names: tuple[str, ...] = ()
    can_encode = False
    can_sample = False

    def __init__(self, features: int, unit_interval: bool, hp: dict[str, Any]):
        # Models work in the data set's model units (nbgen.data.Scaling): values in
        # [0, 1] when unit_interval, else standardised real values.
        self.features = features
        self.unit_interval = unit_interval
        self.hp = dict(hp)
        self.networks: dict[str, keras.Model] = {}
        # optimizer group name -> (optimizer, [network names it updates])
        self.optimizers: dict[str, tuple[keras.optimizers.Optimizer, list[str]]] = {}
        self.build()
        for opt, nets in self.optimizers.values():
            opt.build([v for n in nets for v in self.networks[n].trainable_variables])
        self._lr_index = {
            g: next(i for i, v in enumerate(opt.variables) if v.path.endswith("learning_rate"))
            for g, (opt, _) in self.optimizers.items()
        }

    # -- to be provided by subclasses ---------------------------------------
    def build(self) -> None:
        raise NotImplementedError

    def train_step(self, state: State, data: jax.Array, rows: jax.Array, live: dict, key: jax.Array):
        """One step: returns ``(new_state, {metric: scalar})``."""
        raise NotImplementedError

    def eval_batch(self, params: dict, x: jax.Array, live: dict, key: jax.Array) -> dict:
        """Validation metrics on a batch, each a per-row vector ``(n,)``."""
        raise NotImplementedError

    # -- state helpers -------------------------------------------------------
    def init_state(self) -> State:
        params = {
            name: {
                "tv": [jnp.asarray(v.value) for v in net.trainable_variables],
                "ntv": [jnp.asarray(v.value) for v in net.non_trainable_variables],
            }
            for name, net in self.networks.items()
        }
        opt = {g: [jnp.asarray(v.value) for v in o.variables] for g, (o, _) in self.optimizers.items()}
        return {"params": params, "opt": opt}

    def write_back(self, state: State) -> None:
        """Copy state arrays into the Keras variables (for save, export, user access)."""
        for name, net in self.networks.items():
            p = state["params"][name]
            for var, val in zip(net.trainable_variables, p["tv"]):
                var.assign(val)
            for var, val in zip(net.non_trainable_variables, p["ntv"]):
                var.assign(val)
        for g, (opt, _) in self.optimizers.items():
            for var, val in zip(opt.variables, state["opt"][g]):
                var.assign(val)

    def call(self, params: dict, name: str, x: jax.Array, training: bool = False):
        net = self.networks[name]
        out, _ = net.stateless_call(params[name]["tv"], params[name]["ntv"], x, training=training)
        return out

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

    def output_activation(self) -> str | None:
        return "sigmoid" if self.unit_interval else None


def to_numpy(x: Any) -> np.ndarray:
    return np.asarray(jax.device_get(x))
