"""The live Plotly figure of a :class:`~nbgen.Session`: lays out its panels and draws them.

One ``plotly.graph_objects.FigureWidget`` with subplots holds every view of a
session (plotly 7 ships a ~5 MB JavaScript bundle per FigureWidget, so one
figure rather than one per view). Which panels it holds follows what the model
declares (``GenerativeModel.panels``) and the data type (:func:`panel_names`);
each panel is its own module under :mod:`nbgen.ui.panels`:

- losses against the step, with a marker and a short label at every live
  hyperparameter change (:mod:`~nbgen.ui.panels.loss`);
- the latent space, where a click decodes that latent vector
  (:mod:`~nbgen.ui.panels.latent`), projected by PCA or, on demand, by t-SNE
  (:meth:`SessionFigure.set_projection`, :mod:`~nbgen.ui.embedding`);
- images: originals above their reconstructions, a grid of samples, and the
  decoded click (:mod:`~nbgen.ui.panels.images`); or for tabular data: real
  against generated points, behind them the GAN discriminator's decision
  surface for 2-D data (:mod:`~nbgen.ui.panels.data`).

Views only read the session (its step history, timeline and the immutable JAX
state arrays) and never drive training. Drawing happens in a
:class:`~nbgen.ui.pacing.ThrottledDrawer` thread a few times per second with
bounded points, so the training thread only pays for marking the view dirty.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._blas import one_blas_thread
from ..sample_quality import FEATURE_DATA
from .arrays import Projection
from .embedding import PROJECTIONS, check_projection, check_tsne
from .pacing import Throttle
from .panels import (
    IMAGE_PANELS,
    ConfusionPanel,
    DataPanel,
    DecodedPanel,
    LatentPanel,
    LossPanel,
    Panel,
    PanelView,
)
from .plotly_bundle import figure_widget, state_copy

if TYPE_CHECKING:
    from ..session import Session


MODEL_VIEW_INTERVAL = 1.0  # seconds between updates of the views that run the networks
ROW_HEIGHT = 320

TITLES = {
    LossPanel.name: LossPanel.title,
    LatentPanel.name: LatentPanel.title,
    ConfusionPanel.name: ConfusionPanel.title,
    **{name: cls.title for name, cls in IMAGE_PANELS.items()},
}


def panel_names(panels: tuple[str, ...], is_image: bool) -> list[list[str]]:
    """The grid for the panels a model declares (``GenerativeModel.panels``) and the data type.

    On images, a model's "samples" and "reconstructions" are image panels and "latent"
    adds the decoded click; on other data they share one "data" panel (a 2-D projection).
    A name repeated to the right spans that many columns.
    """
    latent = "latent" in panels
    confusion = ["confusion"] if "confusion" in panels else []  # a classifier's, beside its curves
    if not is_image:
        shown = ["loss", "latent"] if latent else ["loss"]
        return [[*shown, *confusion, "data"]]
    top = ["loss", "loss", "latent"] if latent else ["loss", *confusion]
    images = [p for p in ("reconstructions", "samples", "trajectory") if p in panels]
    if latent:
        images = images * (2 // len(images)) if len(images) == 1 else images
        images = [*images[:2], "decoded"]
    if not latent:
        return [[*top, *images]]
    return [top, images]


def _layout_key(model: Any) -> tuple:
    """What the layout depends on: the panels a model declares and what it can do (titles)."""
    return (model.panels, model.capabilities)


class SessionFigure:
    """All live views of one session in a single FigureWidget.

    Args:
        session: the session to draw.
        on_error: called with a message when a latent click cannot be decoded.
        on_settled: called when a view changed after a run ended, outside a draw (a t-SNE picture
            arrived): the widget redraws its static picture.

    ``draw()`` reads the session and updates the figure (call it from one thread
    at a time, e.g. a :class:`ThrottledDrawer`); a latent click decodes at once.
    When the session's model or data change (``Session.reset`` with another
    kind, or a rebind), the next ``draw()`` rebuilds the panels in place, in the
    same FigureWidget (no new JavaScript bundle).

    Example:
        >>> fig = SessionFigure(nbgen.Session("vae", "digits", epochs=1))  # doctest: +SKIP
        >>> fig.draw(); fig.trace("latent").x[:2]  # doctest: +SKIP
    """

    def __init__(
        self,
        session: Session,
        on_error: Callable[[str], None] | None = None,
        static: bool = False,
        on_settled: Callable[[], None] | None = None,
    ):
        self.session = session
        self.on_error, self.on_settled = on_error, on_settled
        if static:  # for pictures only: a plain Figure, no widget (none is opened in the front end)
            self.widget = go.Figure()
        else:
            self.widget = figure_widget()  # Plotly's JavaScript once per kernel, not per figure
            self.widget.add_class("nbgen-plot")
        # the session's lock: one lock for "the session's model and data" and "this figure", so that
        # a draw (view thread) and a latent click (kernel thread) can never take them in opposite orders
        self.lock = self._lock = session.lock  # public: views that draw beside it take it too
        self._model_throttle = Throttle(MODEL_VIEW_INTERVAL)
        self._synced: bytes | None = None  # digest of the figure as last copied into the widget's state
        self.shown_label: int | None = None  # a conditional model's samples: this class, or None: all
        self.hidden_layers: set[str] = set()  # the data panel's layers switched off (field, manifold)
        self._projection = "pca"  # the latent scatter's projection (set_projection), kept across rebuilds
        # called with each latent vector a click decodes (the latent explorer's interpolation)
        self.decoded_listeners: list[Callable[[np.ndarray], None]] = []
        self.rebuild()

    # -- construction -----------------------------------------------------------
    def rebuild(self) -> None:
        """Lay out the panels for the session's current model and data."""
        with self._lock:
            s = self.session
            if getattr(self, "_latent", None) is not None:  # an old panel's t-SNE is not drawn here
                self._latent.embedder.cancel()
            self._model = s.generative_model
            self._layout_key = _layout_key(self._model)
            self._dataset = s.dataset
            self._run = None
            self._drawn_key: tuple | None = None
            self.pinned: int | None = None  # the model views show the frame of this step (ui/history), not live
            self.images: dict[str, np.ndarray] = {}  # the arrays behind the image panels
            template, self.panels = self._template()
            fig = self.widget
            fig.data = []
            # assigning a layout sends a relayout, which merges into the browser's layout:
            # first remove the old panels' axes (and anything the new layout lacks)
            new_keys = set(template.layout.to_plotly_json())
            stale = {k for k in fig.layout.to_plotly_json() if k not in new_keys or "axis" in k}
            if stale:
                fig.plotly_relayout(dict.fromkeys(stale))
            fig.layout = template.layout
            fig.add_traces(list(template.data))
            # look traces up by name: FigureWidget replaces uids with its own
            self._index = {trace.name: i for i, trace in enumerate(template.data)}
            if self._latent is not None:
                self._latent.connect(self)

    def _make_view(self, name: str) -> PanelView:
        if name == "loss":
            ds, sampler = self._dataset, self._model.can("sample")
            quality = "js" if ds.features == 2 and sampler else None
            if sampler and ds.is_image and ds.name in FEATURE_DATA:
                quality = "fid"
            return LossPanel([k for k in self.session.steps if k != "step"], quality=quality)
        if name == "latent":
            return LatentPanel(self._dataset, self._lock, self._projection)
        if name == "data":
            return DataPanel(self._model, self._dataset)
        if name == "confusion":
            return ConfusionPanel(self._dataset)
        return IMAGE_PANELS[name](self._dataset)

    def _template(self) -> tuple[go.Figure, dict[str, Panel]]:
        ds = self._dataset
        grid = panel_names(self._model.panels, ds.is_image)
        rows, cols = len(grid), len(grid[0])
        specs: list[list[dict | None]] = []
        order: list[tuple[str, int, int]] = []
        for r, row in enumerate(grid):
            spec_row: list[dict | None] = []
            c = 0
            while c < cols:
                name = row[c]
                span = 1
                while c + span < cols and row[c + span] == name:
                    span += 1
                spec_row.append({"colspan": span} if span > 1 else {})
                spec_row.extend([None] * (span - 1))
                order.append((name, r + 1, c + 1))
                c += span
            specs.append(spec_row)
        views = {name: self._make_view(name) for name, _, _ in order}
        loss, latent, data = views["loss"], views.get("latent"), views.get("data")
        assert isinstance(loss, LossPanel)
        assert latent is None or isinstance(latent, LatentPanel)
        assert data is None or isinstance(data, DataPanel)
        if latent is not None:  # where a decoded click shows: the decoded image, or the data panel's star
            decoded = views.get("decoded")
            latent.decoded_view = decoded if isinstance(decoded, DecodedPanel) else data
        self._views, self._loss, self._latent, self._data = views, loss, latent, data
        if getattr(self, "_loss_view", None) is not None:  # the user's plot options outlive a rebuild
            loss.set_view(self._loss_view)
        titles = [views[name].title for name, _, _ in order]
        fig = make_subplots(
            rows=rows, cols=cols, specs=specs, subplot_titles=titles, horizontal_spacing=0.07, vertical_spacing=0.12
        )
        panels: dict[str, Panel] = {}
        for (name, r, c), title in zip(order, titles):
            sub = fig.get_subplot(r, c)
            xref = "x" + sub.xaxis.plotly_name[len("xaxis") :]
            yref = "y" + sub.yaxis.plotly_name[len("yaxis") :]
            panels[name] = Panel(name, title, xref, yref)
        fig.update_layout(
            height=ROW_HEIGHT * rows + 40,
            margin={"l": 40, "r": 20, "t": 50, "b": 30},
            legend={"x": 0.0, "y": 1.0, "xanchor": "left", "yanchor": "top", "bgcolor": "rgba(255,255,255,0.6)"},
            hovermode="closest",
            uirevision="nbgen",  # keep the user's zoom across updates
        )
        for name, panel in panels.items():
            views[name].add(fig, panel)
        for trace in fig.data:  # layers the user switched off stay off (ui/plot_options)
            trace.visible = False if trace.name in self.hidden_layers else None
        # the template styles only the trace types the figure has: the whole default template
        # (~7 KB for 24 trace types) would travel in every saved copy of the widget's state
        full = fig.layout.template
        kinds = {trace.type for trace in fig.data}
        fig.layout.template = go.layout.Template(
            layout=full.layout, data={kind: full.data[kind] for kind in sorted(kinds) if full.data[kind]}
        )
        return fig, panels

    # -- access -------------------------------------------------------------------
    def trace(self, name: str) -> Any:
        """The figure's trace named ``name`` (e.g. ``"loss"``, ``"latent"``, ``"samples"``)."""
        return self.widget.data[self._index[name]]

    def has_trace(self, name: str) -> bool:
        return name in self._index

    def view(self, name: str) -> PanelView:
        """The panel module drawing panel ``name`` (``"samples"``, ``"data"``...)."""
        return self._views[name]

    @property
    def latent_projection(self) -> Projection | None:
        """The map between latent vectors and the latent panel's plane (after a draw)."""
        return None if self._latent is None else self._latent.projection

    @property
    def data_projection(self) -> Projection | None:
        """The map between data rows and the 2-D data panel's plane (None without that panel)."""
        return None if self._data is None else self._data.projection

    @property
    def projection(self) -> str:
        """The latent scatter's projection now: ``"pca"`` or ``"tsne"`` (see :meth:`set_projection`)."""
        return self._projection if self._projection in self.projections else "pca"

    @property
    def projections(self) -> tuple[str, ...]:
        """The projections the latent scatter offers: t-SNE only for ``latent_dim > 2``."""
        dim = self.session.hyperparameters.get("latent_dim") if "latent" in self.panels else None
        return tuple(PROJECTIONS) if dim is not None and dim > 2 else ("pca",)

    def set_projection(self, name: str, wait: bool | float = False) -> bool:
        """Draw the latent scatter by ``"pca"`` (live; a click lifts back to its exact latent
        vector) or ``"tsne"`` (:mod:`nbgen.ui.embedding`): an embedding of the first validation
        rows' codes, computed now in a background thread (the title says so, then "t-SNE of step
        N"), held while training runs, computed again when a run ends and at each call; a click
        decodes the nearest point's code. Back to PCA: the live scatter at once.

        ``wait``: block until the t-SNE is drawn (True, or at most that many seconds). Returns False
        when the wait timed out. A ValueError names the allowed projections, and refuses t-SNE for
        ``latent_dim <= 2`` or a model without a latent space.
        """
        with self._lock:
            if check_projection(name) == "tsne":
                dim = self.session.hyperparameters.get("latent_dim") if "latent" in self.panels else None
                check_tsne(dim, self.session.kind)
            self._projection = name
            if self._latent is None:
                return True
            self._latent.set_mode(self.session, self, name)
            embedder = self._latent.embedder
        if wait is False or name != "tsne":
            return True
        return embedder.wait(None if wait is True else float(wait))

    @property
    def loss_view(self) -> Any:
        """How the loss panel draws (:class:`~nbgen.ui.panels.loss.LossView`)."""
        return self._loss.view

    def set_loss_view(self, view: Any) -> None:
        """Log y, smoothing, x axis: kept across rebuilds, drawn at the next draw."""
        self._loss_view = view
        self._loss.set_view(view)

    @property
    def loss_names(self) -> list[str]:
        """The loss terms drawn on the loss panel, one trace each (named after the term)."""
        return self._loss.loss_names

    @property
    def last_decoded(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(latent vector, decoded row)`` of the last latent click, None before one (or after a rebuild)."""
        return None if self._latent is None else self._latent.last_decoded

    @last_decoded.setter
    def last_decoded(self, value: tuple[np.ndarray, np.ndarray] | None) -> None:
        if self._latent is not None:
            self._latent.last_decoded = value

    def change_markers(self) -> list[dict[str, Any]]:
        """The loss panel's vertical change markers (layout shapes) now in the figure."""
        return [dict(s.to_plotly_json()) for s in self.widget.layout.shapes if (s.name or "").startswith("change")]

    # -- drawing --------------------------------------------------------------------
    def needs_rebuild(self) -> bool:
        s = self.session
        return _layout_key(s.generative_model) != self._layout_key or s.dataset is not self._dataset

    def draw(self, force: bool = False) -> bool:
        """Bring the panels up to date with the session (cheap when nothing changed).

        Losses and change markers update at every draw that the loss panel's share of the
        traffic allows (always when ``force``). The views that run the networks
        (latent space, images, samples, decision surface) update at most once per
        ``MODEL_VIEW_INTERVAL`` seconds unless ``force``: they cost model compute
        that would otherwise be taken from training.

        Returns:
            True when a model view is behind and a later draw should catch up.
        """
        # the session's lock: not while it swaps its model or data; numpy beside training on one
        # BLAS thread (nbgen._blas: its threads spun against XLA's)
        with self._lock, one_blas_thread():
            if self.needs_rebuild():
                self.rebuild()
            s = self.session
            run = s.run
            if run is not self._run:  # reset: the history starts afresh
                self._run = run
                self._drawn_key = None
                self._loss.restart()
            with self.widget.batch_update():
                behind = self._loss.update(s, self, force)
                # what sampling reads (the diffusion model's sample_steps) redraws at once
                options = (*(run.hp.get(k) for k in self._model.sample_options), self.shown_label)
                key = (id(run), run.step, run.version, options)
                if key == self._drawn_key and not force or self.pinned is not None:
                    return behind
                # a new sampling option (guidance, sample_steps, the class picked) is the user's
                # own move: drawn at once, not held back by the throttle like training's progress
                moved = self._drawn_key is not None and key[3] != self._drawn_key[3]
                if not (force or moved or self._drawn_key is None or self._model_throttle.ready()):
                    return True
                self._model_throttle.mark()
                self._draw_model_views()
                self._drawn_key = key
                return behind

    def _draw_model_views(self) -> None:
        s = self.session
        for name, view in self._views.items():
            if name != "loss":
                view.update(s, self)
        if self._latent is not None:  # keep the decoded view in step with training
            self._latent.refresh(s, self)

    # -- the latent explorer ---------------------------------------------------------
    def decode_at(self, x: float, y: float) -> np.ndarray:
        """Decode the latent vector under the point ``(x, y)`` of the latent panel.

        For ``latent_dim > 2`` the point is lifted from the PCA plane
        (``mean + (x, y) @ components``). Returns the decoded row, shaped like the data.
        """
        with self._lock:
            if "latent" not in self.panels:
                raise TypeError(f"the {self.session.kind} model has no latent space to explore")
            assert self._latent is not None
            if self._latent.stale(self.session):
                self.draw(force=True)  # may rebuild: a new latent panel
            assert self._latent is not None
            return self._latent.decode_at(self.session, self, x, y)

    # -- saved notebooks ---------------------------------------------------------------
    def sync_state(self) -> None:
        """Copy the figure into the widget's synced state (FigureWidget updates are
        transient messages; this makes a saved notebook's widget state hold the data).

        Sent only when the figure changed since the last copy: a run's end asks for it from
        several places, and each copy is the whole figure (tens of KB)."""
        with self._lock:
            fig = self.widget
            layout, data = state_copy(fig)
            digest = hashlib.blake2b(pickle.dumps((layout, data), protocol=5), digest_size=16).digest()
            if digest == self._synced:
                return
            self._synced = digest
            fig._widget_layout = layout
            fig._widget_data = data
