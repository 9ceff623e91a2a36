"""The controls of the panel, one per row of the hyperparameter table (``nbgen._config``), and the
lists the pickers offer. Needs ipywidgets and the table only (no Keras, JAX or Plotly), so that
:mod:`nbgen.ui.launch` and the widget build them alike."""

from __future__ import annotations

import math
from typing import Any

import ipywidgets as widgets

from .. import _config

DATA_OPTIONS = ("digits", "mnist5k", "moons", "ring", "grid")


def model_options() -> list[tuple[str, str]]:
    """The model picker's entries: every registered model (``nbgen.models.register``)."""
    from .. import models

    return [(models.REGISTRY[name].label or name, name) for name in models.names()]


YOURS = "yours"  # the model picker's value for a model with the user's own networks
# the setup row (applied on Reset / Train): every non-live row of the table that has a control,
# in the table's order; the live row is _config.LIVE
SETUP_FIELDS = tuple(n for n, p in _config.TABLE.items() if p.kind != "live" and p.control)
FIELD_WIDTH = {"hidden": "170px", "architecture": "170px", "seed": "110px"}


def make_control(p: _config.HParam) -> widgets.ValueWidget:
    """The widget control of one hyperparameter, from its row in the table."""
    wide = {"description_width": "initial"}
    common: dict[str, Any] = {"description": p.text, "tooltip": p.doc, "style": wide}
    if p.control in ("log_slider", "slider"):
        lo, hi, step = p.view
        if p.control == "log_slider":
            w = widgets.FloatLogSlider(base=10, min=lo, max=hi, step=step, readout_format=".1e", **common)
        elif p.type == "int":
            w = widgets.IntSlider(min=int(lo), max=int(hi), step=int(step), **common)
        else:
            w = widgets.FloatSlider(min=lo, max=hi, step=step, **common)
        w.continuous_update = False
    else:
        # wide enough for the label and a few digits (about 7 px per label character)
        layout = widgets.Layout(width=FIELD_WIDTH.get(p.name, f"{max(140, 70 + 7 * len(p.text))}px"))
        if p.control == "dropdown":
            w = widgets.Dropdown(options=[c for c in p.choices if c is not None], layout=layout, **common)
        elif p.control == "checkbox":
            common.pop("style")
            w = widgets.Checkbox(indent=False, layout=widgets.Layout(width="auto"), **common)
        elif p.control == "text":
            w = widgets.Text(layout=layout, **common)
        else:  # plain int fields: a bad value reaches validation and gets a clear message
            w = widgets.IntText(layout=layout, **common)
    w.add_class(p.css or "nbgen-" + p.name.replace("_", "-"))
    return w


def parse_hidden(text: str) -> tuple[int, ...]:
    """Layer widths from text such as ``"256, 256"``.

    Example:
        >>> parse_hidden("256, 128")
        (256, 128)
    """
    parts = [p.strip() for p in str(text).replace(";", ",").split(",")]
    try:
        widths = tuple(int(p) for p in parts if p)
    except ValueError:
        raise ValueError(f"hidden must be layer widths separated by commas, such as 256,256; got {text!r}") from None
    if not widths:
        raise ValueError(f"hidden must name at least one layer width, such as 256,256; got {text!r}")
    return widths


def widen(slider: widgets.ValueWidget, value: float) -> None:
    """Stretch a slider so that it shows ``value`` instead of clamping it (any value the
    table allows can be set in code; the slider spans the useful part of that range)."""
    if isinstance(slider, widgets.FloatLogSlider):
        if value > 0:
            exp = math.log10(value)
            slider.min, slider.max = min(slider.min, math.floor(exp)), max(slider.max, math.ceil(exp))
    elif hasattr(slider, "max"):
        slider.max = max(slider.max, value)
        slider.min = min(slider.min, value)
