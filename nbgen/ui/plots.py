"""Live Plotly views of a :class:`~nbgen.Session`, and the throttle that paces them.

One ``plotly.graph_objects.FigureWidget`` with subplots holds every view of a
session (plotly 7 ships a ~5 MB JavaScript bundle per FigureWidget, so one
figure rather than one per view):

- losses against the step, one trace per loss term, with a vertical marker and
  a short label at every live hyperparameter change;
- the latent space (autoencoder, VAE): encoded validation rows coloured by
  label, projected to 2-D by PCA when ``latent_dim > 2``; clicking anywhere in
  it decodes that latent vector (the latent explorer);
- images: originals above their reconstructions, a grid of samples, and the
  decoded click; or for tabular data: real against generated points, behind
  them the GAN discriminator's decision surface for 2-D data.

Views only read the session (its step history, timeline and the immutable JAX
state arrays) and never drive training. Drawing happens in a
:class:`ThrottledDrawer` thread a few times per second with bounded points, so
the training thread only pays for marking the view dirty.
"""

from __future__ import annotations

import base64
import copy
import math
import struct
import threading
import time
import traceback
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

if TYPE_CHECKING:
    from ..session import Session

MAX_LOSS_POINTS = 400  # per loss trace (each draw resends it whole: keep traffic low)
MAX_LATENT_POINTS = 2000  # validation rows encoded for the latent scatter
MAX_DATA_POINTS = 1000  # real and generated points in the data panel
MAX_CHANGE_MARKERS = 40  # most recent live changes marked on the loss panel
DRAW_INTERVAL = 0.3  # seconds between draws: about 3 per second
MODEL_VIEW_INTERVAL = 1.0  # seconds between updates of the views that run the networks
CLICK_GRID = 30  # invisible click-catching grid behind the latent scatter, per side
SURFACE_GRID = 40  # resolution of the GAN decision surface, per side
N_RECONSTRUCTIONS = 8
N_SAMPLES_SIDE = 4  # image samples drawn as a 4 x 4 grid
SAMPLE_SEED = 12345  # fixed noise, so frames show the model change and not the noise
ROW_HEIGHT = 320

SHORT_NAMES = {"learning_rate": "lr", "batch_size": "batch", "d_steps": "d_steps", "beta": "beta", "epochs": "epochs"}


# ---------------------------------------------------------------------------
# pacing


class Throttle:
    """Allow an action at most once per ``interval`` seconds.

    Example:
        >>> t = Throttle(0.25, clock=lambda: 0.0)
        >>> t.ready(), t.ready()
        (True, False)
    """

    def __init__(self, interval: float = DRAW_INTERVAL, clock: Callable[[], float] = time.monotonic):
        self.interval = float(interval)
        self._clock = clock
        self._last = -math.inf

    def wait_time(self, now: float | None = None) -> float:
        """Seconds until the action is allowed again (0 when it is allowed now)."""
        now = self._clock() if now is None else now
        return max(0.0, self._last + self.interval - now)

    def mark(self, now: float | None = None) -> None:
        """Record that the action happened at ``now``."""
        self._last = self._clock() if now is None else now

    def ready(self, now: float | None = None) -> bool:
        """True (and recorded) when the action is allowed at ``now``."""
        now = self._clock() if now is None else now
        if self.wait_time(now) > 0:
            return False
        self.mark(now)
        return True


