"""Layout and style models that open with only the properties that differ from their defaults.

A widget's ``Layout`` sends all ~45 CSS properties when its model opens, nearly all ``None``;
tools that save the widget state into a notebook (nbclient, ``jupyter nbconvert --execute``,
papermill) keep every one: ~1.2 KB per widget, 55 KB for a shown session. The front end's
layout and style models default to the same values (``null``, ``""``), so leaving the defaults
out of the opening state changes nothing on the page (ipywidgets' own ``drop_defaults``, which
its embedding uses). Later updates and a page's request for the full state are unchanged.
"""

from __future__ import annotations

import contextlib
import threading
import types
from collections.abc import Iterator
from typing import Any

import ipywidgets as widgets
from ipywidgets.widgets.widget_style import Style

_lock = threading.RLock()


def _opening_state(self: widgets.Widget, key: Any = None, drop_defaults: bool = False) -> dict:
    full = type(self).get_state
    if key is None and self.comm is None:  # the state the model opens with (Widget.open)
        state = full(self, drop_defaults=True)
        # its model's names (a layout or style has no view: the front end's model defaults name it)
        state.update(full(self, key=[k for k in self.keys if k.startswith("_model_")]))
        return state
    return full(self, key, drop_defaults)


@contextlib.contextmanager
def lean_models() -> Iterator[None]:
    """Layouts and styles made in this block (in this thread) open with their non-default properties only."""
    with _lock:
        owner = threading.get_ident()
        previous = widgets.Widget._widget_construction_callback

        def constructed(widget: widgets.Widget) -> None:
            if isinstance(widget, (widgets.Layout, Style)) and threading.get_ident() == owner:
                widget.get_state = types.MethodType(_opening_state, widget)
            if previous is not None:
                previous(widget)

        widgets.Widget.on_widget_constructed(constructed)
        try:
            yield
        finally:
            widgets.Widget.on_widget_constructed(previous)


def close_tree(widget: widgets.Widget) -> None:
    """Close a widget, its children and their layout/style models (frees their comms)."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    for name in ("layout", "style"):
        sub = getattr(widget, name, None)
        if isinstance(sub, widgets.Widget):
            sub.close()
    widget.close()
