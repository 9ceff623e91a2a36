"""Tuples: (x, labels), (x_train, x_test) and keras.datasets' ((x_train, y_train), (x_test, y_test))."""

from __future__ import annotations

from typing import Any

import numpy as np

from .arrays import from_arrays, from_split
from .dataset import Dataset
from .validate import frame_to_array, is_dataframe


def from_tuple(data: tuple) -> Dataset:
    forms = "(x, labels), (x_train, x_test) or ((x_train, y_train), (x_test, y_test))"
    if len(data) != 2:
        raise ValueError(f"data as a tuple must be one of {forms}; got a tuple of {len(data)} items")
    first, second = data
    if isinstance(first, (tuple, list)) and isinstance(second, (tuple, list)) and len(first) == len(second) == 2:
        if isinstance(first, tuple) or isinstance(second, tuple):  # what keras.datasets.*.load_data() returns
            (x_train, y_train), (x_test, y_test) = first, second
            return from_split(plain(x_train), y_train, plain(x_test), y_test)
    if isinstance(first, tuple) or isinstance(second, tuple):
        raise ValueError(
            f"data as a tuple must be one of {forms}; got a tuple of {type(first).__name__} and {type(second).__name__}"
        )
    x = plain(first)
    if second is None:
        return from_arrays(x)
    y = frame_to_array(second, "labels") if is_dataframe(second) else second
    try:
        y_arr, x_arr = np.asarray(y), np.asarray(x)
    except Exception:  # ragged or odd input: from_arrays names the problem
        y_arr = x_arr = None
    if (
        y_arr is not None
        and x_arr is not None
        and y_arr.ndim >= 2
        and x_arr.ndim >= 2
        and y_arr.shape[1:] == x_arr.shape[1:]
        and y_arr.dtype != object
    ):
        return from_split(x, None, y_arr, None)  # (x_train, x_test): the second has rows like the first
    return from_arrays(x, y)


def plain(x: Any) -> Any:
    """DataFrames and JAX arrays as NumPy arrays; anything else as it is (validated later)."""
    if is_dataframe(x):
        return frame_to_array(x)
    return x
