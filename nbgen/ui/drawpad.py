"""Draw 2-D data with the mouse, then train on it: GAN Lab's "draw a distribution" in a notebook.

``nbgen.show("gan", "draw")`` shows a pad above the session's panel; ``nbgen.DrawPad()`` makes
one on its own (``pad.points`` is the drawn array; ``nbgen.show("gan", pad)`` trains on it).

- **Brush**: a click drops a blob of ``per_click`` points around it (a Gaussian whose spread is
  the brush size); a box or lasso drag (Plotly's select tools) fills the selected area.
- **Erase**: a click removes the points within two brush sizes of it.
- **Clear**, and **presets** that start from a known set (the ring and grid mixtures, moons,
  three blobs, or blank).
- **Use these points** (a pad shown with a session): the session's data become the drawn
  points (``session.rebind``: the model is rebuilt and its history starts afresh, as on Reset),
  so a saved session keeps them. Fewer than 4 points are refused in the pad's status line,
  and the session is left as it was.

Clicks on empty spots reach Python through an invisible grid of points behind the drawing (a
Plotly click event needs a point under the mouse), as in the latent panel.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from .arrays import grid_points
from .status import RED

PRESETS = ("three blobs", "ring", "grid", "moons", "blank")
GRID = 40  # invisible click-catching points per side
SPAN = 5.0  # the pad shows [-SPAN, SPAN] on both axes
MIN_POINTS = 4  # what a data set needs (3 to train, 1 to validate)


def preset_points(name: str, n: int = 1500, seed: int = 0) -> np.ndarray:
    """The points a preset starts from, (n, 2) float32 in the pad's coordinates."""
    rng = np.random.default_rng(seed)
    if name == "three blobs":
        centres = np.array([[-2.5, -1.5], [2.5, -1.5], [0.0, 2.5]])
        x = centres[rng.integers(0, 3, n)] + 0.35 * rng.standard_normal((n, 2))
    elif name in ("ring", "grid"):
        from ..data.named import mixture_centres

        centres, _ = mixture_centres(name)
        spread = 0.1 if name == "ring" else 0.08  # wider than the benchmark sets: visible on the pad
        x = centres[rng.integers(0, len(centres), n)] + spread * rng.standard_normal((n, 2))
    elif name == "moons":
        from sklearn.datasets import make_moons

        x, _ = make_moons(n_samples=n, noise=0.06, random_state=seed)
        x = 2.0 * (x - np.array([0.5, 0.25]))
    elif name == "blank":
        x = np.zeros((0, 2))
    else:
        raise ValueError(f"preset must be one of {', '.join(repr(p) for p in PRESETS)}; got {name!r}")
    return np.asarray(x, np.float32)


def drawn(points: np.ndarray) -> Any:
    """The drawn points as a data set named "drawn" (split 80/20 like any array)."""
    from ..data import from_arrays

    return from_arrays(np.array(points, np.float32), name="drawn")


