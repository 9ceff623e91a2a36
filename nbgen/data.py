"""Named data sets and validation of user arrays.

Every data source ends up as a :class:`Dataset`: float32 rows flattened to
``(n, features)``, a train/validation split, optional integer labels, and the
shape of one row so that outputs can be given back in the user's shape.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NAMED = ("digits", "moons", "ring", "grid", "mnist", "fashion_mnist")
VALIDATION_FRACTION = 0.2
SPLIT_SEED = 0  # the split of anchors.md: test_size=0.2, random_state=0, stratify=y


@dataclass
class Dataset:
    """A validated data set, ready for training.

    Attributes:
        name: the data set's name, or ``"array"`` for user data.
        x_train, x_val: float32 arrays ``(n, features)``.
        y_train, y_val: int labels or ``None``.
        row_shape: the shape of one row as the user gave it (``(8, 8)`` for digits).
        unit_interval: True when every value lies in [0, 1] (Bernoulli decoder,
            sigmoid outputs); False for real-valued data (Gaussian decoder).
        modes: for the 2-D mixtures, the centres of the Gaussians.
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

    @property
    def features(self) -> int:
        return int(np.prod(self.row_shape))

    def train_sample(self, n: int = 10_000) -> np.ndarray:
        """Up to ``n`` training rows in memory (all of them unless the data streams)."""
        if not self.streaming or len(self.x_train) <= n:
            return np.asarray(self.x_train[np.arange(len(self.x_train))]) if self.streaming else self.x_train
        idx = np.sort(np.random.default_rng(0).choice(len(self.x_train), n, replace=False))
        return self.x_train[idx]

    @property
    def is_image(self) -> bool:
        return len(self.row_shape) >= 2

    @property
    def has_labels(self) -> bool:
        return self.y_train is not None

    def to_rows(self, flat: np.ndarray) -> np.ndarray:
        """Reshape flat model outputs ``(n, features)`` to the user's row shape."""
        flat = np.asarray(flat)
        return flat.reshape((flat.shape[0], *self.row_shape))

    def flatten(self, x: Any, name: str = "x") -> np.ndarray:
        """Validate user rows (shaped like the data's rows) and flatten them."""
        arr = _as_float_array(x, name)
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
        return arr.reshape(arr.shape[0], -1).astype(np.float32)


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


def _as_float_array(x: Any, name: str) -> np.ndarray:
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__} {x!r}")
    try:
        arr = np.asarray(x)
    except Exception as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)):
        raise TypeError(f"{name} must hold numbers, got an array of dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float32)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension, got a scalar")
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} holds {int(bad.sum())} non-finite values (NaN or inf), first at index "
            f"{where}: remove or impute them"
        )
    return arr


def _labels(y: Any, n: int) -> np.ndarray:
    try:
        arr = np.asarray(y)
    except Exception as exc:
        raise TypeError(f"labels must be an array of ints, got {type(y).__name__}") from exc
    if arr.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {arr.shape}")
    if len(arr) != n:
        raise ValueError(f"labels has {len(arr)} entries but the data has {n} rows: they must match")
    if not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            # any hashable class names become ints in sorted order
            try:
                _, arr = np.unique(arr, return_inverse=True)
            except Exception as exc:
                raise TypeError(f"labels must be class ids, got dtype {arr.dtype}") from exc
    return arr.astype(np.int64)


def from_arrays(x: Any, labels: Any = None, name: str = "array", seed: int = SPLIT_SEED) -> Dataset:
    """Validate user data ``(n, d)`` or ``(n, h, w[, c])`` and split it 80/20."""
    arr = _as_float_array(x, "data")
    if arr.ndim not in (2, 3, 4):
        raise ValueError(
            f"data must be an array shaped (n, d) or (n, h, w[, c]), got {arr.ndim} dimension(s) with shape {arr.shape}"
        )
    n = arr.shape[0]
    if n == 0 or arr[0].size == 0:
        raise ValueError(f"data is empty (shape {arr.shape}): it needs rows and features")
    if n < 4:
        raise ValueError(f"data has {n} rows: nbgen needs at least 4 (3 to train, 1 to validate)")
    y = None if labels is None else _labels(labels, n)
    row_shape = tuple(int(s) for s in arr.shape[1:])
    flat = arr.reshape(n, -1)
    unit = bool(flat.min() >= 0.0 and flat.max() <= 1.0)
    idx_train, idx_val = _split(n, y, seed)
    return Dataset(
        name=name,
        x_train=np.ascontiguousarray(flat[idx_train]),
        x_val=np.ascontiguousarray(flat[idx_val]),
        y_train=None if y is None else y[idx_train],
        y_val=None if y is None else y[idx_val],
        row_shape=row_shape,
        unit_interval=unit,
    )


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
    ):
        self.source = source
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
        return out

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


