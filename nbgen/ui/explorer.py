"""The latent explorer under the panel (a model with an encoder and a decoder, on image data).

Three strips of decoded images, drawn when the section is open:

- **traverse**: the rows decoded along one latent axis, or a principal direction of the codes
  (what matters when ``latent_dim > 2``), from -2.5 to +2.5 standard deviations of the codes
  (``Session.traverse``);
- **between your last two clicks**: the straight line between the latent vectors of the last
  two clicks on the latent scatter (``Session.decode`` along it);
- **nearest training images** to the last click's latent vector.

They redraw on open, on a change of direction, on a click, and on Refresh (the model moves
while it trains; a strip redrawn at every step would take compute from training).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import ipywidgets as widgets
import numpy as np

from .arrays import tile
from .png import png_data_uri
from .status import RED

if TYPE_CHECKING:
    from ..session import Session
    from .plots import SessionFigure

STRIP = 9  # images per strip
HEIGHT = 72  # pixels: each strip is drawn this tall, whatever the images' own size


def applies(session: Session) -> bool:
    """Whether the explorer has something to show: an encoder and a decoder, image rows."""
    model = session.generative_model
    return model.can("encode") and model.can("decode") and session.dataset.is_image and not model.conditional


class Explorer:
    """The "Explore the latent space" section; ``box`` is its widget."""

    def __init__(self, session: Session, figure: SessionFigure):
        self.session = session
        self.clicks: list[np.ndarray] = []  # the latent vectors of the last two clicks
        self._pane = widgets.VBox([])  # filled when first opened: a saved notebook keeps no unused models
        self.direction: widgets.Dropdown | None = None
        self.box = widgets.Accordion(children=[self._pane], selected_index=None)
        self.box.set_title(0, "Explore the latent space")
        self.box.add_class("nbgen-explorer")
        self.box.observe(lambda change: self.refresh() if change["new"] == 0 else None, "selected_index")
        figure.decoded_listeners.append(self._on_click)
        self.update_visibility()

    def _build(self) -> None:
        self.direction = widgets.Dropdown(description="traverse", layout=widgets.Layout(width="220px"))
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh", layout=widgets.Layout(width="100px"))
        self.refresh_button.on_click(lambda _: self.refresh())
        self.traversal = widgets.HTML("")
        self.between = widgets.HTML("")
        self.nearest = widgets.HTML("")
        self._set_directions()
        self.direction.observe(lambda _: self.refresh(), names="value")
        self._pane.children = [
            widgets.HBox([self.direction, self.refresh_button]),
            self.traversal,
            self.between,
            self.nearest,
        ]

    @property
    def is_open(self) -> bool:
        return self.box.selected_index == 0

    def update_visibility(self) -> None:
        """Shown for models and data it applies to; the direction list follows the latent size."""
        shown = applies(self.session)
        self.box.layout.display = None if shown else "none"
        if shown and self.direction is not None:
            self._set_directions()

    def _set_directions(self) -> None:
        d = int(self.session.hyperparameters["latent_dim"])
        options = [(f"latent axis {i}", i) for i in range(d)]
        if d > 2:
            options = [(f"principal direction {i}", f"pc{i}") for i in range(min(d, 3))] + options
        assert self.direction is not None
        before = [v for _, v in self.direction.options]
        if [v for _, v in options] != before:
            self.direction.options = options
            if before:  # another latent space: earlier clicks no longer mean anything
                self.clicks = []

    def _on_click(self, z: np.ndarray) -> None:
        if self.clicks and np.array_equal(self.clicks[-1], z):
            return  # the same click, decoded again as training moves on
        self.clicks = [*self.clicks[-1:], np.asarray(z, np.float32)]
        if self.is_open and self.direction is not None:
            self._draw_clicks()

    def refresh(self) -> None:
        """Draw the strips (when the section is open and applies)."""
        if not self.is_open or not applies(self.session):
            return
        if self.direction is None:
            self._build()
        try:
            with self.session.lock:
                rows = self.session.traverse(self.direction.value if self.direction.value is not None else 0, n=STRIP)
            self.traversal.value = self._strip("traverse: -2.5 to +2.5 standard deviations of the codes", rows)
            self._draw_clicks()
        except Exception as exc:  # noqa: BLE001 - a view must never raise into the comm handler
            self.traversal.value = f"<span style='color:{RED}'>{html.escape(f'{type(exc).__name__}: {exc}')}</span>"

    def _draw_clicks(self) -> None:
        s = self.session
        if len(self.clicks) < 2:
            self.between.value = "<small><i>click two points of the latent scatter to see the way between them</i></small>"
        else:
            t = np.linspace(0.0, 1.0, STRIP, dtype=np.float32)[:, None]
            with s.lock:
                rows = s.decode((1 - t) * self.clicks[0] + t * self.clicks[1])
            self.between.value = self._strip("between your last two clicks", rows)
        if self.clicks:
            with s.lock:
                train = s.dataset.x_train[:5000]
                codes = s.encode(s.dataset.to_rows(s.dataset.model_train[:5000]))
            order = np.argsort(np.linalg.norm(codes - self.clicks[-1], axis=1))[:STRIP]
            rows = s.dataset.to_rows(s.dataset.scaling.to_model(train[order]))
            self.nearest.value = self._strip("nearest training images to your last click", rows)

    def _strip(self, title: str, rows: np.ndarray) -> str:
        lo, hi = self.session.dataset.value_range or (None, None)
        image = tile(np.asarray(rows, dtype=np.float64), cols=len(rows))
        uri = png_data_uri(image, lo, hi)
        return (
            f"<div><small>{html.escape(title)}</small><br>"
            f"<img src='{uri}' style='height:{HEIGHT}px;image-rendering:pixelated'/></div>"
        )
