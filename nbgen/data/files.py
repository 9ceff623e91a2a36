"""Files: a .npy (memory-mapped; streamed when large) or a .npz file."""

from __future__ import annotations

import os

import numpy as np

from .arrays import from_arrays, from_split
from .dataset import Dataset
from .streaming import STREAM_BYTES, from_source

NPZ_LAYOUTS = "keys x (and y), or x_train and x_test (and y_train, y_test, as keras.datasets' mnist.npz has)"


def from_file(path: str, name: str) -> Dataset:
    """A ``.npy`` (memory-mapped; streamed when large) or ``.npz`` file."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data={name!r}: no file at {path!r}")
    lower = path.lower()
    if lower.endswith(".npy"):
        try:
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
        except ValueError as exc:  # object arrays cannot be mapped, and are never unpickled
            raise TypeError(f"data={name!r} must hold an array of numbers ({exc})") from exc
        if arr.ndim >= 1 and arr.size * 4 > STREAM_BYTES:
            return from_source(arr, name=name)
        return from_arrays(np.asarray(arr), name=name)
    try:
        npz = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise ValueError(f"data={name!r} is not a readable .npz file ({type(exc).__name__}: {exc})") from exc
    with npz:
        keys = set(npz.files)
        try:
            if "x" in keys:
                return from_arrays(npz["x"], npz["y"] if "y" in keys else None, name=name)
            test = "x_test" if "x_test" in keys else "x_val" if "x_val" in keys else None
            if "x_train" in keys and test is not None:
                labels = "y_train" in keys
                y_test = "y_test" if "y_test" in keys else "y_val"
                return from_split(
                    npz["x_train"],
                    npz["y_train"] if labels else None,
                    npz[test],
                    npz[y_test] if labels and y_test in keys else None,
                    name=name,
                )
        except ValueError as exc:
            if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
                raise TypeError(f"data={name!r} holds Python objects, which nbgen never unpickles") from exc
            raise
    raise ValueError(f"data={name!r}: the .npz file has the keys {sorted(keys)}; nbgen needs {NPZ_LAYOUTS}")
