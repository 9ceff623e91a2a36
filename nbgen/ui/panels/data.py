"""The 2-D data panel: real against generated points, and the GAN discriminator's decision surface.

For tabular data the real validation rows (at most :data:`MAX_DATA_POINTS`, in
the data's units) are drawn once, projected to the plane (PCA beyond two
features); each model-view update draws the model's samples from fixed noise,
or its reconstructions when it cannot sample, in the same projection. Models
that declare a ``"surface"`` panel get D(x) shaded behind the points on 2-D data
(:func:`decision_surface`); models that declare ``"trajectory"`` get the paths of a few
samples from noise to data (``Session.trajectory``), and ``"field"`` the direction in which
the model moves points (``model.field``) as short lines on a grid behind them; models that
can decode get a star at the row decoded from the latent click.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go

from ...frames import POINTS, view_samples
from ..arrays import Projection, fit_projection, grid_points, padded_range, typed_array
from .base import SAMPLE_SEED, Panel

if TYPE_CHECKING:
    from ...data import Dataset
    from ...session import Session
    from ..plots import SessionFigure

MAX_DATA_POINTS = POINTS  # real and generated points in the data panel (nbgen.frames)
MANIFOLD_LINES, MANIFOLD_POINTS = 9, 21  # the generator's warped grid: lines each way, points a line
SURFACE_GRID = 40  # resolution of the GAN decision surface, per side
N_PATHS = 32  # sampling paths drawn on 2-D data (diffusion)
FIELD_GRID = 20  # lines of the field, per side


def data_title(model: Any) -> str:
    """The data panel's title for ``model`` (what it shows depends on what the model can do)."""
    shading = "; shading: D(x)" if "surface" in model.panels else ""
    made = "samples" if model.can("sample") else "reconstructions"
    star = "; star: decoded click" if model.can("decode") else ""
    paths = "; lines: paths from noise" if "trajectory" in model.panels else ""
    field = f"; blue: {model.field_description}" if "field" in model.panels else ""
    return f"Real (grey), {made}{star}{shading}{paths}{field}"


class DataPanel:
    """Real (``"real"``) and generated (``"generated"``) points, with ``"decision"`` and ``"decoded"`` where the model has them."""

    name = "data"

    def __init__(self, model: Any, dataset: Dataset):
        self.model = model
        self.dataset = dataset
        self.title = data_title(model)
        self.panel: Panel | None = None
        self.projection: Projection | None = None  # rows in the data's units <-> the plane

    def add(self, fig: go.Figure, panel: Panel) -> None:
        """Fit the projection to the real rows and add this panel's traces and ranges to ``fig``."""
        self.panel = panel
        ds = self.dataset
        axes = panel.axes
        shown = ds.to_rows(ds.model_val[:MAX_DATA_POINTS]).reshape(-1, ds.features)  # the data's units
        self.projection = fit_projection(shown)
        real = self.projection.project(shown).astype(np.float32)  # float32: half the bytes of every state copy
        if "surface" in self.model.panels and ds.features == 2:
            fig.add_trace(
                go.Heatmap(
                    z=[[None]],
                    colorscale="RdBu",
                    zmin=0,
                    zmax=100,  # D(x) in percent (uint8 bytes on the wire)
                    opacity=0.5,
                    showscale=False,
                    hovertemplate="D(x)=%{z}%<extra></extra>",
                    name="decision",
                    **axes,
                )
            )
        if "field" in self.model.panels and ds.features == 2:
            fig.add_trace(panel.scatter("field", "lines", line={"width": 1, "color": "rgba(31,119,180,0.55)"}))
        if "manifold" in self.model.panels and ds.features == 2:
            fig.add_trace(panel.scatter("manifold", "lines", line={"width": 1, "color": "rgba(44,160,44,0.6)"}))
        fig.add_trace(
            panel.scatter("real", "markers", real[:, 0], real[:, 1], marker={"size": 4, "color": "rgba(90,90,90,0.45)"})
        )
        fig.add_trace(panel.scatter("generated", "markers", marker={"size": 4, "color": "rgba(214,39,40,0.6)"}))
        if "trajectory" in self.model.panels:
            fig.add_trace(panel.scatter("paths", "lines", line={"width": 1, "color": "rgba(214,39,40,0.35)"}))
        if self.model.can("decode"):
            fig.add_trace(panel.scatter("decoded", "markers", marker={"symbol": "star", "size": 16, "color": "black"}))
        xr, yr = padded_range(real[:, 0]), padded_range(real[:, 1])
        fig.layout[panel.xaxis].range = list(xr)
        fig.layout[panel.yaxis].range = list(yr)

    def update(self, session: Session, figure: SessionFigure) -> None:
        """Draw the generated points (and the decision surface where there is one)."""
        ds = session.dataset
        proj = self.projection
        assert proj is not None
        label = figure.shown_label if session.generative_model.conditional else None  # the class picked
        if not session.generative_model.can("sample"):
            gen = session.reconstruct(ds.to_rows(ds.model_val[:MAX_DATA_POINTS]))
        else:
            gen = view_samples(session, label=label)[0]
        gen = gen.reshape(len(gen), -1)
        xy = proj.project(gen).astype(np.float32)
        figure.trace("generated").update(x=xy[:, 0], y=xy[:, 1])
        if figure.has_trace("decision"):
            self._draw_decision_surface(session, figure)
        if figure.has_trace("paths"):
            picked = {} if label is None else {"label": label}
            path = session.trajectory(N_PATHS, seed=SAMPLE_SEED, **picked)  # (steps + 1, n, *row)
            xy = proj.project(path.reshape(-1, ds.features)).reshape(path.shape[0], N_PATHS, 2)
            x, y = _polylines(xy)
            figure.trace("paths").update(x=x, y=y)
        if figure.has_trace("field"):
            self._draw_field(session, figure)
        if figure.has_trace("manifold"):
            x, y = _polylines(manifold_lines(session))
            figure.trace("manifold").update(x=x, y=y)

    def _draw_field(self, session: Session, figure: SessionFigure) -> None:
        layout = figure.widget.layout
        p = self.panel
        assert p is not None
        xr, yr = tuple(layout[p.xaxis].range), tuple(layout[p.yaxis].range)
        start = grid_points(xr, yr, FIELD_GRID).astype(np.float32)
        direction = field_at(session, start)
        cell = min(xr[1] - xr[0], yr[1] - yr[0]) / FIELD_GRID
        longest = float(np.max(np.linalg.norm(direction, axis=1))) or 1.0
        end = start + direction * (0.9 * cell / longest)  # the longest line spans 0.9 of a grid cell
        x, y = _polylines(np.stack([start, end]))
        figure.trace("field").update(x=x, y=y)

    def _draw_decision_surface(self, session: Session, figure: SessionFigure) -> None:
        layout = figure.widget.layout
        p = self.panel
        assert p is not None
        xr = tuple(layout[p.xaxis].range)
        yr = tuple(layout[p.yaxis].range)
        grid = grid_points(xr, yr, SURFACE_GRID).astype(np.float32)
        prob = decision_surface(session, grid, figure)
        figure.trace("decision").update(
            x=np.linspace(*xr, SURFACE_GRID),
            y=np.linspace(*yr, SURFACE_GRID),
            # Plotly sends a 2-D array as JSON text: D(x) in whole percent goes as a uint8
            # typed array instead (2.1 KB against ~10 KB of two-decimal text)
            z=typed_array(np.round(100 * prob.reshape(SURFACE_GRID, SURFACE_GRID)).astype(np.uint8)),
        )

    def show_decoded(self, session: Session, figure: SessionFigure, out: np.ndarray) -> None:
        """Star the row decoded from the latent click (when the model can decode)."""
        if figure.has_trace("decoded") and self.projection is not None:
            xy = self.projection.project(out.reshape(1, -1))
            figure.trace("decoded").update(x=xy[:, 0], y=xy[:, 1])


