"""What the session asks of the layers above it, without importing them.

The layers point one way: data -> models -> engine -> session -> ui. Two of the session's
methods are the ui's work: ``session.figure()`` and ``session.snapshot()`` draw the views
(Plotly figures, rasterised or written as SVG), and the ui package, which owns the views,
imports the session's layer. An import of the ui in those methods, even inside a function,
would make an import circle: the session could not be read, tested or changed without the
ui. So the session asks this registry for the ui's pictures, and the ui's
``nbgen/ui/pictures.py`` is what answers.

Who says where the answer is: ``nbgen/__init__.py``, the package's public face, which
already loads every heavy part on first use (``nbgen.Session``, ``nbgen.load``). It gives
this registry a loader that imports the ui's pictures the first time a session asks for
them; every import of an nbgen module runs ``nbgen/__init__.py`` first, so the loader is
always there. This module imports nothing of nbgen's: every layer may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_LOADERS: dict[str, Callable[[], Any]] = {}
_LOADED: dict[str, Any] = {}


def provide(name: str, load: Callable[[], Any]) -> None:
    """Register ``load()``, which returns the implementation of ``name`` (called once, on the
    first :func:`get`)."""
    _LOADERS[name] = load
    _LOADED.pop(name, None)


def get(name: str) -> Any:
    """The implementation registered for ``name`` (loaded on first use)."""
    if name not in _LOADED:
        if name not in _LOADERS:
            raise RuntimeError(f"nothing provides nbgen's {name!r}: import nbgen (its __init__ registers it)")
        _LOADED[name] = _LOADERS[name]()
    return _LOADED[name]
