"""The view's options as controls: the loss panel's log y, smoothing and x axis (steps, epochs
or seconds), redrawn at the next draw; the latent scatter's projection (PCA or t-SNE,
:mod:`nbgen.ui.embedding`); and the pictures' step (:mod:`nbgen.ui.history`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from .embedding import PROJECTIONS, check_projection
from .history import Scrubber
from .panels.loss import FID, JS, X_AXES, LossView

# switchable layers of the 2-D views (trace name -> the checkbox's label): the field, the
# generator's manifold, the kept frames' quality curve (JS divergence on 2-D data, FID on images)
LAYERS = {"field": "field", "manifold": "manifold", JS: "JS", FID: "FID"}


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
        # the latent scatter's projection: offered when t-SNE is possible (a latent panel, latent_dim > 2)
        self.projection = widgets.Dropdown(options=[(label, name) for name, label in PROJECTIONS.items()],
                                           value="pca", description="latent", style=wide,
                                           layout=widgets.Layout(width="150px"))  # fmt: skip
        if view:  # a setup's options (checked first: a bad value raises before any control moves)
            view = dict(view)
            projection = check_projection(view.pop("projection", "pca"))
            v = LossView(**view)
            if projection != figure.projection:
                figure.set_projection(projection)
            self.log_y.value, self.smoothing.value, self.x_axis.value = v.log_y, v.smoothing, v.x
            self.projection.value = projection
            figure.set_loss_view(v)
        for control in (self.log_y, self.smoothing, self.x_axis):
            control.observe(lambda _: self.apply(), names="value")
        self.projection.observe(lambda change: self.set_projection(change["new"]), names="value")
        self.projection.add_class("nbgen-projection")
        # picking the selected value again fires no change: t-SNE of the current codes on demand
        self.redo = widgets.Button(description="redo t-SNE", tooltip="embed the latent codes of the model now",
                                   layout=widgets.Layout(width="90px", display="none"))  # fmt: skip
        self.redo.on_click(lambda _: self.set_projection("tsne", again=True))
        self.redo.add_class("nbgen-redo-tsne")
        self.scrubber = Scrubber(figure)
        # the 2-D data panel's optional layers: shown when the figure has them (a GAN, a diffusion model)
        self.layers = {name: widgets.Checkbox(value=True, description=label, indent=False,
                                              layout=widgets.Layout(width="90px")) for name, label in LAYERS.items()}  # fmt: skip
        for name, box in self.layers.items():
            box.observe(lambda change, name=name: self.show_layer(name, change["new"]), names="value")
        self.follow_figure()
        self.box = widgets.HBox([self.log_y, self.smoothing, self.x_axis, self.projection, self.redo, *self.layers.values(),
                                 self.scrubber.box],
                                layout=widgets.Layout(align_items="center", flex_flow="row wrap"))  # fmt: skip
        self.box.add_class("nbgen-plot-options")

    @property
    def view(self) -> LossView:
        return LossView(log_y=self.log_y.value, smoothing=float(self.smoothing.value), x=self.x_axis.value)

    def options(self) -> dict[str, Any]:
        """The plot options as ``show(setup=...)`` keeps them (:mod:`nbgen.setup_text`)."""
        v = self.view
        return {"log_y": v.log_y, "smoothing": v.smoothing, "x": v.x, "projection": self.figure.projection}

    def refresh(self, rebuilt: bool = False) -> None:
        """After a draw: the kept frames in the step slider; after a rebuild, the layers offered."""
        self.scrubber.refresh()
        if self.projection.value != self.figure.projection:  # set_projection() by code, a reset to latent_dim 2
            self.projection.value = self.figure.projection
            self._show_redo()
        if rebuilt:
            self.follow_figure()

    def follow_figure(self) -> None:
        """Offer the layers the figure has now (after a rebuild for another model or data), and the
        projection choice where t-SNE is possible (the dropdown shows the figure's projection)."""
        for name, box in self.layers.items():
            box.layout.display = None if self.figure.has_trace(name) else "none"
        self.projection.layout.display = None if len(self.figure.projections) > 1 else "none"
        self.projection.value = self.figure.projection
        self._show_redo()

    def _show_redo(self) -> None:
        self.redo.layout.display = None if self.figure.projection == "tsne" else "none"

    def set_projection(self, name: str, again: bool = False) -> None:
        """The dropdown's choice (or ``again``: the redo button): the latent scatter's projection
        (t-SNE computed in the background)."""
        if name == self.figure.projection and not again:  # the dropdown following the figure: nothing to do
            return
        try:
            self.figure.set_projection(name)
        except ValueError as exc:  # reported, never raised into the comm handler
            if self.figure.on_error is None:
                raise
            self.figure.on_error(str(exc))
        self._show_redo()

    def show_layer(self, name: str, shown: bool) -> None:
        """Show or hide one layer of the data panel (the field, the generator's manifold)."""
        self.figure.hidden_layers.discard(name) if shown else self.figure.hidden_layers.add(name)
        if self.figure.has_trace(name):
            self.figure.trace(name).visible = shown

    def apply(self) -> None:
        """Hand the controls' values to the loss panel and ask for a draw."""
        self.figure.set_loss_view(self.view)
        self._redraw()
