"""The confusion matrix of a classifier on the validation rows: true class down, predicted across.

Drawn from ``Session.classify`` on up to :data:`MAX_CONFUSION_ROWS` validation rows, as the
share of each true class's rows given each predicted class (a row sums to 1), so the diagonal
is each class's accuracy; redrawn with the other views that run the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from .base import Panel

if TYPE_CHECKING:
    from ...data import Dataset
    from ...session import Session
    from ..plots import SessionFigure

MAX_CONFUSION_ROWS = 2000


def confusion(true: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """``(k, k)``: the share of the rows of true class i that were predicted j (rows sum to 1)."""
    counts = np.zeros((k, k))
    np.add.at(counts, (np.asarray(true, int), np.asarray(predicted, int)), 1)
    return counts / np.maximum(counts.sum(1, keepdims=True), 1)


class ConfusionPanel:
    """A heatmap named ``confusion``: the validation rows' true class against the predicted one."""

    name = "confusion"
    title = "Validation: true class (down) vs predicted"

    def __init__(self, dataset: Dataset):
        self.dataset = dataset
        self.k = int(max(dataset.y_train.max(), dataset.y_val.max() if len(dataset.y_val) else 0)) + 1
        self.panel: Panel | None = None

    def add(self, fig: go.Figure, panel: Panel) -> None:
        self.panel = panel
        k = self.k
        edges = np.arange(k + 1) - 0.5  # cell edges: the static pictures draw the cells where they are
        fig.add_trace(
            go.Heatmap(
                z=np.zeros((k, k)), x=edges, y=edges, zmin=0, zmax=1, colorscale="Blues", showscale=False,
                name=self.name, meta={"palette": "blues"}, customdata=self._labels(),
                hovertemplate="true %{customdata[0]}, predicted %{customdata[1]}: %{z:.0%}<extra></extra>",
                **panel.axes,
            )
        )  # fmt: skip
        # true class 0 at the top: the rows are drawn bottom-up, so the matrix goes in flipped
        fig.layout[panel.yaxis].update(
            title="true", range=[-0.5, k - 0.5], tickvals=list(range(k)), ticktext=[str(k - 1 - i) for i in range(k)]
        )
        fig.layout[panel.xaxis].update(title="predicted", range=[-0.5, k - 0.5], dtick=1)

    def _labels(self) -> np.ndarray:
        """Each drawn cell's (true, predicted) class, for the hover text (rows are flipped)."""
        k = self.k
        true, predicted = np.meshgrid(np.arange(k)[::-1], np.arange(k), indexing="ij")
        return np.stack([true, predicted], -1)

    def update(self, session: Session, figure: SessionFigure) -> None:
        ds = self.dataset
        n = min(MAX_CONFUSION_ROWS, len(ds.x_val))
        predicted = session.classify(ds.to_rows(ds.model_val[:n]))
        figure.trace(self.name).update(z=confusion(ds.y_val[:n], predicted, self.k)[::-1])
