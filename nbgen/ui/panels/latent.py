"""The latent panel: encoded validation rows in the plane, and the latent explorer.

Validation rows (at most :data:`MAX_LATENT_POINTS`) are encoded and drawn coloured by label,
projected to 2-D by PCA when ``latent_dim > 2``. Behind them a clear :data:`CLICK_GRID` x
:data:`CLICK_GRID` heatmap catches clicks on empty spots (its cells travel as two axes of 30
values; a grid of points would be 900 pairs). A click lifts the point back to a latent vector,
decodes it, marks the spot with a cross and shows the decoded row in the figure's decoded view
(an image panel, or the star of the 2-D data panel), which then follows training.

In t-SNE mode (``SessionFigure.set_projection("tsne")``, :mod:`nbgen.ui.embedding`) the scatter
shows one embedding of the first validation rows' codes, computed in a background thread (live
PCA until it is drawn) and held while training runs; it is computed again when a run ends. A
click there decodes the code of the nearest embedded point and marks that point.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import plotly.graph_objects as go

from ..arrays import Projection, fit_projection, padded_range, tile, typed_array
from ..embedding import MAX_TSNE_POINTS, Embedder, Embedding
from ..png import png_data_uri
from .base import Panel

if TYPE_CHECKING:
    from ...data import Dataset
    from ...session import Session
    from ..plots import SessionFigure

MAX_LATENT_POINTS = 2000  # validation rows encoded for the latent scatter
HOVER = "nbgen-hover"  # the layout image of the hovered row
THUMBNAIL = 0.35  # its size, as a fraction of the scatter's shorter range (data units); drawn up and left of the point
CLICK_GRID = 30  # invisible click-catching grid behind the latent scatter, per side


class DecodedView(Protocol):
    """A panel that shows a decoded row (the latent explorer's output)."""

    def show_decoded(self, session: Session, figure: SessionFigure, out: np.ndarray) -> None: ...


def class_legend(fig: go.Figure, panel: Panel, classes: np.ndarray, names: Any = None) -> dict[str, Any]:
    """A colour bar beside the latent panel with a tick per class: which colour is which class
    (the classes' ``names`` when the labels were names, else their ids)."""
    xd = fig.layout[panel.xaxis].domain or (0, 1)
    yd = fig.layout[panel.yaxis].domain or (0, 1)
    ticks = [int(c) for c in classes]
    return {
        "title": {"text": "class", "side": "top"},
        "x": xd[1] + 0.005, "xanchor": "left", "y": (yd[0] + yd[1]) / 2, "yanchor": "middle",
        "len": yd[1] - yd[0], "thickness": 10, "tickvals": ticks,
        "ticktext": [str(c) if names is None else str(names[c]) for c in ticks],
        "outlinewidth": 0, "tickfont": {"size": 10},
    }  # fmt: skip


class LatentPanel:
    """The latent scatter (``"latent"``), its click grid (``"latent-grid"``) and the click mark (``"latent-click"``).

    ``decoded_view`` (set by the figure) is where a decoded click is shown.
    """

    name = "latent"
    title = "Latent space: click to decode"

    def __init__(self, dataset: Dataset, lock: Any = None, mode: str = "pca"):
        self.dataset = dataset
        self.panel: Panel | None = None
        self.projection: Projection | None = None  # latent vectors <-> the plane (after an update)
        self.mode = mode  # the projection asked for: "pca" or "tsne" (nbgen.ui.embedding)
        self.shown: str | None = None  # what the scatter shows now: "pca", "tsne", or None before a draw
        self.embedding: Embedding | None = None  # the t-SNE picture drawn or about to be
        self.embedder = Embedder(threading.RLock() if lock is None else lock)  # the figure's (session's) lock
        self.clicked: int | None = None  # t-SNE: the point whose code the last click decoded
        self._asked: tuple[int, int] | None = None  # (run, step) of the newest t-SNE asked for
        self._embedded_run: int | None = None  # the run whose codes the drawn t-SNE holds
        self._title_text = self.title  # the subplot title in the figure now
        self.last_decoded: tuple[np.ndarray, np.ndarray] | None = None  # (latent vector, decoded row)
        self.decoded_view: DecodedView | None = None
        self._grid_key: tuple | None = None
        self._extent = ((-1.0, 1.0), (-1.0, 1.0))  # the scatter's ranges at the last update

    def add(self, fig: go.Figure, panel: Panel) -> None:
        """Add the click grid, the scatter and the click mark to ``panel`` of ``fig``."""
        self.panel = panel
        ds = self.dataset
        labels = ds.y_val[:MAX_LATENT_POINTS] if ds.has_labels else None
        marker: dict[str, Any] = {"size": 5, "opacity": 0.8}
        if labels is not None:
            # labels as small ints travel as one binary buffer, not a JSON list (the hover text
            # reads them too): a saved notebook's widget state stays small
            labels = np.asarray(labels).astype(np.uint8 if 0 <= labels.min() and labels.max() < 256 else np.int32)
            marker.update(color=labels, colorscale="Turbo", cmin=int(labels.min()), cmax=max(int(labels.max()), 1))
            marker["colorbar"] = class_legend(fig, panel, np.unique(labels), ds.class_names)
            marker["showscale"] = True
        (x0, x1), (y0, y1) = self._extent
        fig.add_trace(go.Heatmap(z=typed_array(np.zeros((CLICK_GRID, CLICK_GRID), np.uint8)), opacity=0, showscale=False,
                                 x=np.linspace(x0, x1, CLICK_GRID), y=np.linspace(y0, y1, CLICK_GRID),
                                 hoverinfo="none", name="latent-grid", **panel.axes))  # fmt: skip
        hover_label = "label %{marker.color}" if ds.class_names is None else "%{text}"  # a name, not an id
        fig.add_trace(
            panel.scatter(
                "latent",
                "markers",
                marker=marker,
                hovertemplate=None if labels is None else f"{hover_label}<extra></extra>",
                text=None if labels is None or ds.class_names is None else [ds.class_names[i] for i in labels],
                hoverinfo=None if labels is not None else "x+y",
            )
        )
        fig.add_trace(panel.scatter("latent-click", "markers", marker={"symbol": "x", "size": 14, "color": "black"}))

    def connect(self, figure: SessionFigure) -> None:
        """Decode on clicks in the figure's widget (its scatter and click grid)."""

        def on_click(trace: Any, points: Any, state: Any) -> None:
            if not points.point_inds:
                return
            try:
                figure.decode_at(float(points.xs[0]), float(points.ys[0]))
            except Exception as exc:  # report, never raise into the comm handler
                if figure.on_error is not None:
                    figure.on_error(f"Could not decode that point: {type(exc).__name__}: {exc}")
                else:
                    raise

        for name in ("latent", "latent-grid"):
            figure.trace(name).on_click(on_click)
        if self.dataset.is_image:  # a thumbnail of the hovered row beside its point
            figure.trace("latent").on_hover(lambda trace, points, state: self.hover(figure, points))
            figure.trace("latent").on_unhover(lambda trace, points, state: self.hover(figure, None))

    def hover(self, figure: SessionFigure, points: Any) -> None:
        """Show the image of the hovered point's row beside it (``points`` None: hide it)."""
        fig, panel = figure.widget, self.panel
        assert panel is not None
        shown = [im for im in fig.layout.images if im.name != HOVER]
        if points is not None and points.point_inds:
            i, x, y = points.point_inds[0], float(points.xs[0]), float(points.ys[0])
            ds = self.dataset
            row = ds.to_rows(ds.model_val[i : i + 1])[0]
            lo, hi = ds.value_range or (None, None)
            (x0, x1), (y0, y1) = self._extent  # the scatter's padded ranges (the axes autorange)
            size = THUMBNAIL * min(x1 - x0, y1 - y0)
            shown.append(
                {"source": png_data_uri(tile(row[None], 1), lo, hi), "name": HOVER, "xref": panel.xref,
                 "yref": panel.yref, "x": x, "y": y, "sizex": size, "sizey": size, "xanchor": "right",
                 "yanchor": "bottom", "layer": "above", "sizing": "contain"}
            )  # fmt: skip
        fig.layout.images = shown

    def update(self, session: Session, figure: SessionFigure) -> None:
        """Encode the validation rows and redraw the scatter (and the click grid when its range moved).

        In t-SNE mode: nothing while a run goes on and the embedding is drawn; a new embedding when
        none was asked for this step and no run goes on (a run ended); live PCA until one is drawn.
        """
        if self.tsne_mode(session):
            if not session.running and self._asked != (id(session.run), session.step):
                self.start_tsne(session, figure)
            if self.shown == "tsne":
                return
        elif self.shown != "pca" or self._title_text != self.title:
            self.embedder.cancel()
            self._set_title(figure, self.title)
        ds = session.dataset
        z = session.encode(ds.to_rows(ds.model_val[:MAX_LATENT_POINTS]))
        self.projection = fit_projection(z)
        self._draw_points(figure, self.projection.project(z).astype(np.float32))
        self.shown = "pca"

    def set_mode(self, session: Session, figure: SessionFigure, mode: str) -> None:
        """Switch the projection: t-SNE is computed afresh (in the background), PCA drawn at once."""
        self.mode = mode
        if self.tsne_mode(session):
            self.start_tsne(session, figure)
            return
        self.update(session, figure)
        if self.last_decoded is not None and self.projection is not None:  # the last click, in the PCA plane
            x, y = self.projection.project(self.last_decoded[0]).tolist()
            figure.trace("latent-click").update(x=[x], y=[y])

    def tsne_mode(self, session: Session) -> bool:
        """True when the scatter is to show t-SNE (asked for, and ``latent_dim > 2``)."""
        return self.mode == "tsne" and session.hyperparameters["latent_dim"] > 2

    def start_tsne(self, session: Session, figure: SessionFigure) -> None:
        """Encode the first validation rows now and embed their codes in a background thread."""
        ds = session.dataset
        codes = session.encode(ds.to_rows(ds.model_val[:MAX_TSNE_POINTS]))
        step, run = session.step, id(session.run)
        self._asked = (run, step)  # a reset makes a new run: its step 0 is embedded again
        if self.shown == "tsne" and self._embedded_run != run:
            self.shown = None  # a reset: the old picture holds another model's codes; live PCA until the new one
        self._set_title(figure, f"Latent space: computing t-SNE of step {step}...")
        self.embedder.start(codes, step, lambda result: self._embedded(figure, result, run))

    def _embedded(self, figure: SessionFigure, result: Embedding | BaseException, run: int) -> None:
        """Draw a finished embedding (the embedder's thread, holding the figure's lock)."""
        if isinstance(result, BaseException):
            self._set_title(figure, "Latent space: t-SNE failed (see the status line)")
            if figure.on_error is not None:
                figure.on_error(f"t-SNE failed: {type(result).__name__}: {result}")
            return
        self.embedding, self.shown, self.clicked, self._embedded_run = result, "tsne", None, run
        with figure.widget.batch_update():
            self._draw_points(figure, result.xy)
            figure.trace("latent-click").update(x=[], y=[])
            self._set_title(figure, f"t-SNE of step {result.step} (click: nearest point's code)")
        if not figure.session.running:  # a saved notebook keeps the picture (no traffic during a run)
            figure.sync_state()
            if figure.on_settled is not None:  # and the static picture under the widget
                figure.on_settled()

    def _set_title(self, figure: SessionFigure, text: str) -> None:
        """Put ``text`` in the panel's subplot title."""
        for note in figure.widget.layout.annotations:
            if note.text == self._title_text:
                note.text = text
                break
        self._title_text = text

    def _draw_points(self, figure: SessionFigure, xy: np.ndarray) -> None:
        """Draw ``xy`` (validation rows 0.., in order) on the scatter; the click grid follows its range."""
        figure.trace("latent").update(x=xy[:, 0], y=xy[:, 1])
        xr, yr = padded_range(xy[:, 0]), padded_range(xy[:, 1])
        self._extent = (xr, yr)
        grid_key = tuple(np.round([*xr, *yr], 1))
        if grid_key != self._grid_key:  # resend only when the range moves
            self._grid_key = grid_key
            figure.trace("latent-grid").update(x=np.linspace(*xr, CLICK_GRID, dtype=np.float32),
                                               y=np.linspace(*yr, CLICK_GRID, dtype=np.float32))  # fmt: skip

    def stale(self, session: Session) -> bool:
        """True when the projection is missing or does not fit the model's latent space."""
        dim = session.hyperparameters["latent_dim"]
        if self.shown == "tsne":
            return self.embedding is None or self.embedding.codes.shape[1] != dim
        return self.projection is None or self.projection.dim != dim

    def decode_at(self, session: Session, figure: SessionFigure, x: float, y: float) -> np.ndarray:
        """Decode the latent vector under ``(x, y)``, mark the spot and show the row.

        On a t-SNE picture (no inverse): the code of the nearest embedded point, marked at that point.
        """
        if self.shown == "tsne" and self.embedding is not None:
            self.clicked = i = self.embedding.nearest(x, y)
            z, (x, y) = self.embedding.codes[i], self.embedding.xy[i].tolist()
        else:
            proj = self.projection
            assert proj is not None
            z = proj.lift(np.array([x, y]))
        with figure.widget.batch_update():
            out = self.show_decoded(session, figure, z)
            figure.trace("latent-click").update(x=[x], y=[y])
        return out

    def show_decoded(self, session: Session, figure: SessionFigure, z: np.ndarray) -> np.ndarray:
        """Decode the latent vector ``z`` and show the row in the decoded view."""
        out = session.decode(np.asarray(z, dtype=np.float32)[None])[0]
        self.last_decoded = (np.asarray(z), out)
        for listener in figure.decoded_listeners:
            listener(np.asarray(z))
        if self.decoded_view is not None:
            self.decoded_view.show_decoded(session, figure, out)
        return out

    def refresh(self, session: Session, figure: SessionFigure) -> None:
        """Decode the last click again, so the decoded view keeps in step with training."""
        if self.last_decoded is not None:
            self.show_decoded(session, figure, self.last_decoded[0])
