"""Back through a run: a kept frame (:mod:`nbgen.frames`) drawn in a figure's model views, and
the step slider under the live view that scrubs through them.

A frame holds what the model drew at one step (its samples and reconstructions); shown in a
figure, it takes the place of the live samples, reconstructions and generated points, and the
loss panel marks its step. The live views stop following training while the slider is on a
step and follow it again at "live" (training goes on either way).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..frames import SAMPLES_SIDE
from .arrays import tile
from .panels.images import RECONSTRUCTION_COLUMNS, pairs_of_rows

if TYPE_CHECKING:
    from .plots import SessionFigure

LIVE = "live"
_MARK = "nbgen-frame-step"  # the name of the loss panel's marker shape
NOW = ("decision", "field", "manifold", "paths", "latent")  # traces of the model now (not kept in frames)


def show_frame(figure: SessionFigure, step: int) -> int:
    """Draw the frame at ``step`` (or the last one before it) in ``figure``; returns its step.
    The model views then stay on it (``figure.pinned``) until :func:`follow_live`."""
    s = figure.session
    at, frame = s.frames.at(step)
    ds = s.dataset
    samples = frame.get("samples")
    if samples is not None and figure.has_trace("samples"):
        figure.view("samples").show(figure, tile(samples, SAMPLES_SIDE))  # type: ignore[attr-defined]
    if samples is not None and figure.has_trace("generated") and figure.data_projection is not None:
        xy = figure.data_projection.project(samples.reshape(len(samples), -1))
        figure.trace("generated").update(x=xy[:, 0], y=xy[:, 1])
    recon = frame.get("reconstructions")
    if recon is not None and figure.has_trace("reconstructions"):
        originals = ds.to_rows(ds.model_val[: len(recon)])
        grid = tile(pairs_of_rows(originals, recon, RECONSTRUCTION_COLUMNS), RECONSTRUCTION_COLUMNS)
        figure.view("reconstructions").show(figure, grid)  # type: ignore[attr-defined]
    for name in NOW:  # drawn from the model now, not at that step: emptied until live again
        if figure.has_trace(name):
            figure.trace(name).update(z=[[None]]) if name == "decision" else figure.trace(name).update(x=[], y=[])
    _mark(figure, at)
    figure.pinned = at
    return at


def follow_live(figure: SessionFigure) -> None:
    """The model views follow training again (drawn at the next draw)."""
    _mark(figure, None)
    figure.pinned = None
    figure.draw(force=True)


def _mark(figure: SessionFigure, step: int | None) -> None:
    """A dotted vertical line at ``step`` on the loss panel (its x axis in steps), or none."""
    fig = figure.widget
    shapes = [sh for sh in fig.layout.shapes if sh.name != _MARK]
    panel = figure.panels.get("loss")
    if step is not None and panel is not None and figure.loss_view.x == "step":
        shapes.append(
            {"type": "line", "name": _MARK, "xref": panel.xref, "yref": f"{panel.yref} domain", "x0": step,
             "x1": step, "y0": 0, "y1": 1, "line": {"color": "#555", "width": 1.5, "dash": "dot"}}
        )  # fmt: skip
    fig.layout.shapes = shapes


class Scrubber:
    """The step slider: "live", or one of the kept frames' steps. ``box`` is its widget."""

    def __init__(self, figure: SessionFigure):
        self.figure = figure
        self.slider = widgets.SelectionSlider(
            options=[LIVE], value=LIVE, description="pictures at", continuous_update=False,
            style={"description_width": "initial"}, layout=widgets.Layout(width="320px"),
        )  # fmt: skip
        self.slider.add_class("nbgen-scrubber")
        self.slider.observe(self._moved, names="value")
        self._quiet = False
        self.box = self.slider

    def refresh(self) -> None:
        """Offer the frames kept so far (cheap: a new list only when they changed)."""
        options = [*(f"step {s}" for s in self.figure.session.frames.steps), LIVE]
        if list(self.slider.options) != options:
            value = self.slider.value if self.slider.value in options else LIVE
            self._quiet = True
            try:
                self.slider.options = options
                self.slider.value = value
            finally:
                self._quiet = False

    def _moved(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        value = change["new"]
        with self.figure.lock:
            if value == LIVE:
                follow_live(self.figure)
            else:
                show_frame(self.figure, int(value.split()[1]))
