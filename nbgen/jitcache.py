"""The one place where nbgen keeps compiled functions.

Two kinds, one home:

- the engine's training steps (:mod:`nbgen.compiled`), shared by every model whose steps
  trace to the same computation (``GenerativeModel.signature()``: a Reset, a second show(), a
  sweep's runs): the weights, the seed's key and the live values are arguments, so JAX's
  in-memory cache hits; the :data:`KEEP` most recent are kept;
- each bound model's inference functions (``encode``, ``sample``... through
  ``GenerativeModel.jitted``), compiled once per model and kept on it (they hold the model,
  so a table here would keep every model alive; on the model they go with it).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import jax

KEEP = 8
_steps: OrderedDict[Hashable, Any] = OrderedDict()


def shared(key: Hashable, build: Callable[[], Any]) -> Any:
    """What ``build()`` made for ``key`` (made now if it is not kept)."""
    if key in _steps:
        _steps.move_to_end(key)
        return _steps[key]
    value = _steps[key] = build()
    while len(_steps) > KEEP:
        _steps.popitem(last=False)
    return value


def method(model: Any, name: str, **jit_options: Any) -> Callable:
    """``jax.jit`` of ``model``'s method ``name`` (with ``jit_options``), compiled once per model."""
    cache = model.__dict__.setdefault("_jitted", {})
    key = (name, tuple(sorted(jit_options.items())))
    if key not in cache:
        cache[key] = jax.jit(getattr(model, name), **jit_options)
    return cache[key]


def clear() -> None:
    """Forget the shared training steps (the next session compiles its own)."""
    _steps.clear()
