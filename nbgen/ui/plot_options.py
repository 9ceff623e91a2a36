"""The view's options as controls: the loss panel's log y, smoothing and x axis (steps, epochs
or seconds), redrawn at the next draw; and the pictures' step (:mod:`nbgen.ui.history`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from .history import Scrubber
from .panels.loss import X_AXES, LossView


class PlotOptions:
    """Controls bound to a figure's loss panel; ``box`` is their row."""

    def __init__(self, figure: Any, redraw: Callable[[], None], view: dict[str, Any] | None = None):
        self.figure = figure
        self._redraw = redraw
        wide = {"description_width": "initial"}
        self.log_y = widgets.Checkbox(value=False, description="log y", indent=False, layout=widgets.Layout(width="70px"))
        self.smoothing = widgets.FloatSlider(
            value=0.0, min=0.0, max=0.99, step=0.01, description="smoothing", style=wide, continuous_update=False
        )
        self.x_axis = widgets.Dropdown(options=X_AXES, value="step", description="x axis", style=wide,
                                       layout=widgets.Layout(width="160px"))  # fmt: skip
        if view:  # a setup's options (checked first: a bad value raises before any control moves)
            v = LossView(**view)
            self.log_y.value, self.smoothing.value, self.x_axis.value = v.log_y, v.smoothing, v.x
            figure.set_loss_view(v)
        for control in (self.log_y, self.smoothing, self.x_axis):
            control.observe(lambda _: self.apply(), names="value")
        self.scrubber = Scrubber(figure)
        self.box = widgets.HBox([self.log_y, self.smoothing, self.x_axis, self.scrubber.box],
                                layout=widgets.Layout(align_items="center", flex_flow="row wrap"))  # fmt: skip
        self.box.add_class("nbgen-plot-options")

    @property
    def view(self) -> LossView:
        return LossView(log_y=self.log_y.value, smoothing=float(self.smoothing.value), x=self.x_axis.value)

    def apply(self) -> None:
        """Hand the controls' values to the loss panel and ask for a draw."""
        self.figure.set_loss_view(self.view)
        self._redraw()
