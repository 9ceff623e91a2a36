"""Runs side by side at the same step: each run's kept frame (:mod:`nbgen.frames`) in one row
of panels, what ``Comparison.samples_at(step)`` draws.

A run keeps frames at log-spaced steps, so two runs rarely hold the very same step: each panel
shows its run's last frame at or before the step asked for, and its title says which step that
is. Runs without such a frame get an empty panel that says so; when no run has one the call is
refused with what to do (frames are kept by shown sessions, and by headless ones after
``session.frames.start()``; a run loaded from a file keeps none).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..frames import SAMPLES_SIDE
from .arrays import fit_projection, tile
from .png import png_data_uri

if TYPE_CHECKING:
    from .._compare import Comparison

MAX_REAL_POINTS = 1000  # 2-D data: the real points drawn in grey behind each run's samples


def _frame(session: Any, step: int | None) -> tuple[int, dict] | None:
    """``(its step, rows)`` of the run's frame at or before ``step`` (its last when None), or None."""
    if not session.frames.steps:
        return None
    try:
        return session.frames.at(session.frames.steps[-1] if step is None else step)
    except ValueError:
        return None


def samples_at(comparison: Comparison, step: int | None = None) -> go.Figure:
    """A figure with one panel per run: its samples at ``step`` (see the module's text)."""
    if step is not None and (isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0):
        raise ValueError(f"step must be an int >= 0 (an optimizer step) or None (each run's last frame), got {step!r}")
    sessions, labels = comparison.sessions, comparison.labels
    frames = [_frame(s, step) for s in sessions]
    if all(f is None for f in frames):
        where = "any" if step is None else f"at or before step {step}"
        raise ValueError(
            f"step: none of the {len(sessions)} runs kept a frame {where}. Frames are kept by shown sessions "
            "(nbgen.show) and by headless ones that call session.frames.start() before training; runs loaded "
            "from files keep none"
        )
    titles = [
        f"{label}: step {f[0]:,}" if f is not None else f"{label}: no frame at step {step}"
        for label, f in zip(labels, frames)
    ]
    fig = make_subplots(rows=1, cols=len(sessions), subplot_titles=titles, horizontal_spacing=0.03)
    first = sessions[0].dataset
    projection = None
    if not first.is_image:
        real = first.to_rows(first.model_train[:MAX_REAL_POINTS]).reshape(-1, first.features)
        projection = fit_projection(real)
        real_xy = projection.project(real)
    for i, (s, f) in enumerate(zip(sessions, frames)):
        where = {"row": 1, "col": i + 1}
        samples = None if f is None else f[1].get("samples")
        if s.dataset.is_image:
            if samples is not None:
                lo, hi = s.dataset.value_range or (None, None)
                fig.add_trace(go.Image(source=png_data_uri(tile(samples, SAMPLES_SIDE), lo, hi), hoverinfo="skip",
                                       name=labels[i]), **where)  # fmt: skip
            fig.update_xaxes(visible=False, constrain="domain", **where)
            fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=f"x{i + 1 if i else ''}", **where)
            continue
        assert projection is not None
        if samples is not None:  # the samples under the data, so that the data's modes stay visible
            xy = projection.project(np.asarray(samples).reshape(len(samples), -1))
            fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", name="samples", showlegend=i == 0,
                                     marker={"size": 3, "color": "#d62728", "opacity": 0.5}), **where)  # fmt: skip
        fig.add_trace(go.Scatter(x=real_xy[:, 0], y=real_xy[:, 1], mode="markers", name="data", showlegend=i == 0,
                                 marker={"size": 4, "color": "#1f77b4"}), **where)  # fmt: skip
    fig.update_layout(
        height=320, width=max(320 * len(sessions), 480), template="plotly_white", margin={"t": 60, "b": 20},
        title=f"Samples at step {step:,}" if step is not None else "Samples at each run's last kept step",
    )  # fmt: skip
    return fig
