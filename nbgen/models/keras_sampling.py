"""Your Keras model's own ``sample(n)`` / ``generate(n)`` method as the source of its samples.

A model class that defines ``sample`` or ``generate`` (``sample`` first) draws the rows that
``session.sample(n)``, the samples panel, the frames, the static snapshot and ``figure()`` show.
nbgen calls it as ``method(n)``, or ``method(n, seed=s)`` when the method takes a ``seed``
(``s`` an int drawn from the view's key: the views' fixed noise then stays fixed), outside jit
(it may use Keras's random ops and Python), with the model's variables reading the training
state's weights. It must return ``n`` rows of the data in the data's own units: an array shaped
``(n, *row_shape)`` or ``(n, features)`` (a list or tuple: its first item).

Refused with the model's and the method's names: a method that cannot be called as
``method(n)`` (when the model is given), and one whose output is not ``n`` such rows (when the
session is built: nbgen draws 2 rows then, so a wrong shape never reaches a view).
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import jax
import keras
import numpy as np

if TYPE_CHECKING:
    from .keras_model import KerasModel

SAMPLERS = ("sample", "generate")  # sample(n[, seed]) or generate(n[, seed])


def sampler(model: keras.Model) -> str | None:
    """The name of the model's own sampling method (defined on its class), if any."""
    return next((name for name in SAMPLERS if callable(getattr(type(model), name, None))), None)


def signature_problem(model: keras.Model) -> str | None:
    """Why the model's sampling method cannot be called as ``method(n)`` (None: it can)."""
    name = sampler(model)
    if name is None:
        return None
    try:
        signature = inspect.signature(getattr(model, name))
    except (TypeError, ValueError):  # a builtin or C callable: trust it
        return None
    try:
        signature.bind(2)
    except TypeError:
        return (
            f"model {model.name!r}: its {name}{signature} cannot be called as {name}(n): nbgen draws samples with "
            f"{name}(n) or {name}(n, seed=...) (n: how many rows; seed: an int, when the method takes one)"
        )
    return None


def draw(km: KerasModel, params: dict, key: jax.Array, n: int) -> tuple[np.ndarray | None, str | None]:
    """The rows the model's method returns, flat ``(n, features)`` in the data's units, and None;
    or None and why its output is not ``n`` rows of the data."""
    name = sampler(km.keras)
    assert name is not None
    method = getattr(km.keras, name)
    try:
        takes_seed = "seed" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        takes_seed = False
    seed = int(jax.random.randint(key, (), 0, 2**31 - 1))
    out: Any = km._scoped(params, lambda: method(n, seed=seed) if takes_seed else method(n))
    out = out[0] if isinstance(out, (list, tuple)) and out else out
    try:
        rows = np.asarray(out, np.float32)
    except (TypeError, ValueError):
        rows = np.zeros(())
    if rows.ndim >= 1 and rows.shape[0] == n and int(np.prod(rows.shape[1:])) == km.features:
        return rows.reshape(n, -1), None
    got = f"an array of shape {rows.shape}" if rows.ndim else f"{type(out).__name__} {str(out)[:60]!r}"
    return None, (
        f"model {km.keras.name!r}: {name}({n}) returned {got}; nbgen needs {n} rows of the data, shaped "
        f"{(n, *km.dataset.row_shape)} (or {(n, km.features)}), in the data's units"
    )
