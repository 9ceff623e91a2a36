"""Arrays in memory: one array (split 80/20 here) or a split the user already made."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .dataset import Dataset
from .scaling import fit_scaling
from .validate import as_numeric_array, check_rows, class_ids, class_names, label_array, real_targets

VALIDATION_FRACTION = 0.2
SPLIT_SEED = 0  # the split: scikit-learn's train_test_split(test_size=0.2, random_state=0, stratify=y)


def make(
    x_train: np.ndarray,
    y_train: np.ndarray | None,
    x_val: np.ndarray,
    y_val: np.ndarray | None,
    name: str,
    raw: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None,
    targets: tuple[np.ndarray, np.ndarray] | None = None,
    names: tuple[str, ...] | None = None,
) -> Dataset:
    """A Dataset from validated arrays in the user's units (any numeric dtype)."""
    scaling = fit_scaling(x_train, x_val)
    row_shape = tuple(int(s) for s in x_train.shape[1:])
    user_tr = np.ascontiguousarray(x_train.reshape(len(x_train), -1), dtype=np.float32)
    user_va = np.ascontiguousarray(x_val.reshape(len(x_val), -1), dtype=np.float32)
    tr = user_tr if scaling.kind == "none" else np.ascontiguousarray(scaling.to_model(user_tr))
    va = user_va if scaling.kind == "none" else np.ascontiguousarray(scaling.to_model(user_va))
    ds = Dataset(
        name=name,
        x_train=user_tr,
        x_val=user_va,
        model_train=tr,
        model_val=va,
        y_train=y_train,
        y_val=y_val,
        row_shape=row_shape,
        unit_interval=scaling.unit_interval,
        scaling=scaling,
        raw=raw,
        t_train=None if targets is None else targets[0],
        t_val=None if targets is None else targets[1],
        max_abs=float(np.max(np.abs(tr))) if tr.size else 0.0,
        class_names=names,
    )
    return ds


def from_arrays(x: Any, labels: Any = None, name: str = "array", seed: int = SPLIT_SEED) -> Dataset:
    """Validate user data ``(n, d)`` or ``(n, h, w[, c])`` and split it 80/20 (stratified by labels)."""
    arr = as_numeric_array(x, "data")
    check_rows(arr, "data", 4)
    n = arr.shape[0]
    t = real_targets(labels, n)
    given = None if labels is None or t is not None else label_array(labels, n)
    y = None if given is None else class_ids(given)
    idx_train, idx_val = split(n, y, seed)
    return make(
        arr[idx_train],
        None if y is None else y[idx_train],
        arr[idx_val],
        None if y is None else y[idx_val],
        name,
        raw=lambda: (arr[idx_train], arr[idx_val]),
        targets=None if t is None else (t[idx_train], t[idx_val]),
        names=None if given is None else class_names(given),
    )


def from_split(
    x_train: Any, y_train: Any = None, x_test: Any = None, y_test: Any = None, name: str = "array"
) -> Dataset:
    """User data already split: the test rows become the validation split (no second split)."""
    xt = as_numeric_array(x_train, "x_train")
    check_rows(xt, "x_train", 3)
    xv = as_numeric_array(x_test, "x_test")
    check_rows(xv, "x_test", 1)
    if xv.shape[1:] != xt.shape[1:]:
        raise ValueError(
            f"x_test has rows shaped {xv.shape[1:]} but x_train's are shaped {xt.shape[1:]}: they must match"
        )
    if (y_train is None) != (y_test is None):
        raise ValueError("labels must be given for both x_train and x_test, or for neither")
    yt = yv = None
    tt, tv = real_targets(y_train, len(xt), "y_train"), real_targets(y_test, len(xv), "y_test")
    if (tt is None) != (tv is None) and y_train is not None:
        raise ValueError(
            "y_train and y_test must both be class ids (whole numbers or names) or both real-valued targets; "
            f"got {'real values' if tt is not None else 'class ids'} in y_train and "
            f"{'real values' if tv is not None else 'class ids'} in y_test"
        )
    if tt is not None:
        if tt.shape[1:] != tv.shape[1:]:
            raise ValueError(f"y_train's targets are shaped {tt.shape[1:]} but y_test's {tv.shape[1:]}: they must match")
        return make(xt, None, xv, None, name, raw=lambda: (xt, xv), targets=(tt, tv))
    if y_train is not None:
        lt = label_array(y_train, len(xt), "y_train")
        lv = label_array(y_test, len(xv), "y_test")
        try:
            joined = np.concatenate([lt, lv])
        except Exception as exc:
            raise TypeError(f"y_train and y_test must hold the same kind of class ids ({exc})") from exc
        ids = class_ids(joined, "labels")
        yt, yv = ids[: len(lt)], ids[len(lt) :]
        return make(xt, yt, xv, yv, name, raw=lambda: (xt, xv), names=class_names(joined))
    return make(xt, yt, xv, yv, name, raw=lambda: (xt, xv))


def split(n: int, y: np.ndarray | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    idx = np.arange(n)
    n_val = max(1, int(math.ceil(VALIDATION_FRACTION * n)))
    stratify = None
    if y is not None:
        _, counts = np.unique(y, return_counts=True)
        if counts.min() >= 2 and len(counts) <= n_val:
            stratify = y
    tr, va = train_test_split(idx, test_size=VALIDATION_FRACTION, random_state=seed, stratify=stratify)
    return np.sort(tr), np.sort(va)
