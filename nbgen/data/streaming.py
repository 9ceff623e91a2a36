"""Array-likes too large for memory (a memmap, h5py, zarr...): rows read from disk batch by batch."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .arrays import SPLIT_SEED, VALIDATION_FRACTION
from .dataset import Dataset
from .scaling import Scaling
from .validate import check_real_dtype


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


def module_of(obj: Any) -> str:
    return type(obj).__module__.split(".")[0]


def is_streamable(data: Any) -> bool:
    """Array-likes that stay on disk: a memmap, an h5py or zarr array, or any object with
    ``__len__`` and ``__getitem__`` that NumPy cannot take whole (no ``__array__``)."""
    if isinstance(data, np.memmap):
        return True
    if module_of(data) in ("h5py", "zarr"):
        return True
    return (
        not isinstance(data, (np.ndarray, list, tuple, str, bytes))
        and hasattr(data, "__len__")
        and hasattr(data, "__getitem__")
        and not hasattr(data, "__array_interface__")
        and not hasattr(data, "__array__")
    )


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
    check_real_dtype(first.dtype, "data", "rows")
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
    return Dataset(
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
        max_abs=float(np.max(np.abs(scaling.to_model(sample)))),
        source=source,
    )
