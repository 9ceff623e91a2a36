"""The image panels: originals above their reconstructions, a grid of samples, the decoded click.

Each panel is one Plotly ``Image`` trace whose source is a grey PNG data URI
(:func:`~nbgen.ui.png.png_data_uri`) of the tiled images, scaled by the data's
value range; the array behind it is kept in the figure's ``images`` dict under
the panel's name. Reconstructions and samples are redrawn on each model-view
update (samples from fixed noise, :data:`~nbgen.ui.panels.base.SAMPLE_SEED`);
the decoded panel shows what the latent explorer decodes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from ...frames import SAMPLES_SIDE, view_samples
from ..arrays import tile
from ..png import png_data_uri
from .base import SAMPLE_SEED, Panel

if TYPE_CHECKING:
    from ...data import Dataset
    from ...session import Session
    from ..plots import SessionFigure

N_RECONSTRUCTIONS = 8
# the originals in rows of 4, each above its reconstructions: a 4 x 4 grid that fills its square
# panel as the samples' grid does (one strip of 8 over 8 drew 8x8 digits 2.4 screen pixels per
# pixel in a 1400-pixel JupyterLab page, this grid about 7: tests/test_browser.py measures it)
RECONSTRUCTION_COLUMNS = 4
N_SAMPLES_SIDE = SAMPLES_SIDE  # image samples drawn as a 4 x 4 grid (nbgen.frames)


class ImagePanel:
    """One image panel: an ``Image`` trace named after the panel, with bare, square axes."""

    name = ""
    title = ""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset
        self.panel: Panel | None = None

    def add(self, fig: go.Figure, panel: Panel) -> None:
        """Add the (empty) image trace and set up the axes of ``panel`` of ``fig``."""
        self.panel = panel
        fig.add_trace(go.Image(hoverinfo="skip", name=self.name, **panel.axes))
        fig.layout[panel.yaxis].update(
            autorange="reversed", scaleanchor=panel.xref, showticklabels=False, showgrid=False, zeroline=False
        )
        fig.layout[panel.xaxis].update(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")

    def update(self, session: Session, figure: SessionFigure) -> None:
        """Redraw from the model (nothing to do for a panel that is only shown to)."""

    def show(self, figure: SessionFigure, image: np.ndarray) -> None:
        """Send ``image`` (2-D, NaN transparent) as the panel's PNG and keep it in ``figure.images``."""
        lo, hi = self.dataset.value_range or (None, None)
        figure.images[self.name] = image
        figure.trace(self.name).update(source=png_data_uri(image, lo, hi))


class ReconstructionsPanel(ImagePanel):
    """The first validation images, in rows of :data:`RECONSTRUCTION_COLUMNS`, each row above
    its reconstructions."""

    name = "reconstructions"
    title = "Originals (1, 3), reconstructions (2, 4)"  # rows of the grid; short: a panel title

    def update(self, session: Session, figure: SessionFigure) -> None:
        ds = session.dataset
        originals = ds.to_rows(ds.model_val[:N_RECONSTRUCTIONS])  # the data's units, as the user sees it
        labels = ds.y_val[:N_RECONSTRUCTIONS] if session.generative_model.conditional else None
        recon = session.reconstruct(originals, label=labels)
        self.show(figure, tile(pairs_of_rows(originals, recon, RECONSTRUCTION_COLUMNS), RECONSTRUCTION_COLUMNS))


def pairs_of_rows(top: np.ndarray, bottom: np.ndarray, cols: int) -> np.ndarray:
    """``top`` and ``bottom`` (same shapes) interleaved by rows of ``cols``: each row of ``top``
    followed by the same row of ``bottom``, for :func:`~nbgen.ui.arrays.tile` with ``cols``."""
    n = len(top)
    out = [part[i : i + cols] for i in range(0, n, cols) for part in (top, bottom)]
    return np.concatenate(out)


class SamplesPanel(ImagePanel):
    """A square grid of samples from fixed noise; for a conditional model one row per class, for
    a GAN with a categorical code one row per code value."""

    name = "samples"
    title = "Samples"

    def update(self, session: Session, figure: SessionFigure) -> None:
        label = figure.shown_label if session.generative_model.conditional else None  # the class picked
        images, columns = view_samples(session, label=label)
        self.show(figure, tile(images, columns))


class TrajectoryPanel(ImagePanel):
    """A few samples from noise (left) to data (right), at evenly spaced sampling steps."""

    name = "trajectory"
    title = "From noise to samples"
    rows, columns = 4, 8

    def update(self, session: Session, figure: SessionFigure) -> None:
        picked = session.generative_model.conditional and figure.shown_label is not None
        path = session.trajectory(self.rows, seed=SAMPLE_SEED, **({"label": figure.shown_label} if picked else {}))
        shown = np.unique(np.linspace(0, len(path) - 1, self.columns).round().astype(int))
        strip = np.swapaxes(path[shown], 0, 1)  # (n, columns, *row)
        self.show(figure, tile(strip.reshape(-1, *path.shape[2:]), len(shown)))


class DecodedPanel(ImagePanel):
    """The image decoded from the latent click."""

    name = "decoded"
    title = "Decoded from the latent click"

    def show_decoded(self, session: Session, figure: SessionFigure, out: np.ndarray) -> None:
        if session.dataset.is_image:
            self.show(figure, tile(out[None], 1))


IMAGE_PANELS: dict[str, type[ImagePanel]] = {
    cls.name: cls for cls in (ReconstructionsPanel, SamplesPanel, TrajectoryPanel, DecodedPanel)
}
