"""The panels of the live figure, one module each.

- :mod:`.loss`: loss curves and the live-change markers;
- :mod:`.latent`: the latent scatter, its click grid and decode-at-click;
- :mod:`.images`: reconstructions, samples and the decoded click, as images;
- :mod:`.data`: the 2-D data panel, generated points and the GAN decision surface;
- :mod:`.confusion`: a classifier's confusion matrix on the validation rows.

Each panel is a small class with ``add(fig, panel)`` (adds its traces and axes to
the subplot :class:`~.base.Panel` it is given) and ``update(session, figure)``
(draws). :class:`~nbgen.ui.plots.SessionFigure` lays them out and calls them; the
panels use only its public methods (``trace``, ``has_trace``, ``widget``, ``images``).
"""

from .base import SAMPLE_SEED, Panel, PanelView
from .confusion import MAX_CONFUSION_ROWS, ConfusionPanel
from .data import MAX_DATA_POINTS, SURFACE_GRID, DataPanel, data_title, decision_surface
from .images import (
    IMAGE_PANELS,
    N_RECONSTRUCTIONS,
    N_SAMPLES_SIDE,
    DecodedPanel,
    ImagePanel,
    ReconstructionsPanel,
    SamplesPanel,
)
from .latent import CLICK_GRID, MAX_LATENT_POINTS, LatentPanel
from .loss import MAX_CHANGE_MARKERS, MAX_LOSS_POINTS, LossPanel

__all__ = [
    "MAX_CONFUSION_ROWS",
    "ConfusionPanel",
    "CLICK_GRID",
    "IMAGE_PANELS",
    "MAX_CHANGE_MARKERS",
    "MAX_DATA_POINTS",
    "MAX_LATENT_POINTS",
    "MAX_LOSS_POINTS",
    "N_RECONSTRUCTIONS",
    "N_SAMPLES_SIDE",
    "SAMPLE_SEED",
    "SURFACE_GRID",
    "DataPanel",
    "DecodedPanel",
    "ImagePanel",
    "LatentPanel",
    "LossPanel",
    "Panel",
    "PanelView",
    "ReconstructionsPanel",
    "SamplesPanel",
    "data_title",
    "decision_surface",
]
