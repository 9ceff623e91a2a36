"""The loss panel: one curve per loss term against the step, and the live-change markers.

The curves grow from the session's step history through append-only buffers and
are downsampled to bucket means before each send (:data:`MAX_LOSS_POINTS` per
curve). Every hyperparameter change in the session's timeline gets a dotted
vertical line and a short label (``"lr 1e-3 -> 3e-4"``); only the most recent
:data:`MAX_CHANGE_MARKERS` are marked. This panel runs no network, so the figure
draws it on every draw, but sends the curves at most as often as :data:`LOSS_BYTES_PER_S`
allows (each send is the whole downsampled curve: about 3 a second early in a run, about
1.5 a second once the curves are long), and always at the end of a run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go

from ..arrays import GrowingArray, downsample
from ..labels import change_label
from .base import Panel

if TYPE_CHECKING:
    from ...session import Session
    from ..plots import SessionFigure

MAX_LOSS_POINTS = 400  # per loss trace (each draw resends it whole: keep traffic low)
LOSS_BYTES_PER_S = 15_000  # the loss curves' share of the live view's traffic (target: 50 KB/s in all)
MAX_CHANGE_MARKERS = 40  # most recent live changes marked on the loss panel
X_AXES = ("step", "epoch", "seconds")


@dataclass(frozen=True)
class LossView:
    """How the loss panel draws its curves: a log y axis, an exponential moving average
    (``smoothing`` in [0, 1): the weight of the past, as TensorBoard's slider, bias-corrected),
    and the x axis in optimizer steps, epochs, or seconds of training seen by this view."""

    log_y: bool = False
    smoothing: float = 0.0
    x: str = "step"

    def __post_init__(self) -> None:
        if self.x not in X_AXES:
            raise ValueError(f"x must be one of {', '.join(X_AXES)}, got {self.x!r}")
        if not 0.0 <= float(self.smoothing) < 1.0:
            raise ValueError(f"smoothing must be in [0, 1), got {self.smoothing!r}")


def ema(y: np.ndarray, weight: float) -> np.ndarray:
    """The bias-corrected exponential moving average of ``y`` (``weight``: the past's share)."""
    if weight <= 0 or len(y) == 0:
        return y
    from scipy.signal import lfilter

    smoothed = lfilter([1.0 - weight], [1.0, -weight], y)
    return smoothed / (1.0 - weight ** np.arange(1, len(y) + 1))


JS = "JS divergence (nats)"  # the divergence curve's trace, on 2-D data
FID = "FID"  # the live FID curve's trace (digits, mnist5k), on its own axis at the right


class LossPanel:
    """Loss curves (one trace per name in ``loss_names``) and change markers."""

    name = "loss"
    title = "Losses (markers: live changes)"

    def __init__(self, loss_names: list[str], quality: str | None = None):
        self.loss_names = list(loss_names)
        # the kept frames' quality curve (nbgen.frames): "js" on 2-D data, "fid" on the digits and
        # mnist5k (its scale is not the losses': an axis of its own, at the right), or None
        self.quality = quality
        self._divergence_drawn = -1
        self.panel: Panel | None = None
        self._titles: list[Any] = []  # the figure's subplot titles, kept beside the change labels
        self._buffers: dict[str, GrowingArray] = {}
        self._steps_ref: dict | None = None
        self._sent = -1  # steps in the curves as last sent
        self._next_send = 0.0  # monotonic time before which the curves are not sent again (unless forced)
        self._timeline_drawn = -1
        self.view = LossView()
        self._drawn_view: LossView | None = None
        self._seen: list[tuple[float, float]] = []  # (step, monotonic time) as this view saw them

    def add(self, fig: go.Figure, panel: Panel) -> None:
        """Add one line trace per loss term to ``panel`` of ``fig``."""
        self.panel = panel
        # the change labels share the layout's annotations with the subplot titles, made by now
        self._titles = list(fig.layout.annotations)
        for metric in self.loss_names:
            fig.add_trace(go.Scatter(x=[], y=[], mode="lines", name=metric, **panel.axes))
        line = {"dash": "dash", "color": "#2ca02c"}
        if self.quality == "js":
            fig.add_trace(go.Scatter(x=[], y=[], mode="lines+markers", name=JS, line=line, **panel.axes))
        elif self.quality == "fid":
            n = 1 + max(int(k[5:] or 1) for k in fig.layout.to_plotly_json() if k.startswith("yaxis"))
            # its ticks inside the panel, in the curve's colour, and no axis title: outside, a title
            # ran into the next panel's tick labels; the floor is the legend group's title
            fig.layout[f"yaxis{n}"] = {"overlaying": panel.yref, "side": "right", "anchor": panel.xref,
                                       "ticklabelposition": "inside", "tickfont": {"color": line["color"]},
                                       "showgrid": False, "rangemode": "tozero"}  # fmt: skip
            fig.add_trace(go.Scatter(x=[], y=[], mode="lines+markers", name=FID, line=line, xaxis=panel.xref,
                                     yaxis=f"y{n}", legendgroup=FID))  # fmt: skip
        fig.layout[panel.xaxis].title = "step"

    def restart(self) -> None:
        """Draw the change markers anew at the next update (the session's history restarted)."""
        self._timeline_drawn = -1
        self._divergence_drawn = -1
        self._seen = []

    def set_view(self, view: LossView) -> None:
        """Draw the curves and markers the new way at the next update."""
        self.view = view
        self._timeline_drawn = -1

    def _x(self, session: Session, steps: np.ndarray) -> np.ndarray:
        """Steps as the x axis shows them (epochs: steps over the steps of an epoch; seconds: the
        wall-clock time at which this view saw each step, interpolated between its draws)."""
        steps = np.asarray(steps, dtype=np.float64)
        if self.view.x == "epoch":
            per_epoch = max(len(session.dataset.x_train) // int(session.hyperparameters["batch_size"]), 1)
            return steps / per_epoch
        if self.view.x == "seconds":
            if len(self._seen) < 2:
                return np.zeros_like(steps)
            seen = np.asarray(self._seen)
            return np.interp(steps, seen[:, 0], seen[:, 1] - seen[0, 1])
        return steps

    def update(self, session: Session, figure: SessionFigure, force: bool = False) -> bool:
        """Bring the curves and the change markers up to date (cheap when nothing changed).

        Returns True when the curves were held back by the traffic budget (``force``: never):
        a later draw should catch up."""
        behind = self._draw_losses(session, figure, force)
        self._draw_changes(session, figure)
        if self.quality:
            self._draw_quality(session, figure)
        return behind

    def _draw_quality(self, session: Session, figure: SessionFigure) -> None:
        """At each kept frame's step: the JS divergence between generated and real points (2-D
        data), or the FID of the samples against the held-out rows (the digits, mnist5k)."""
        frames = session.frames
        kept = {s: v[1] for s, v in frames.divergence.items()} if self.quality == "js" else dict(frames.fid)
        if len(kept) == self._divergence_drawn and self.view == self._drawn_view:
            return
        self._divergence_drawn = len(kept)
        steps = np.array(sorted(kept), dtype=np.float64)
        values = np.array([kept[s] for s in sorted(kept)], dtype=np.float32)
        name = JS if self.quality == "js" else FID
        figure.trace(name).update(x=self._x(session, steps).astype(np.float32), y=values)
        if self.quality == "fid" and frames.fid_floor is not None:  # the floor: real rows measured alike
            figure.trace(FID).legendgrouptitle.text = f"{FID} of real data: {frames.fid_floor:.2f}"

    def _draw_losses(self, session: Session, figure: SessionFigure, force: bool) -> bool:
        steps = session.steps
        if steps is not self._steps_ref:
            self._steps_ref, self._sent, self._next_send = steps, -1, 0.0  # a new history: drawn at once
            self._buffers = {name: GrowingArray() for name in ["step", *self.loss_names]}
        n_old = len(self._buffers["step"])
        n = len(steps["step"])  # the engine extends "step" last, so metrics hold >= n values
        if n > n_old:
            self._buffers["step"].extend(steps["step"][n_old:n])
            for name in self.loss_names:
                self._buffers[name].extend(steps[name][n_old:n])
        now = time.monotonic()
        last = float(self._buffers["step"].values[-1]) if n else 0.0
        if n and (not self._seen or self._seen[-1][0] < last):
            self._seen.append((last, now))
        moved = self.view != self._drawn_view  # the user's own change: drawn at once
        if n == self._sent and not moved:
            return False
        if not (force or moved) and now < self._next_send:
            return True
        view, self._drawn_view, self._sent = self.view, self.view, n
        x = self._x(session, self._buffers["step"].values)
        points = 0
        for name in self.loss_names:
            xs, ys = downsample(x, ema(self._buffers[name].values, view.smoothing), MAX_LOSS_POINTS)
            # float32 halves the bytes of the binary buffers sent to the browser
            figure.trace(name).update(x=xs.astype(np.float32), y=ys.astype(np.float32))
            points += len(xs)
        self._next_send = now + 8 * points / LOSS_BYTES_PER_S
        p = self.panel
        if p is not None:
            layout = figure.widget.layout
            layout[p.xaxis].title = view.x
            layout[p.yaxis].type = "log" if view.log_y else "linear"
        return False

    def _draw_changes(self, session: Session, figure: SessionFigure) -> None:
        timeline = session.timeline
        if len(timeline) == self._timeline_drawn:
            return
        self._timeline_drawn = len(timeline)
        p = self.panel
        assert p is not None
        shapes, notes = [], []
        recent = timeline[-MAX_CHANGE_MARKERS:]
        at = self._x(session, [r["step"] for r in recent]) if recent else []
        for i, record in enumerate(recent):
            shapes.append(
                {
                    "type": "line",
                    "xref": p.xref,
                    "yref": f"{p.yref} domain",
                    "x0": float(at[i]),
                    "x1": float(at[i]),
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "rgba(120,120,120,0.8)", "width": 1, "dash": "dot"},
                    "name": f"change-{i}",
                }
            )
            notes.append(
                {
                    "x": float(at[i]),
                    "y": 1 - 0.07 * (i % 4),
                    "xref": p.xref,
                    "yref": f"{p.yref} domain",
                    "text": change_label(record),
                    "showarrow": False,
                    "xanchor": "left",
                    "font": {"size": 10},
                    "bgcolor": "rgba(255,255,255,0.7)",
                    "name": f"change-{i}",
                }
            )
        layout = figure.widget.layout  # other shapes (a scrubbed frame's step marker) stay
        layout.shapes = [*(sh for sh in layout.shapes if not (sh.name or "").startswith("change-")), *shapes]
        layout.annotations = [*self._titles, *notes]
