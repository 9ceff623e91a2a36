"""Array helpers of the live views: pure functions of NumPy arrays, no Plotly.

A growing buffer for the loss history (:class:`GrowingArray`), bucket-mean
downsampling of curves (:func:`downsample`), the 2-D view of wider vectors and
its inverse (:class:`Projection`, :func:`fit_projection`), tiling images into one
array (:func:`tile`), and the grids and padded ranges the panels lay their points
on (:func:`grid_points`, :func:`padded_range`).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_MAX_POINTS = 400  # downsample's default cap (the loss panel's MAX_LOSS_POINTS)


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


def downsample(x: np.ndarray, y: np.ndarray, max_points: int = DEFAULT_MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
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
    """Tile ``images`` (n, h, w[, c]) into one array with NaN gaps (transparent in the PNG):
    ``(H, W)`` for grey images, ``(H, W, 3)`` for colour ones (c = 3; c = 4 drops alpha;
    other channel counts are shown as their mean, in grey).
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 4:
        c = images.shape[-1]
        images = images[..., :3] if c in (3, 4) else images.mean(-1)
    n, h, w = images.shape[:3]
    rows = max(1, math.ceil(n / cols))
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, *images.shape[3:]), np.nan)
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


# plotly.js typed-array specs: an array as base64 bytes, not a JSON list of numbers
_TYPED = {"uint8": "u1", "int8": "i1", "uint16": "u2", "int16": "i2", "uint32": "u4", "int32": "i4",
          "float32": "f4", "float64": "f8"}  # fmt: skip


def typed_array(a: np.ndarray) -> dict[str, str]:
    """``a`` as a plotly.js typed-array spec (``{"dtype", "bdata", "shape"}``, Plotly 6+): a
    2-D array that Plotly would send as nested JSON lists travels as its bytes instead (a
    40 x 40 uint8 grid: 2.1 KB of base64 against about 10 KB of two-decimal text).

    Example:
        >>> spec = typed_array(np.array([[0, 50], [100, 7]], np.uint8))
        >>> spec["dtype"], spec["shape"], from_typed_array(spec).tolist()
        ('u1', '2, 2', [[0, 50], [100, 7]])
    """
    a = np.ascontiguousarray(a)
    if a.dtype.name not in _TYPED:
        raise TypeError(f"typed_array: dtype {a.dtype} has no plotly.js typed array (one of {sorted(_TYPED)})")
    return {"dtype": _TYPED[a.dtype.name], "bdata": base64.b64encode(a.tobytes()).decode("ascii"),
            "shape": ", ".join(str(n) for n in a.shape)}  # fmt: skip


def from_typed_array(v: object) -> np.ndarray:
    """The array a typed-array spec holds (:func:`typed_array`); any other value as an array."""
    if isinstance(v, dict) and "bdata" in v and "dtype" in v:
        dtype = next(name for name, code in _TYPED.items() if code == v["dtype"])
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=dtype)
        shape = v.get("shape")
        return a.reshape([int(n) for n in str(shape).split(",")]) if shape else a
    return np.asarray(v)
