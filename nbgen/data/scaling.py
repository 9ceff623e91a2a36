"""Units: the map from the user's values to what the models see."""

from __future__ import annotations

from typing import Any

import numpy as np

PIXEL_MAX = 255.0


class Scaling:
    """The map from the user's units to the model's units: ``model = (user - shift) / scale``.

    - ``"none"``: values already in [0, 1] (Bernoulli decoder, sigmoid outputs);
    - ``"pixels"``: integer values in 0..255 (uint8 images), divided by 255 into [0, 1];
    - ``"standardise"``: real-valued data, minus its mean and over its standard
      deviation (per feature for rows ``(n, d)``, one mean and std for images), so that
      every model trains on values of order 1 whatever the data's scale.

    Statistics come from the training split. Outputs (samples, reconstructions, decoded
    rows) go back through ``to_user``: a user sees everything in the data's own units.
    """

    def __init__(
        self, kind: str, shift: np.ndarray | float = 0.0, scale: np.ndarray | float = 1.0, dtype: Any = np.float32
    ):
        self.kind = kind
        self.shift = np.asarray(shift, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.dtype = np.dtype(dtype)  # the data's own dtype ("pixels": the integer type rows come back in)

    @classmethod
    def detect(cls, dtype: np.dtype, lo: float, hi: float) -> Scaling:
        """Pick the kind from the dtype and the range of the values (no statistics yet)."""
        if np.issubdtype(dtype, np.integer) and lo >= 0 and 1 < hi <= PIXEL_MAX:
            return cls("pixels", 0.0, PIXEL_MAX, dtype=dtype)
        if lo >= 0.0 and hi <= 1.0:
            return cls("none")
        return cls("standardise")

    def fit(self, x: np.ndarray, image: bool) -> Scaling:
        """Set a standardising scaling's mean and std from training rows ``(n, features)``."""
        if self.kind != "standardise":
            return self
        x = np.asarray(x, dtype=np.float64)
        if image:
            mean, std = np.full(x.shape[1], x.mean()), np.full(x.shape[1], x.std())
        else:
            mean, std = x.mean(0), x.std(0)
        floor = max(float(std.max(initial=0.0)) * 1e-6, 1e-30)  # a constant feature is only centred
        self.shift, self.scale = mean, np.where(std > floor, std, 1.0)
        return self

    @property
    def unit_interval(self) -> bool:
        return self.kind in ("none", "pixels")

    def to_model(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "none":
            return np.asarray(x, dtype=np.float32)
        return ((np.asarray(x, dtype=np.float64) - self.shift) / self.scale).astype(np.float32)

    def to_user(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "none":
            return np.asarray(x, dtype=np.float32)
        return (np.asarray(x, dtype=np.float64) * self.scale + self.shift).astype(np.float32)

    def describe(self) -> str:
        if self.kind == "pixels":
            return "integer values 0-255 divided by 255 into [0, 1] (VAE: Bernoulli decoder); outputs are given back in 0-255"
        if self.kind == "none":
            return "values in [0, 1], used as they are (VAE: Bernoulli decoder)"
        lo, hi = float(self.scale.min()), float(self.scale.max())
        spread = f"std {lo:.4g}" if np.isclose(lo, hi) else f"std {lo:.4g} to {hi:.4g}"
        return (
            f"real values standardised: minus the training mean, over the training {spread} "
            "(VAE: Gaussian decoder); outputs are given back in the data's units"
        )


def fit_scaling(x_train: np.ndarray, x_val: np.ndarray | None) -> Scaling:
    parts = [x_train] if x_val is None else [x_train, x_val]
    lo = min(float(p.min()) for p in parts)
    hi = max(float(p.max()) for p in parts)
    dtype = np.result_type(*[p.dtype for p in parts])
    image = x_train.ndim >= 3
    return Scaling.detect(dtype, lo, hi).fit(x_train.reshape(len(x_train), -1), image)