class ThrottledDrawer:
    """Call ``draw()`` in a daemon thread when marked dirty, at most once per ``interval``.

    ``mark_dirty()`` is cheap and safe from any thread (the training thread calls
    it for every event). Many marks between two draws make one draw. The thread
    starts on demand and ends after ``idle_exit`` seconds without work, so an
    idle or forgotten view holds no thread; ``close()`` ends it at once.

    Example:
        >>> drawer = ThrottledDrawer(lambda: None, interval=0.1)
        >>> drawer.mark_dirty(); drawer.wait_idle(2.0)
        True
        >>> drawer.close()
    """

    def __init__(
        self,
        draw: Callable[[], None],
        interval: float = DRAW_INTERVAL,
        idle_exit: float = 2.0,
        name: str = "nbgen-view",
        on_error: Callable[[BaseException], None] | None = None,
    ):
        self._draw = draw
        self._throttle = Throttle(interval)
        self._idle_exit = idle_exit
        self._name = name
        self._on_error = on_error
        self._cond = threading.Condition()
        self._dirty = False
        self._drawing = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.draws = 0

    @property
    def thread(self) -> threading.Thread | None:
        """The drawing thread while one runs."""
        return self._thread

    @property
    def closed(self) -> bool:
        return self._closed

    def mark_dirty(self) -> None:
        """Ask for a draw soon (within ``interval``)."""
        with self._cond:
            if self._closed:
                return
            self._dirty = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is dirty or being drawn; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._closed or not (self._dirty or self._drawing), timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop drawing and end the thread (pending draws are dropped)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _report(self, exc: BaseException) -> None:
        try:
            if self._on_error is None:
                raise exc
            self._on_error(exc)
        except Exception:  # noqa: BLE001 - the thread must survive; the traceback goes to stderr
            traceback.print_exc()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._dirty and not self._closed:
                    self._cond.wait(self._idle_exit)
                if self._closed or not self._dirty:
                    self._thread = None
                    self._cond.notify_all()
                    return
                delay = self._throttle.wait_time()
                if delay > 0:  # sleep, but wake at once on close
                    self._cond.wait_for(lambda: self._closed, delay)
                    continue
                self._dirty = False
                self._drawing = True
            self._throttle.mark()
            try:
                self._draw()
            except Exception as exc:  # noqa: BLE001 - a broken draw must not kill the view thread
                self._report(exc)
            finally:
                with self._cond:
                    self._drawing = False
                    self.draws += 1
                    self._cond.notify_all()


# ---------------------------------------------------------------------------
# data helpers (pure functions of arrays)


class GrowingArray:
    """An append-only float array with amortized O(1) appends (no list-to-array copies)."""

    def __init__(self, capacity: int = 1024):
        self._data = np.empty(capacity, dtype=np.float64)
        self._n = 0

    def extend(self, values: Sequence[float] | np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64)
        need = self._n + len(values)
        if need > len(self._data):
            grown = np.empty(max(need, 2 * len(self._data)), dtype=np.float64)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n : need] = values
        self._n = need

    def __len__(self) -> int:
        return self._n

    @property
    def values(self) -> np.ndarray:
        """A view of the stored values (do not keep it across ``extend``)."""
        return self._data[: self._n]


