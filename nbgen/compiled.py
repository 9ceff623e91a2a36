"""The engine's compiled training steps, and the cache that shares them between sessions.

One dispatch of the engine is one call of a jitted function that runs a loop of training
steps on the device, with the epoch's validation pass at the step that ends it (see
:mod:`nbgen.engine`). This module builds that function for a model and keeps it: sessions
whose networks have the same architecture share it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from . import jitcache
from ._settings import config
from .models.base import GenerativeModel

config.apply()  # the persistent compilation cache, before the first jit


def compiled_steps(model: GenerativeModel, hp: dict[str, Any]) -> tuple[Callable, Callable, bool]:
    """The jitted training chunk and validation pass for ``model`` (shared between models of
    the same architecture in this process), and whether the chunk is one step (see
    ``one_step_per_dispatch``, decided once here)."""
    return jitcache.shared(model.signature(), lambda: _build(model))


def _build(model: GenerativeModel) -> tuple[Callable, Callable, bool]:
    def evaluate(params, x, live, key):
        return {k: jnp.mean(v) for k, v in model.eval_batch(params, x, live, key).items()}

    names = model.val_metric_names

    def run_chunk(state, data, idx, live, step, seed_key, val_x, val_key, n_active, epoch_of, epoch_end):
        """The first ``n_active`` of the ``idx.shape[0]`` steps that ``idx`` holds rows for (a
        loop with a traced trip count: one compiled shape whatever the count). Step ``i`` is
        global step ``step + i + 1`` and draws its randomness from ``fold_in(seed_key, step +
        i)``, so how steps are grouped into dispatches never changes a result. A step flagged
        in ``epoch_end`` ends an epoch: the validation metrics of the weights after it are
        computed there, in the same dispatch (``epoch_of``: each step's epoch, for the
        validation draw). Returns the state and per-step metrics and validation metrics
        (zero past ``n_active`` and, for validation, off epoch ends)."""
        length = idx.shape[0]
        shapes = jax.eval_shape(lambda st: model.train_step(st, data, idx[0], live, seed_key)[1], state)
        metrics = {k: jnp.zeros((length, *a.shape), a.dtype) for k, a in shapes.items()}
        val = {k: jnp.zeros((length,), jnp.float32) for k in names}

        def validate(params, ep):
            out = evaluate(params, val_x, live, jax.random.fold_in(val_key, ep))
            return {k: out[k].astype(jnp.float32) for k in names}

        def body(i, carry):
            st, metrics, val = carry
            st, m = model.train_step(st, data, idx[i], live, jax.random.fold_in(seed_key, step + i))
            metrics = {k: metrics[k].at[i].set(m[k]) for k in metrics}
            if names:
                v = jax.lax.cond(
                    epoch_end[i],
                    validate,
                    lambda p, ep: {k: jnp.zeros((), jnp.float32) for k in names},
                    st["params"],
                    epoch_of[i],
                )
                val = {k: val[k].at[i].set(v[k]) for k in names}
            return st, metrics, val

        state, metrics, val = jax.lax.fori_loop(0, n_active, body, (state, metrics, val))
        return state, (metrics, val)

    def run_one(state, data, idx, live, step, seed_key, val_x, val_key, n_active, epoch_of, epoch_end):
        """``run_chunk`` for exactly one step, compiled without a loop around it (see
        ``one_step_per_dispatch``); the same arguments and results (of length 1)."""
        state, m = model.train_step(state, data, idx[0], live, jax.random.fold_in(seed_key, step))
        metrics = {k: v[None] for k, v in m.items()}
        if not names:
            return state, (metrics, {})
        v = jax.lax.cond(
            epoch_end[0],
            lambda p, ep: {
                k: out.astype(jnp.float32)
                for k, out in evaluate(p, val_x, live, jax.random.fold_in(val_key, ep)).items()
                if k in names
            },
            lambda p, ep: {k: jnp.zeros((), jnp.float32) for k in names},
            state["params"],
            epoch_of[0],
        )
        return state, (metrics, {k: v[k][None] for k in names})

    one = one_step_per_dispatch(model)
    return jax.jit(run_one if one else run_chunk), jax.jit(evaluate), one


def one_step_per_dispatch(model: GenerativeModel) -> bool:
    """Whether ``model`` trains one step per dispatch, compiled without a loop: on a CPU,
    for networks with convolutions. XLA's CPU convolutions run about 3.8x slower inside a
    compiled loop than at the top level of a program (nbgen's conv VAE on mnist5k: 3.6 s
    per step in a ``lax.scan`` or ``fori_loop``, 0.95 s as a jitted step, an ad hoc timing of
    its own ``train_step``; benchmarks/throughput.py --conv --conv-scan shows the same for a
    pure-JAX version: ~40 samples/s in a scan, ~130 one step per call), while a conv step is long enough that one dispatch
    per step costs nothing. Dense networks keep the loop (same speed, less overhead)."""
    if jax.default_backend() != "cpu":
        return False
    for net in model.networks.values():
        for layer in net._flatten_layers(include_self=False, recursive=True):
            if "Conv" in type(layer).__name__:
                return True
    return False
