"""The live notebook view of a session: ``nbgen.show()`` builds a :class:`SessionWidget`.

Its names are imported when first used: ``nbgen.show()`` puts its controls on screen
(:mod:`nbgen.ui.launch`, which needs ipywidgets only) before Keras, JAX and Plotly load.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "SessionFigure": ".plots",
    "Throttle": ".plots",
    "ThrottledDrawer": ".plots",
    "SessionWidget": ".widget",
    "show": ".show",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'nbgen.ui' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


__all__ = ["SessionFigure", "SessionWidget", "Throttle", "ThrottledDrawer", "show"]