def downsample(x: np.ndarray, y: np.ndarray, max_points: int = MAX_LOSS_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Bucket means of ``(x, y)`` so that at most ``max_points`` remain.

    Means (rather than every k-th point) keep the curve's level honest when the
    loss is noisy. The last bucket may be partial, so the newest steps always show.

    Example:
        >>> x = np.arange(10_000.0)
        >>> len(downsample(x, x, 1000)[0])
        1000
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = min(len(x), len(y))
    x, y = x[:n], y[:n]
    if n <= max_points:
        return x, y
    width = math.ceil(n / max_points)
    full = n // width
    xs = x[: full * width].reshape(full, width).mean(1)
    ys = y[: full * width].reshape(full, width).mean(1)
    if full * width < n:
        xs = np.append(xs, x[full * width :].mean())
        ys = np.append(ys, y[full * width :].mean())
    return xs, ys


def short_value(value: Any) -> str:
    """Compact text for a hyperparameter value: ``0.001 -> "1e-3"``, ``3 -> "3"``."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v == 0 or 0.01 <= abs(v) < 10_000:
            return f"{v:.3g}"
        mantissa, exponent = f"{v:.1e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    if isinstance(value, (tuple, list)):
        return ",".join(short_value(v) for v in value)
    return str(value)


def change_label(record: dict[str, Any]) -> str:
    """The loss panel's label of one timeline record: ``"lr 1e-3 -> 3e-4"``."""
    name = SHORT_NAMES.get(record["name"], record["name"])
    return f"{name} {short_value(record['old'])} -> {short_value(record['new'])}"


def timeline_line(record: dict[str, Any]) -> str:
    """One timeline record as text: ``"step 120: learning_rate 0.001 -> 0.0003"``, with
    ``" (anneal)"`` after a drop the ``anneal`` schedule made."""

    def fmt(v: Any) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    text = f"step {record['step']}: {record['name']} {fmt(record['old'])} -> {fmt(record['new'])}"
    return text + (" (anneal)" if record.get("by") == "anneal" else "")


@dataclass
class Projection:
    """An affine map between vectors of ``dim`` features and the plane.

    ``project(v) = (v - mean) @ components.T``; ``lift(p) = mean + p @ components``.
    For ``dim == 2`` it is the identity, for ``dim == 1`` the second coordinate is 0,
    otherwise ``components`` are the top two principal axes (orthonormal rows), so
    ``lift`` inverts ``project`` on the PCA plane.
    """

    mean: np.ndarray  # (dim,)
    components: np.ndarray  # (2, dim)

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])

    def project(self, v: np.ndarray) -> np.ndarray:
        return (np.asarray(v, dtype=np.float64) - self.mean) @ self.components.T

    def lift(self, p: np.ndarray) -> np.ndarray:
        return self.mean + np.asarray(p, dtype=np.float64) @ self.components


def fit_projection(v: np.ndarray) -> Projection:
    """A 2-D view of rows ``v`` (n, dim): identity for 2 features, PCA (via SVD) for more.

    The sign of each principal axis is fixed (largest entry positive) so that the
    view does not flip between frames.
    """
    v = np.asarray(v, dtype=np.float64)
    dim = v.shape[1]
    if dim == 1:
        return Projection(np.zeros(1), np.array([[1.0], [0.0]]))
    if dim == 2:
        return Projection(np.zeros(2), np.eye(2))
    mean = v.mean(0)
    _, _, vt = np.linalg.svd(v - mean, full_matrices=False)
    comps = vt[:2].copy()
    signs = np.sign(comps[np.arange(2), np.abs(comps).argmax(1)])
    comps *= np.where(signs == 0, 1.0, signs)[:, None]
    return Projection(mean, comps)


def tile(images: np.ndarray, cols: int, gap: int = 1) -> np.ndarray:
    """Tile ``images`` (n, h, w[, c]) into one 2-D array with NaN gaps (transparent in a heatmap).

    Colour images become grey (channel mean): one heatmap trace is the cheapest
    way to send and draw many images.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 4:
        images = images.mean(-1)
    n, h, w = images.shape
    rows = max(1, math.ceil(n / cols))
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = images[i]
    return out


def grid_points(x_range: tuple[float, float], y_range: tuple[float, float], n: int) -> np.ndarray:
    """``n * n`` points evenly covering a rectangle, shape (n * n, 2)."""
    gx, gy = np.meshgrid(np.linspace(*x_range, n), np.linspace(*y_range, n))
    return np.stack([gx.ravel(), gy.ravel()], 1)


def padded_range(values: np.ndarray, margin: float = 0.15) -> tuple[float, float]:
    """The range of ``values`` widened by ``margin`` on each side (never empty)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return -1.0, 1.0
    lo, hi = float(values.min()), float(values.max())
    pad = max(hi - lo, 1e-6) * margin
    return lo - pad, hi + pad