def _is_streamable(data: Any) -> bool:
    if isinstance(data, np.memmap):
        return True
    return (
        not isinstance(data, (np.ndarray, list, tuple, str, bytes))
        and hasattr(data, "__len__")
        and hasattr(data, "__getitem__")
        and not hasattr(data, "__array_interface__")
    )


def from_source(source: Any, name: str = "array", seed: int = SPLIT_SEED) -> Dataset:
    """A data set streamed from an array-like with ``__len__`` and ``__getitem__``.

    Validation reads a sample of rows (up to 4,096 spread over the source) before
    training; the engine also checks every batch it reads for NaN or inf.
    """
    n = len(source)
    if n < 4:
        raise ValueError(f"data has {n} rows: nbgen needs at least 4 (3 to train, 1 to validate)")
    probe_idx = np.unique(np.linspace(0, n - 1, min(n, 4096)).astype(np.int64))
    first = np.asarray(source[0])
    row_shape = tuple(int(s) for s in first.shape)
    if not 1 <= len(row_shape) <= 3:
        raise ValueError(f"data must be an array shaped (n, d) or (n, h, w[, c]), got rows of shape {row_shape}")
    if not (np.issubdtype(first.dtype, np.number) or np.issubdtype(first.dtype, np.bool_)):
        raise TypeError(f"data must hold numbers, got rows of dtype {first.dtype}")
    sample = RowSource(source, row_shape, indices=probe_idx)[np.arange(len(probe_idx))]
    bad = ~np.isfinite(sample)
    if bad.any():
        raise ValueError(
            f"data row {int(probe_idx[np.argwhere(bad)[0][0]])} holds NaN or inf (found in a sample of "
            f"{len(probe_idx)} rows read before training): remove or impute it"
        )
    unit = bool(sample.min() >= 0.0 and sample.max() <= 1.0)
    n_val = min(max(1, int(math.ceil(VALIDATION_FRACTION * n))), 10_000)
    val_idx = np.sort(np.random.default_rng(seed).choice(n, n_val, replace=False))
    return Dataset(
        name=name,
        x_train=RowSource(source, row_shape, excluded=val_idx, total=n),  # type: ignore[arg-type]
        x_val=RowSource(source, row_shape, indices=val_idx)[np.arange(n_val)],
        y_train=None,
        y_val=None,
        row_shape=row_shape,
        unit_interval=unit,
        streaming=True,
    )


def load(data: Any = "digits", *, n: int | None = None, path: str | None = None) -> Dataset:
    """Turn ``data`` into a :class:`Dataset`.

    Args:
        data: a name (``"digits"``, ``"moons"``, ``"ring"``, ``"grid"``, ``"mnist"``,
            ``"fashion_mnist"``), a NumPy array ``(n, d)`` or ``(n, h, w[, c])``, a tuple
            ``(x, labels)``, a :class:`Dataset`, or an array-like too large for memory
            (``np.load(path, mmap_mode="r")``, an h5py dataset...), which is streamed.
        n: number of points to generate for ``moons``, ``ring`` and ``grid``.
        path: a local ``.npz`` file for ``mnist`` / ``fashion_mnist``.

    Example:
        >>> ds = load("digits")
        >>> ds.x_train.shape, ds.row_shape
        ((1437, 64), (8, 8))
    """
    if isinstance(data, Dataset):
        return data
    if isinstance(data, str):
        key = data.lower().replace("-", "_")
        if key not in NAMED:
            raise ValueError(
                f"data={data!r} is not a known data set; choose one of {', '.join(NAMED)}, or pass a NumPy array"
            )
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 4):
            raise ValueError(f"n must be an int >= 4, got {n!r}")
        if key == "digits":
            x, y = _digits()
            ds = from_arrays(x, y, name="digits")
        elif key == "moons":
            x, y = _moons(n or 4000, 0)
            ds = from_arrays(x, y, name="moons")
        elif key in ("ring", "grid"):
            x, y = _mixture(key, n or 20000, 0)
            ds = from_arrays(x, y, name=key)
            ds.modes, ds.mode_std = mixture_centres(key)
        else:
            x, y = load_keras_dataset(key, path)
            ds = from_arrays(x, y, name=key)
        return ds
    if isinstance(data, tuple):
        if len(data) != 2:
            raise ValueError(f"data as a tuple must be (x, labels), got a tuple of {len(data)} items")
        return from_arrays(data[0], data[1])
    if _is_streamable(data):
        return from_source(data)
    if isinstance(data, (list, np.ndarray)) or hasattr(data, "__array__"):
        return from_arrays(data)
    raise TypeError(
        f"data must be a data set name ({', '.join(NAMED)}), a NumPy array or a tuple "
        f"(x, labels), got {type(data).__name__}"
    )