class DrawPad:
    """A 2-D canvas for data: brush, erase, box or lasso fill, clear and presets.

    Args:
        preset: the starting points (one of :data:`PRESETS`), or ``points`` to start from.
        points: an array (n, 2) to start from instead of a preset.
        brush: the spread of a click's blob (the pad's units; its axes span -5 to 5).
        per_click: points a click (or a filled selection) adds.
        seed: the random stream of the brush.

    Attributes:
        points: the drawn points, (n, 2) float32.
        box: the widget (``display(pad)`` shows it).
    """

    def __init__(
        self,
        preset: str = "three blobs",
        points: Any = None,
        *,
        brush: float = 0.3,
        per_click: int = 100,
        seed: int = 0,
    ):
        import ipywidgets as widgets

        from .plotly_bundle import figure_widget, state_copy

        if points is not None:
            arr = np.asarray(points, dtype=np.float32)
            if arr.ndim != 2 or arr.shape[1] != 2:
                raise ValueError(f"points must be an array of shape (n, 2), got shape {arr.shape}")
            self.points = arr
        else:
            self.points = preset_points(preset, seed=seed)
        if not 0 < brush <= SPAN:
            raise ValueError(f"brush must be in (0, {SPAN}], got {brush!r}")
        if not isinstance(per_click, int) or per_click < 1:
            raise ValueError(f"per_click must be a positive int, got {per_click!r}")
        self._rng = np.random.default_rng(seed)
        self.session: Any = None
        wide = {"description_width": "initial"}
        self.mode = widgets.ToggleButtons(options=["brush", "erase"], value="brush")
        self.mode.style.button_width = "70px"
        self.brush = widgets.FloatSlider(value=brush, min=0.05, max=1.5, step=0.05, description="brush size", style=wide)
        self.per_click = widgets.IntSlider(value=per_click, min=5, max=500, step=5, description="points per click", style=wide)
        self.preset = widgets.Dropdown(options=PRESETS, value=preset if points is None else "blank", description="preset")
        self.preset.observe(lambda change: self.load_preset(change["new"]), names="value")
        self.clear_button = widgets.Button(description="Clear", icon="eraser", layout=widgets.Layout(width="90px"))
        self.clear_button.on_click(lambda _: self.clear())
        self.use_button = widgets.Button(
            description="Use these points", icon="check", button_style="success", layout=widgets.Layout(width="160px")
        )
        self.use_button.add_class("nbgen-draw-use")
        self.use_button.on_click(lambda _: self.use())
        self.use_button.layout.display = "none"  # until the pad is bound to a session
        self.status = widgets.HTML("")
        self.figure = figure_widget()
        self.figure.add_class("nbgen-draw")
        g = grid_points((-SPAN, SPAN), (-SPAN, SPAN), GRID)
        self.figure.add_scatter(
            x=g[:, 0], y=g[:, 1], mode="markers", name="draw-grid", marker={"size": 12, "opacity": 0.0},
            hoverinfo="none", showlegend=False,
        )  # fmt: skip
        self.figure.add_scatter(
            x=[], y=[], mode="markers", name="drawn", marker={"size": 4, "color": "#1f77b4"}, hoverinfo="none",
            showlegend=False,
        )  # fmt: skip
        self.figure.update_layout(
            width=430, height=430, margin={"l": 30, "r": 10, "t": 30, "b": 30}, dragmode="lasso",
            xaxis={"range": [-SPAN, SPAN], "zeroline": False},
            yaxis={"range": [-SPAN, SPAN], "scaleanchor": "x", "zeroline": False}, uirevision="nbgen-draw",
        )  # fmt: skip
        for trace in self.figure.data:
            trace.on_click(self._on_click)
            trace.on_selection(self._on_selection)
        self.box = widgets.VBox(
            [
                widgets.HBox([self.mode, self.preset, self.clear_button, self.use_button]),
                widgets.HBox([self.brush, self.per_click]),
                widgets.HTML("<small><i>click to drop points, drag (lasso or box) to fill an area</i></small>"),
                self.figure,
                self.status,
            ]
        )
        self.box.add_class("nbgen-drawpad")
        self._redraw()
        # Voila opens the pad after the cell ran: the layout set above must be in its state
        self.figure._widget_layout, self.figure._widget_data = state_copy(self.figure)

    # -- drawing ------------------------------------------------------------------------------------
    def add(self, x: float, y: float, n: int | None = None) -> None:
        """Drop a blob of ``n`` points (default: points per click) around (x, y)."""
        n = self.per_click.value if n is None else int(n)
        blob = np.array([x, y]) + self.brush.value * self._rng.standard_normal((n, 2))
        self.points = np.concatenate([self.points, np.clip(blob, -SPAN, SPAN).astype(np.float32)])
        self._redraw()

    def erase(self, x: float, y: float) -> None:
        """Remove the points within two brush sizes of (x, y)."""
        far = np.hypot(self.points[:, 0] - x, self.points[:, 1] - y) > 2 * self.brush.value
        self.points = self.points[far]
        self._redraw()

    def fill(self, xs: Any, ys: Any) -> None:
        """Add points spread over the selected spots (grid points of a box or lasso selection)."""
        spots = np.stack([np.asarray(xs, float), np.asarray(ys, float)], 1)
        if not len(spots):
            return
        n = self.per_click.value
        cell = 2 * SPAN / (GRID - 1)
        chosen = spots[self._rng.integers(0, len(spots), n)]
        jitter = self._rng.uniform(-cell / 2, cell / 2, (n, 2))
        self.points = np.concatenate([self.points, (chosen + jitter).astype(np.float32)])
        self._redraw()

    def clear(self) -> None:
        self.points = np.zeros((0, 2), np.float32)
        self._redraw()

    def load_preset(self, name: str) -> None:
        self.points = preset_points(name, seed=int(self._rng.integers(0, 2**31)))
        self._redraw()

    def _on_click(self, trace: Any, points: Any, state: Any) -> None:
        if not points.point_inds or trace.name != "draw-grid" and trace.name != "drawn":
            return
        x, y = float(points.xs[0]), float(points.ys[0])
        if self.mode.value == "erase":
            self.erase(x, y)
        else:
            self.add(x, y)

    def _on_selection(self, trace: Any, points: Any, selector: Any) -> None:
        if trace.name == "draw-grid" and points.point_inds and self.mode.value == "brush":
            self.fill(points.xs, points.ys)

    def _redraw(self) -> None:
        with self.figure.batch_update():
            self.figure.data[1].x = self.points[:, 0]
            self.figure.data[1].y = self.points[:, 1]
        self.say(f"{len(self.points):,} points")

    def say(self, text: str, error: bool = False) -> None:
        color = f" style='color:{RED}'" if error else ""
        self.status.value = f"<span{color}>{html.escape(text)}</span>"

    # -- the session ----------------------------------------------------------------------------
    def bind(self, session: Any) -> None:
        """Show "Use these points", which makes the drawn points ``session``'s data."""
        self.session = session
        self.use_button.layout.display = None

    def use(self) -> bool:
        """The bound session trains on the drawn points from now on (its model rebuilt, history
        afresh). False, with the reason in the status line, when there are too few points."""
        if self.session is None:
            self.say("this pad has no session: nbgen.show(model, pad) makes one", error=True)
            return False
        if len(self.points) < MIN_POINTS:
            self.say(
                f"{len(self.points)} points drawn: a data set needs at least {MIN_POINTS} (3 to train, 1 to "
                "validate); the session keeps its data",
                error=True,
            )
            return False
        s = self.session
        try:
            s.rebind(s.config["model"], drawn(self.points), **s.chosen)
        except Exception as exc:  # noqa: BLE001 - say it here; the session is left as it was
            self.say(f"{type(exc).__name__}: {exc}", error=True)
            return False
        self.say(f"the session now trains on these {len(self.points):,} points (history starts afresh)")
        return True

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)