def png_data_uri(image: np.ndarray, lo: float | None = None, hi: float | None = None) -> str:
    """A 2-D array as a grey PNG data URI: ``hi`` black, ``lo`` white, NaN transparent.

    Images go to the browser as PNG (one short string per update) rather than as
    heatmap arrays: Plotly validates and JSON-encodes arrays value by value,
    which costs far more CPU and bandwidth than zlib.
    """
    a = np.asarray(image, dtype=np.float64)
    finite = np.isfinite(a)
    if lo is None or hi is None:
        values = a[finite]
        lo = float(values.min()) if values.size else 0.0
        hi = float(values.max()) if values.size else 1.0
    v = np.clip((np.where(finite, a, lo) - lo) / max(hi - lo, 1e-12), 0.0, 1.0)
    grey = np.round(255 * (1 - v)).astype(np.uint8)
    alpha = np.where(finite, 255, 0).astype(np.uint8)
    h, w = a.shape
    pixels = np.stack([grey, alpha], -1).reshape(h, 2 * w)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), pixels], 1)  # filter byte 0 per row

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 4, 0, 0, 0))  # 8-bit grey + alpha
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def png_to_array(uri: str) -> tuple[np.ndarray, np.ndarray]:
    """Read back a data URI written by :func:`png_data_uri`: (grey, alpha), uint8 arrays."""
    png = base64.b64decode(uri.split(",", 1)[1])
    pos, idat, size = 8, b"", (0, 0)
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        tag, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if tag == b"IHDR":
            size = struct.unpack(">II", data[:8])
        elif tag == b"IDAT":
            idat += data
        pos += 12 + length
    w, h = size
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + 2 * w)[:, 1:].reshape(h, w, 2)
    return raw[..., 0], raw[..., 1]


# ---------------------------------------------------------------------------
# the figure


@dataclass
class Panel:
    """One subplot: its axis references (``"x2"``, ``"y2"``) and layout names."""

    name: str
    title: str
    xref: str
    yref: str

    @property
    def xaxis(self) -> str:
        return "xaxis" + self.xref[1:]

    @property
    def yaxis(self) -> str:
        return "yaxis" + self.yref[1:]


