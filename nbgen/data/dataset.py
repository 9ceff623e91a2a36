"""The :class:`Dataset`: what every input form becomes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .scaling import PIXEL_MAX, Scaling
from .validate import as_numeric_array


@dataclass(repr=False)
class Dataset:
    """A validated data set, ready for training.

    Everything a model sees is in *model units*; everything a user passes in or gets
    back (``Session.encode``, ``reconstruct``, ``sample``, ``evaluate(x)``...) is in the
    data's own units. ``scaling`` is the map between them (see :class:`Scaling`):
    uint8 images are divided by 255, real-valued data is standardised.

    Attributes:
        name: the data set's name, a file path, or ``"array"`` for user arrays.
        x_train, x_val: float32 arrays ``(n, features)`` in the data's units (what
            ``Session.encode`` and friends take).
        model_train, model_val: the same rows in model units (what the engine trains
            on); the very same arrays when the scaling is ``"none"``.
        y_train, y_val: int labels or ``None``.
        class_names: the classes' names in id order when the labels were given as names
            (``"cat", "dog"``), else None.
        t_train, t_val: real-valued targets (float32 ``(n,)`` or ``(n, k)``, in the user's
            units) when the second item of ``(x, y)`` holds numbers that are not all whole (a
            regression: a Keras model's compiled loss trains on them); then ``y_*`` are None.
        row_shape: the shape of one row as the user gave it (``(8, 8)`` for digits).
        unit_interval: True when the model units lie in [0, 1] (Bernoulli decoder,
            sigmoid outputs); False for real-valued data (Gaussian decoder).
        scaling: user units -> model units; ``scaling.describe()`` says what was done.
        modes: for the 2-D mixtures, the centres of the Gaussians (data units).
        mode_std: their standard deviation.
    """

    name: str
    x_train: np.ndarray
    x_val: np.ndarray
    y_train: np.ndarray | None
    y_val: np.ndarray | None
    row_shape: tuple[int, ...]
    unit_interval: bool
    modes: np.ndarray | None = None
    mode_std: float | None = None
    # the largest |value| in model units (a hint when a loss blows up); the streamed array-like itself
    max_abs: float = 0.0
    source: Any = None

    t_train: np.ndarray | None = None
    class_names: tuple[str, ...] | None = None
    t_val: np.ndarray | None = None
    streaming: bool = False
    scaling: Scaling = field(default_factory=lambda: Scaling("none"))
    # returns (x_train, x_val) in the user's units and dtype, for Session.save
    raw: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None
    model_train: Any = None
    model_val: Any = None

    def __post_init__(self) -> None:
        if self.model_train is None:
            self.model_train = self.x_train
        if self.model_val is None:
            self.model_val = self.x_val

    @property
    def features(self) -> int:
        return int(np.prod(self.row_shape))

    def train_sample(self, n: int = 10_000) -> np.ndarray:
        """Up to ``n`` training rows in memory, in model units (all of them unless the data streams)."""
        rows = self.model_train
        if not self.streaming or len(rows) <= n:
            return np.asarray(rows[np.arange(len(rows))]) if self.streaming else rows
        idx = np.sort(np.random.default_rng(0).choice(len(rows), n, replace=False))
        return rows[idx]

    def targets(self, part: str) -> np.ndarray | None:
        """What the rows of ``part`` ("train" or "val") train against: their class ids, or their
        real-valued targets; None when the data has neither."""
        labels, real = (self.y_train, self.t_train) if part == "train" else (self.y_val, self.t_val)
        return labels if real is None else real

    @property
    def is_image(self) -> bool:
        return len(self.row_shape) >= 2

    @property
    def has_labels(self) -> bool:
        return self.y_train is not None

    @property
    def value_range(self) -> tuple[float, float] | None:
        """The (low, high) of the data's units when bounded (images: for display), else None."""
        if not self.unit_interval:
            return None
        lo, hi = self.scaling.to_user(np.array([[0.0], [1.0]]))[:, 0]
        return float(lo), float(hi)

    def to_rows(self, flat: np.ndarray) -> np.ndarray:
        """Model outputs ``(n, features)`` in model units -> rows in the data's units, dtype and
        shape (integer pixels come back rounded and clipped to 0-255, in the data's integer type)."""
        flat = np.asarray(flat)
        if self.scaling.kind != "none":
            flat = self.scaling.to_user(flat.reshape(flat.shape[0], -1))
        if self.scaling.kind == "pixels":
            flat = np.clip(np.rint(flat), 0, PIXEL_MAX).astype(self.scaling.dtype)
        return flat.reshape((flat.shape[0], *self.row_shape))

    def flatten(self, x: Any, name: str = "x") -> np.ndarray:
        """Validate user rows (in the data's units, shaped like its rows) -> model units ``(n, features)``."""
        arr = as_numeric_array(x, name)
        if arr.shape[1:] == self.row_shape or arr.ndim == 2 and arr.shape[1] == self.features:
            pass
        elif arr.shape == self.row_shape:  # a single row
            arr = arr[None]
        else:
            raise ValueError(
                f"{name} must have rows shaped {self.row_shape} (or {self.features} flat "
                f"features), got an array of shape {arr.shape}"
            )
        if arr.shape[0] == 0:
            raise ValueError(f"{name} is empty: it needs at least one row")
        return self.scaling.to_model(arr.reshape(arr.shape[0], -1))

    def __repr__(self) -> str:
        n_val = len(self.x_val)
        labels = f", {int(self.y_train.max()) + 1} classes" if self.has_labels and len(self.y_train) else ""
        if self.t_train is not None:
            width = int(np.prod(self.t_train.shape[1:], dtype=np.int64))
            labels = ", a real-valued target per row" if width == 1 else f", {width} real-valued targets per row"
        stream = ", streamed" if self.streaming else ""
        return (
            f"<nbgen Dataset {self.name!r}: {len(self.x_train)} training + {n_val} validation rows of shape "
            f"{self.row_shape}{labels}{stream}; scaling: {self.scaling.describe()}>"
        )


# ---------------------------------------------------------------------------
