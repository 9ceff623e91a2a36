"""Data: every input form a user holds becomes a :class:`Dataset`.

One module per input form (as Keras's data adapters are), and :func:`load`, the dispatcher:

- ``named``: the named sets (digits, mnist5k, moons, ring, grid, MNIST through keras.datasets);
- ``arrays``: arrays in memory, split 80/20 here or already split by the user;
- ``tuples``: ``(x, labels)``, ``(x_train, x_test)``, keras.datasets' nested pairs;
- ``files``: ``.npy`` and ``.npz`` files;
- ``streaming``: array-likes too large for memory, read batch by batch;
- ``validate`` checks what users pass; ``scaling`` maps the user's units to the model's.

Every data source ends up as a :class:`Dataset`: float32 rows flattened to
``(n, features)``, a train/validation split, optional integer labels, and the
shape of one row so that outputs can be given back in the user's shape.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .arrays import SPLIT_SEED, VALIDATION_FRACTION, from_arrays, from_split
from .dataset import Dataset
from .files import from_file
from .named import NAMED, load_keras_dataset, mixture_centres, named
from .scaling import Scaling
from .streaming import RowSource, ShuffledBatches, feistel_shuffle, from_source, is_streamable
from .tuples import from_tuple
from .validate import frame_to_array, is_dataframe

__all__ = [
    "NAMED",
    "SPLIT_SEED",
    "VALIDATION_FRACTION",
    "Dataset",
    "RowSource",
    "Scaling",
    "ShuffledBatches",
    "feistel_shuffle",
    "from_arrays",
    "from_source",
    "from_split",
    "load",
    "load_keras_dataset",
    "mixture_centres",
]


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
            return named(key, n, path)
        if data.lower().endswith((".npy", ".npz")) or os.path.isfile(data):
            if not data.lower().endswith((".npy", ".npz")):
                raise ValueError(f"data={data!r} is a file, but nbgen reads only .npy and .npz files")
            return from_file(data, data)
        raise ValueError(
            f"data={data!r} is not a known data set; choose one of {', '.join(NAMED)}, or pass a NumPy array "
            "or a path to a .npy or .npz file"
        )
    if isinstance(data, tuple):
        return from_tuple(data)
    if is_dataframe(data):
        return from_arrays(frame_to_array(data))
    if is_streamable(data):
        return from_source(data)
    if isinstance(data, (list, np.ndarray)) or hasattr(data, "__array__"):
        return from_arrays(data)
    raise TypeError(
        f"data must be a data set name ({', '.join(NAMED)}), a path to a .npy or .npz file, an array "
        f"or a tuple (x, labels), got {type(data).__name__}"
    )
