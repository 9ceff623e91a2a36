"""Checks of user arrays and labels, with errors that name the parameter, the value and what is allowed."""

from __future__ import annotations

from typing import Any

import numpy as np

# validation

FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_real_dtype(dtype: np.dtype, name: str, what: str) -> None:
    """Numbers (bools too), not objects, strings or complex numbers; ``what`` holds them ("rows")."""
    if dtype.kind == "O" or not (np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.bool_)):
        raise TypeError(f"{name} must hold numbers, got {what} of dtype {dtype}")
    if np.issubdtype(dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got {what} of dtype {dtype}")


def as_numeric_array(x: Any, name: str) -> np.ndarray:
    """``x`` as a NumPy array of real numbers in its own dtype, finite and float32-sized."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__} {x!r}")
    if is_dataframe(x):
        x = frame_to_array(x, name)
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged nested lists, objects without __array__ ...
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__} ({exc})") from exc
    check_real_dtype(arr.dtype, name, "an array")
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension, got a scalar")
    if np.issubdtype(arr.dtype, np.floating):
        bad = ~np.isfinite(arr)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"{name} holds {int(bad.sum())} non-finite values (NaN or inf), first at index "
                f"{where}: remove or impute them"
            )
    if arr.size and arr.dtype.itemsize > 4 and not np.issubdtype(arr.dtype, np.bool_):
        big = float(np.max(np.abs(arr.astype(np.float64))))
        if big > FLOAT32_MAX:
            raise ValueError(
                f"{name} holds values up to {big:.3g}, beyond float32's range (about 3.4e38) in which "
                "nbgen trains: rescale the data (for example divide it by its maximum)"
            )
    return arr


def label_array(y: Any, n: int, name: str = "labels") -> np.ndarray:
    """Labels as given (one per row), before they become class ids."""
    try:
        arr = np.asarray(y)
    except Exception as exc:
        raise TypeError(f"{name} must be an array of class ids, got {type(y).__name__} ({exc})") from exc
    if arr.ndim == 2 and arr.shape[1] == 1:  # a column, as keras.datasets.cifar10 gives
        arr = arr[:, 0]
    elif (
        arr.ndim == 2
        and arr.shape[1] > 1
        and (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_)
        and not np.issubdtype(arr.dtype, np.complexfloating)
        and np.all((arr == 0) | (arr == 1))
        and np.all(arr.sum(1) == 1)
    ):  # one-hot rows
        arr = arr.argmax(1)
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be one-dimensional (one class per row; a column or one-hot rows also work), "
            f"got shape {arr.shape}"
        )
    if len(arr) != n:
        raise ValueError(f"{name} has {len(arr)} entries but the data has {n} rows: they must match")
    return arr


def class_ids(arr: np.ndarray, name: str = "labels") -> np.ndarray:
    """Labels as int64 class ids: ints stay, whole floats become ints, other values are
    numbered in sorted order (``"cat", "dog"`` -> 0, 1)."""
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be class ids (ints or names), got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
        return arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} holds NaN or inf: every row needs a class")
        if np.all(arr == np.round(arr)):
            return arr.astype(np.int64)
    try:  # any sortable class names
        _, ids = np.unique(arr, return_inverse=True)
    except Exception as exc:
        raise TypeError(
            f"{name} must be class ids (ints or sortable names such as strings), got dtype {arr.dtype} "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    return ids.reshape(-1).astype(np.int64)


def real_targets(y: Any, n: int, name: str = "labels") -> np.ndarray | None:
    """``y`` as real-valued targets (float32, ``(n,)`` or ``(n, k)``: what a regression trains on)
    when it holds numbers that are not all whole; None for class ids or names (whole numbers,
    strings, one-hot rows), which :func:`class_ids` numbers."""
    if y is None or isinstance(y, (str, bytes)):
        return None
    if is_dataframe(y):
        y = frame_to_array(y, name)
    try:
        arr = np.asarray(y)
    except Exception:  # ragged: label_array names the problem
        return None
    if not np.issubdtype(arr.dtype, np.floating) or arr.ndim not in (1, 2) or arr.size == 0:
        return None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} holds NaN or inf: every row needs a finite target")
    if np.all(arr == np.round(arr)):
        return None
    if len(arr) != n:
        raise ValueError(f"{name} has {len(arr)} entries but the data has {n} rows: they must match")
    return np.ascontiguousarray(arr, dtype=np.float32)


def class_names(arr: np.ndarray) -> tuple[str, ...] | None:
    """The classes' names, in id order, when the labels are names (``"cat", "dog"``); None when
    they are numbers (the ids are their own names)."""
    if np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_:
        return None
    return tuple(str(u) for u in np.unique(arr))


def check_rows(arr: np.ndarray, name: str, minimum: int) -> None:
    if arr.ndim not in (2, 3, 4):
        raise ValueError(
            f"{name} must be an array shaped (n, d) or (n, h, w[, c]), got {arr.ndim} dimension(s) with shape {arr.shape}"
        )
    if arr.shape[0] == 0 or arr[0].size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}): it needs rows and features")
    if arr.shape[0] < minimum:
        what = "nbgen needs at least 4 (3 to train, 1 to validate)" if minimum == 4 else f"it needs at least {minimum}"
        raise ValueError(f"{name} has {arr.shape[0]} rows: {what}")


def is_dataframe(data: Any) -> bool:
    return hasattr(data, "columns") and hasattr(data, "dtypes") and hasattr(data, "to_numpy")


def frame_to_array(frame: Any, name: str = "data") -> np.ndarray:
    """The numeric columns of a pandas DataFrame as one array; other columns are refused by name."""
    import pandas as pd

    bad = [
        str(c)
        for c, t in frame.dtypes.items()
        if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t))
    ]
    if bad:
        shown = ", ".join(repr(c) for c in bad[:5]) + (" ..." if len(bad) > 5 else "")
        raise TypeError(
            f"{name} as a DataFrame must have numeric columns only; these are not: {shown}. "
            "Drop them or encode them as numbers (and pass a label column as the second item: (frame, labels))"
        )
    arr = frame.to_numpy()
    if arr.dtype == object:  # nullable extension dtypes: missing values become NaN (and are refused)
        arr = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    return arr