def panel_names(panels: tuple[str, ...], is_image: bool) -> list[list[str]]:
    """The grid for the panels a model declares (``GenerativeModel.panels``) and the data type.

    On images, a model's "samples" and "reconstructions" are image panels and "latent"
    adds the decoded click; on other data they share one "data" panel (a 2-D projection).
    A name repeated to the right spans that many columns.
    """
    latent = "latent" in panels
    if not is_image:
        shown = ["loss", "latent"] if latent else ["loss"]
        return [[*shown, "data"]]
    top = ["loss", "loss", "latent"] if latent else ["loss"]
    images = [p for p in ("reconstructions", "samples") if p in panels]
    if latent:
        images = images * (2 // len(images)) if len(images) == 1 else images
        images = [*images[:2], "decoded"]
    if len(top) == 1:
        return [["loss", *images]]
    return [top, images]


TITLES = {
    "loss": "Losses (markers: live changes)",
    "latent": "Latent space: click to decode",
    "reconstructions": "Originals / reconstructions",
    "samples": "Samples",
    "decoded": "Decoded from the latent click",
}


def _data_title(model: Any) -> str:
    shading = "; shading: D(x)" if "surface" in model.panels else ""
    made = "samples" if model.can("sample") else "reconstructions"
    star = "; star: decoded click" if model.can("decode") else ""
    return f"Real (grey), {made}{star}{shading}"


class SessionFigure:
    """All live views of one session in a single FigureWidget.

    Args:
        session: the session to draw.
        on_error: called with a message when a latent click cannot be decoded.

    ``draw()`` reads the session and updates the figure (call it from one thread
    at a time, e.g. a :class:`ThrottledDrawer`); a latent click decodes at once.
    When the session's model or data change (``Session.reset`` with another
    kind, or a rebind), the next ``draw()`` rebuilds the panels in place, in the
    same FigureWidget (no new JavaScript bundle).

    Example:
        >>> fig = SessionFigure(nbgen.Session("vae", "digits", epochs=1))  # doctest: +SKIP
        >>> fig.draw(); fig.trace("latent").x[:2]  # doctest: +SKIP
    """

    def __init__(self, session: Session, on_error: Callable[[str], None] | None = None):
        self.session = session
        self.on_error = on_error
        self.widget = go.FigureWidget()
        self.widget.add_class("nbgen-plot")
        # the session's lock: one lock for "the session's model and data" and "this figure", so that
        # a draw (view thread) and a latent click (kernel thread) can never take them in opposite orders
        self.lock = self._lock = session.lock  # public: views that draw beside it take it too
        self._model_throttle = Throttle(MODEL_VIEW_INTERVAL)
        self.last_decoded: tuple[np.ndarray, np.ndarray] | None = None
        self.rebuild()

    # -- construction -----------------------------------------------------------
    def rebuild(self) -> None:
        """Lay out the panels for the session's current model and data."""
        self._latent_grid_key = None  # the click grid is drawn anew
        with self._lock:
            s = self.session
            self._model = s.generative_model
            self._layout_key = (s.kind, self._model.panels)
            self._dataset = s.dataset
            self._engine = None
            self._drawn_key: tuple | None = None
            self._timeline_drawn = -1
            self._loss_names = [k for k in s.steps if k != "step"]
            self._buffers: dict[str, GrowingArray] = {}
            self._steps_ref: dict | None = None
            self._latent_projection: Projection | None = None
            self._data_projection: Projection | None = None
            self.last_decoded = None
            self.images: dict[str, np.ndarray] = {}  # the arrays behind the image panels
            template, self.panels = self._template()
            self._title_annotations = list(template.layout.annotations)
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
            for name in ("latent", "latent-grid"):
                if name in self._index:
                    self.trace(name).on_click(self._on_latent_click)

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
        titles = [TITLES.get(name, _data_title(self._model)) for name, _, _ in order]
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
            self._add_panel_traces(fig, name, panel)
        return fig, panels

    def _add_panel_traces(self, fig: go.Figure, name: str, p: Panel) -> None:
        ds = self._dataset
        axes = {"xaxis": p.xref, "yaxis": p.yref}
        if name == "loss":
            for metric in self._loss_names:
                fig.add_trace(go.Scatter(x=[], y=[], mode="lines", name=metric, **axes))
            fig.layout[p.xaxis].title = "step"
        elif name == "latent":
            labels = ds.y_val[:MAX_LATENT_POINTS] if ds.has_labels else None
            marker: dict[str, Any] = {"size": 5, "opacity": 0.8}
            if labels is not None:
                marker.update(color=labels, colorscale="Turbo", cmin=int(labels.min()), cmax=max(int(labels.max()), 1))
            fig.add_trace(
                go.Scatter(
                    x=[],
                    y=[],
                    mode="markers",
                    marker={"size": 9, "opacity": 0},
                    hoverinfo="none",
                    showlegend=False,
                    name="latent-grid",
                    **axes,
                )
            )
            fig.add_trace(
                go.Scatter(
                    x=[],
                    y=[],
                    mode="markers",
                    marker=marker,
                    showlegend=False,
                    name="latent",
                    text=None if labels is None else [f"label {v}" for v in labels],
                    hoverinfo="text" if labels is not None else "x+y",
                    **axes,
                )
            )
            fig.add_trace(
                go.Scatter(
                    x=[],
                    y=[],
                    mode="markers",
                    marker={"symbol": "x", "size": 14, "color": "black"},
                    hoverinfo="skip",
                    showlegend=False,
                    name="latent-click",
                    **axes,
                )
            )
        elif name in ("reconstructions", "samples", "decoded"):
            fig.add_trace(go.Image(hoverinfo="skip", name=name, **axes))
            fig.layout[p.yaxis].update(
                autorange="reversed", scaleanchor=p.xref, showticklabels=False, showgrid=False, zeroline=False
            )
            fig.layout[p.xaxis].update(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
        elif name == "data":
            shown = ds.to_rows(ds.model_val[:MAX_DATA_POINTS]).reshape(-1, ds.features)  # the data's units
            self._data_projection = fit_projection(shown)
            real = self._data_projection.project(shown)
            if "surface" in self._model.panels and ds.features == 2:
                fig.add_trace(
                    go.Heatmap(
                        z=[[None]],
                        colorscale="RdBu",
                        zmin=0.0,
                        zmax=1.0,
                        opacity=0.5,
                        showscale=False,
                        hovertemplate="D(x)=%{z:.2f}<extra></extra>",
                        name="decision",
                        **axes,
                    )
                )
            fig.add_trace(
                go.Scatter(
                    x=real[:, 0],
                    y=real[:, 1],
                    mode="markers",
                    marker={"size": 4, "color": "rgba(90,90,90,0.45)"},
                    hoverinfo="skip",
                    showlegend=False,
                    name="real",
                    **axes,
                )
            )
            fig.add_trace(
                go.Scatter(
                    x=[],
                    y=[],
                    mode="markers",
                    marker={"size": 4, "color": "rgba(214,39,40,0.6)"},
                    hoverinfo="skip",
                    showlegend=False,
                    name="generated",
                    **axes,
                )
            )
            if self._model.can("decode"):
                fig.add_trace(
                    go.Scatter(
                        x=[],
                        y=[],
                        mode="markers",
                        marker={"symbol": "star", "size": 16, "color": "black"},
                        hoverinfo="skip",
                        showlegend=False,
                        name="decoded",
                        **axes,
                    )
                )
            xr, yr = padded_range(real[:, 0]), padded_range(real[:, 1])
            fig.layout[p.xaxis].range = list(xr)
            fig.layout[p.yaxis].range = list(yr)

    # -- access -------------------------------------------------------------------
    def trace(self, name: str) -> Any:
        """The figure's trace named ``name`` (e.g. ``"loss"``, ``"latent"``, ``"samples"``)."""
        return self.widget.data[self._index[name]]

    def has_trace(self, name: str) -> bool:
        return name in self._index

    @property
    def latent_projection(self) -> Projection | None:
        """The map between latent vectors and the latent panel's plane (after a draw)."""
        return self._latent_projection

    def change_markers(self) -> list[dict[str, Any]]:
        """The loss panel's vertical change markers (layout shapes) now in the figure."""
        return [dict(s.to_plotly_json()) for s in self.widget.layout.shapes if (s.name or "").startswith("change")]

    # -- drawing --------------------------------------------------------------------
    def needs_rebuild(self) -> bool:
        s = self.session
        return (s.kind, s.generative_model.panels) != self._layout_key or s.dataset is not self._dataset

    def draw(self, force: bool = False) -> bool:
        """Bring the panels up to date with the session (cheap when nothing changed).

        Losses and change markers always update. The views that run the networks
        (latent space, images, samples, decision surface) update at most once per
        ``MODEL_VIEW_INTERVAL`` seconds unless ``force``: they cost model compute
        that would otherwise be taken from training.

        Returns:
            True when a model view is behind and a later draw should catch up.
        """
        with self._lock:  # the session's lock: not while it swaps its model or data
            if self.needs_rebuild():
                self.rebuild()
            s = self.session
            engine = s.engine
            if engine is not self._engine:  # reset: the history starts afresh
                self._engine = engine
                self._drawn_key = None
                self._timeline_drawn = -1
            with self.widget.batch_update():
                self._draw_losses()
                self._draw_changes()
                key = (id(engine), engine.step, id(engine.state))
                if key == self._drawn_key and not force:
                    return False
                if not (force or self._drawn_key is None or self._model_throttle.ready()):
                    return True
                self._model_throttle.mark()
                self._draw_model_views()
                self._drawn_key = key
                return False

    def _draw_losses(self) -> None:
        steps = self.session.steps
        if steps is not self._steps_ref:
            self._steps_ref = steps
            self._buffers = {name: GrowingArray() for name in ["step", *self._loss_names]}
        n_old = len(self._buffers["step"])
        n = len(steps["step"])  # the engine extends "step" last, so metrics hold >= n values
        if n > n_old:
            self._buffers["step"].extend(steps["step"][n_old:n])
            for name in self._loss_names:
                self._buffers[name].extend(steps[name][n_old:n])
        elif n == n_old and n_old > 0:
            return
        x = self._buffers["step"].values
        for name in self._loss_names:
            xs, ys = downsample(x, self._buffers[name].values, MAX_LOSS_POINTS)
            # float32 halves the bytes of the binary buffers sent to the browser
            self.trace(name).update(x=xs.astype(np.float32), y=ys.astype(np.float32))

    def _draw_changes(self) -> None:
        timeline = self.session.timeline
        if len(timeline) == self._timeline_drawn:
            return
        self._timeline_drawn = len(timeline)
        p = self.panels["loss"]
        shapes, notes = [], []
        recent = timeline[-MAX_CHANGE_MARKERS:]
        for i, record in enumerate(recent):
            shapes.append(
                {
                    "type": "line",
                    "xref": p.xref,
                    "yref": f"{p.yref} domain",
                    "x0": record["step"],
                    "x1": record["step"],
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "rgba(120,120,120,0.8)", "width": 1, "dash": "dot"},
                    "name": f"change-{i}",
                }
            )
            notes.append(
                {
                    "x": record["step"],
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
        self.widget.layout.shapes = shapes
        self.widget.layout.annotations = [*self._title_annotations, *notes]

    def _draw_model_views(self) -> None:
        s = self.session
        ds = s.dataset
        if "latent" in self.panels:
            z = s.encode(ds.to_rows(ds.model_val[:MAX_LATENT_POINTS]))
            self._latent_projection = fit_projection(z)
            xy = self._latent_projection.project(z).astype(np.float32)
            self.trace("latent").update(x=xy[:, 0], y=xy[:, 1])
            xr, yr = padded_range(xy[:, 0]), padded_range(xy[:, 1])
            grid_key = tuple(np.round([*xr, *yr], 1))
            if grid_key != getattr(self, "_latent_grid_key", None):  # resend only when the range moves
                self._latent_grid_key = grid_key
                g = grid_points(xr, yr, CLICK_GRID).astype(np.float32)
                self.trace("latent-grid").update(x=g[:, 0], y=g[:, 1])
        if "reconstructions" in self.panels:
            originals = ds.to_rows(ds.model_val[:N_RECONSTRUCTIONS])  # the data's units, as the user sees it
            recon = s.reconstruct(originals)
            self._show_image("reconstructions", tile(np.concatenate([originals, recon]), N_RECONSTRUCTIONS))
        if "samples" in self.panels:
            images = s.sample(N_SAMPLES_SIDE**2, seed=SAMPLE_SEED)
            self._show_image("samples", tile(images, N_SAMPLES_SIDE))
        if "data" in self.panels:
            proj = self._data_projection
            assert proj is not None
            if not s.generative_model.can("sample"):
                gen = s.reconstruct(ds.to_rows(ds.model_val[:MAX_DATA_POINTS]))
            else:
                gen = s.sample(MAX_DATA_POINTS, seed=SAMPLE_SEED)
            gen = gen.reshape(len(gen), -1)
            xy = proj.project(gen).astype(np.float32)
            self.trace("generated").update(x=xy[:, 0], y=xy[:, 1])
            if self.has_trace("decision"):
                self._draw_decision_surface()
        if self.last_decoded is not None:  # keep the decoded view in step with training
            self._show_decoded(self.last_decoded[0])

    def _show_image(self, name: str, image: np.ndarray) -> None:
        lo, hi = self._dataset.value_range or (None, None)
        self.images[name] = image
        self.trace(name).update(source=png_data_uri(image, lo, hi))

    def _draw_decision_surface(self) -> None:
        layout = self.widget.layout
        p = self.panels["data"]
        xr = tuple(layout[p.xaxis].range)
        yr = tuple(layout[p.yaxis].range)
        grid = grid_points(xr, yr, SURFACE_GRID).astype(np.float32)
        prob = decision_surface(self.session, grid, self)
        self.trace("decision").update(
            x=np.linspace(*xr, SURFACE_GRID),
            y=np.linspace(*yr, SURFACE_GRID),
            # a 2-D z goes as JSON text, not binary: two decimals keep it short
            z=np.round(prob.reshape(SURFACE_GRID, SURFACE_GRID).astype(np.float64), 2),
        )

    # -- the latent explorer ---------------------------------------------------------
    def _on_latent_click(self, trace: Any, points: Any, state: Any) -> None:
        if not points.point_inds:
            return
        try:
            self.decode_at(float(points.xs[0]), float(points.ys[0]))
        except Exception as exc:  # report, never raise into the comm handler
            if self.on_error is not None:
                self.on_error(f"Could not decode that point: {type(exc).__name__}: {exc}")
            else:
                raise

    def decode_at(self, x: float, y: float) -> np.ndarray:
        """Decode the latent vector under the point ``(x, y)`` of the latent panel.

        For ``latent_dim > 2`` the point is lifted from the PCA plane
        (``mean + (x, y) @ components``). Returns the decoded row, shaped like the data.
        """
        with self._lock:
            if "latent" not in self.panels:
                raise TypeError(f"the {self.session.kind} model has no latent space to explore")
            proj = self._latent_projection
            if proj is None or proj.dim != self.session.hyperparameters["latent_dim"]:
                self.draw(force=True)
                proj = self._latent_projection
            assert proj is not None
            z = proj.lift(np.array([x, y]))
            with self.widget.batch_update():
                out = self._show_decoded(z)
                self.trace("latent-click").update(x=[x], y=[y])
            return out

    def _show_decoded(self, z: np.ndarray) -> np.ndarray:
        s = self.session
        out = s.decode(np.asarray(z, dtype=np.float32)[None])[0]
        self.last_decoded = (np.asarray(z), out)
        if "decoded" in self.panels and s.dataset.is_image:
            self._show_image("decoded", tile(out[None], 1))
        elif self.has_trace("decoded") and self._data_projection is not None:
            xy = self._data_projection.project(out.reshape(1, -1))
            self.trace("decoded").update(x=xy[:, 0], y=xy[:, 1])
        return out

    # -- saved notebooks ---------------------------------------------------------------
    def sync_state(self) -> None:
        """Copy the figure into the widget's synced state (FigureWidget updates are
        transient messages; this makes a saved notebook's widget state hold the data)."""
        with self._lock:
            fig = self.widget
            fig._widget_layout = copy.deepcopy(fig._layout_obj._props)
            fig._widget_data = copy.deepcopy(fig._data)


def decision_surface(session: Session, grid: np.ndarray, figure: SessionFigure | None = None) -> np.ndarray:
    """The GAN discriminator's D(x) = sigmoid(logits) at the rows of ``grid`` (n, 2)."""
    import jax
    import jax.numpy as jnp

    model = session.generative_model
    if not model.can("discriminate"):
        raise TypeError(f"a decision surface needs a discriminator, and the {session.kind} model has none")
    fn = model.jitted("logits")
    grid = session.dataset.flatten(grid, "grid")  # the plot's (data) units -> the model's
    logits = fn(session.engine.state["params"], jnp.asarray(grid, dtype=jnp.float32))
    return np.asarray(jax.nn.sigmoid(logits), dtype=np.float64)
