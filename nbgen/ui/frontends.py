"""What the notebook front end can show: live widgets, or a static picture and a text line.

- JupyterLab, Notebook 7 and Voila render the widget as it is.
- Google Colab renders third-party widgets only after its custom widget manager is
  enabled; nbgen enables it itself (what anywidget does) and adds the manager's URL to
  the display's metadata. If that fails, ``show()`` falls back to :class:`StaticView`.
- ``NBGEN_DISPLAY=static`` forces the fallback anywhere (a front end without widgets).

The fallback view itself is :class:`nbgen.ui.pictures.StaticView`: this module only tells
what the front end can do, so that the modules that draw can ask it.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import Any

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def in_colab() -> bool:
    return "google.colab.output" in sys.modules


@cache
def _enable_colab_widgets() -> bool:
    try:
        sys.modules["google.colab.output"].enable_custom_widget_manager()
    except Exception:  # noqa: BLE001 - any failure means: no live widgets here
        return False
    return True


def widgets_available() -> bool:
    """False when the live widget cannot render here (then show() uses a StaticView)."""
    if os.environ.get("NBGEN_DISPLAY", "").lower() == "static":
        return False
    if in_colab():
        return _enable_colab_widgets()
    return True


def in_ipython() -> bool:
    """True under IPython (a Jupyter kernel, the IPython shell); False in a plain ``python``
    script, where IPython's ``display()`` would print every picture's text."""
    if "IPython" not in sys.modules:  # never imported: no shell can be running
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    return get_ipython() is not None


def display_metadata() -> dict[str, Any]:
    """Metadata for the widget's display: Colab's custom widget manager, when in Colab."""
    if not in_colab() or not _enable_colab_widgets():
        return {}
    widgets = getattr(sys.modules["google.colab.output"], "_widgets", None)
    url = getattr(widgets, "_installed_url", None)
    return {WIDGET_MIME: {"colab": {"custom_widget_manager": {"url": url}}}} if url else {}


__all__ = ["display_metadata", "in_colab", "in_ipython", "widgets_available"]


def execution_count() -> int | None:
    """The IPython shell's execution count (which cell is running), or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    shell = get_ipython()
    return None if shell is None else getattr(shell, "execution_count", None)