def _polylines(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lines through points ``xy`` (points along a line, lines, 2) as one trace's x and y,
    the lines separated by NaN (a gap in Plotly)."""
    n_points, n_lines = xy.shape[:2]
    out = np.full((n_lines, n_points + 1, 2), np.nan, np.float32)
    out[:, :n_points] = np.swapaxes(xy, 0, 1)
    out = out.reshape(-1, 2)
    return out[:, 0], out[:, 1]


def manifold_lines(session: Session) -> np.ndarray:
    """The generator's warped grid: the images of :data:`MANIFOLD_LINES` lines each way across
    [-2, 2]^2 of the first two noise inputs (the others 0), :data:`MANIFOLD_POINTS` points a
    line; (points along a line, lines, 2) in the data's units, for :func:`_polylines`."""
    import jax.numpy as jnp

    model, ds = session.generative_model, session.dataset
    t = np.linspace(-2.0, 2.0, MANIFOLD_POINTS, dtype=np.float32)
    levels = np.linspace(-2.0, 2.0, MANIFOLD_LINES, dtype=np.float32)
    u, v = np.meshgrid(t, levels, indexing="ij")  # (points, lines): lines of constant second input
    grid = np.concatenate([np.stack([u, v], -1), np.stack([v, u], -1)], 1)  # and of constant first
    noise = np.zeros((grid.shape[0] * grid.shape[1], int(session.hyperparameters["noise_dim"])), np.float32)
    noise[:, :2] = grid.reshape(-1, 2)
    out = np.asarray(model.jitted("manifold")(session.run.params, jnp.asarray(noise)))
    return ds.to_rows(out).reshape(grid.shape[0], grid.shape[1], 2).astype(np.float32)


def field_at(session: Session, rows: np.ndarray) -> np.ndarray:
    """The model's field (``model.field``, in model units) at ``rows`` (data units), as
    displacements in the data's units (n, features)."""
    import jax.numpy as jnp

    ds = session.dataset
    x = ds.flatten(rows, "rows")
    v = np.asarray(session.generative_model.jitted("field")(session.run.params, jnp.asarray(x)))
    eps = 1e-3  # the scaling is affine: map a small step back and rescale it
    return (ds.scaling.to_user(x + eps * v) - ds.scaling.to_user(x)) / eps


def decision_surface(session: Session, grid: np.ndarray, figure: SessionFigure | None = None) -> np.ndarray:
    """The GAN discriminator's D(x) = sigmoid(logits) at the rows of ``grid`` (n, 2)."""
    import jax
    import jax.numpy as jnp

    model = session.generative_model
    if not model.can("discriminate"):
        raise TypeError(f"a decision surface needs a discriminator, and the {session.kind} model has none")
    fn = model.jitted("logits")
    grid = session.dataset.flatten(grid, "grid")  # the plot's (data) units -> the model's
    logits = fn(session.run.params, jnp.asarray(grid, dtype=jnp.float32))
    return np.asarray(jax.nn.sigmoid(logits), dtype=np.float64)
