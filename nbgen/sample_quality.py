"""The sample-quality metrics researchers compare models with, on features of a network of ours.

- **FID** (Heusel et al., 2017): the Fréchet distance between Gaussians fitted to the features
  of real and generated images.
- **KID** (Bińkowski et al., 2018): the unbiased estimate of the squared MMD with the cubic
  polynomial kernel ``k(x, y) = (x.y / d + 1) ** 3``, averaged over random subsets.
- **precision / recall** (Kynkäänniemi et al., 2019): the share of generated samples inside the
  real data's k-nearest-neighbour manifold (k = 3), and of real ones inside the generated one:
  sharpness and diversity apart.
- **density / coverage** (Naeem et al., 2020, k = 5): how many real neighbourhoods hold each
  sample on average, and the share of real neighbourhoods that hold at least one sample.
- For 2-D data, **KL and JS divergences** (nats) between density estimates of real and generated
  points on a 64 x 64 grid over both sets' range (GAN Lab's divergence chart).

Features: for ``digits`` and ``mnist5k``, the 64 penultimate activations of a small MLP
classifier trained on the training split by ``benchmarks/train_feature_net.py`` and shipped in
``nbgen/features/`` (float16, evaluated with NumPy; held-out accuracy in the file, printed by
:func:`feature_accuracy`: 0.975 on digits, 0.945 on mnist5k). These are not
Inception features: the figures compare runs measured with the same files, not published FIDs.

Every metric comes with its **floor**: the same metric between the training rows and the
held-out rows, real against real (what a perfect model would score at this sample size).
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

FEATURE_DATA = ("digits", "mnist5k")
FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "features")


# -- features -------------------------------------------------------------------------------------
def features_and_logits(weights: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The MLP's penultimate activations and its logits for rows ``x`` (n, features) in [0, 1]."""
    h = np.asarray(x, np.float32)
    n_layers = len([k for k in weights if k.startswith("w")])
    feats = h
    for i in range(n_layers):
        h = h @ np.asarray(weights[f"w{i}"], np.float32) + np.asarray(weights[f"b{i}"], np.float32)
        if i < n_layers - 1:
            h = np.maximum(h, 0.0)
            feats = h
    return feats, h


@functools.cache
def _network(data: str) -> dict[str, np.ndarray]:
    if data not in FEATURE_DATA:
        raise ValueError(f"data={data!r} has no feature network; the standard metrics read {', '.join(FEATURE_DATA)}")
    path = os.path.join(FOLDER, f"{data}.npz")
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def feature_accuracy(data: str) -> float:
    """The feature network's accuracy on the held-out split, measured when it was trained."""
    return float(_network(data)["accuracy"])


def features(x: np.ndarray, data: str) -> np.ndarray:
    """Features (n, 64) of rows ``x`` (n, features) in model units ([0, 1] pixels)."""
    weights = {k: v for k, v in _network(data).items() if k != "accuracy"}
    return features_and_logits(weights, np.asarray(x, np.float32).reshape(len(x), -1))[0].astype(np.float64)


# -- the metrics -------------------------------------------------------------------------------
def _sqrt_psd(c: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh(c)
    return (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T


def fid(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to feature sets ``a`` and ``b`` (n, d):
    ``|mu_a - mu_b|^2 + tr(C_a + C_b - 2 (C_a^1/2 C_b C_a^1/2)^1/2)``."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    s = _sqrt_psd(ca)
    cross = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(s @ cb @ s), 0.0, None)))
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(ca) + np.trace(cb) - 2.0 * cross)


def _mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]
    kxx, kyy, kxy = (x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3
    m, n = len(x), len(y)
    xx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    yy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(xx + yy - 2.0 * kxy.mean())


def kid(a: np.ndarray, b: np.ndarray, subsets: int = 10, subset_size: int = 1000, seed: int = 0) -> float:
    """KID: the unbiased squared MMD (cubic polynomial kernel) between feature sets, averaged
    over ``subsets`` random subsets of ``subset_size`` rows of each (all rows when fewer)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    m = min(subset_size, len(a), len(b))
    if m < 2:
        raise ValueError(f"KID needs at least 2 rows in each set, got {len(a)} and {len(b)}")
    rng = np.random.default_rng(seed)
    runs = 1 if m == len(a) == len(b) else subsets
    vals = [
        _mmd2_unbiased(a[rng.choice(len(a), m, replace=False)], b[rng.choice(len(b), m, replace=False)])
        for _ in range(runs)
    ]
    return float(np.mean(vals))


def _kth_distances(x: np.ndarray, k: int) -> np.ndarray:
    """Each row's distance to its k-th nearest other row."""
    d = np.sqrt(np.maximum(_sq_dist(x, x), 0.0))
    return np.sort(d, axis=1)[:, k]  # column 0 is the row itself


def _sq_dist(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x * x).sum(1)[:, None] + (y * y).sum(1)[None] - 2.0 * x @ y.T


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Precision: the share of ``fake`` rows within the k-NN radius of some ``real`` row;
    recall: the share of ``real`` rows within the k-NN radius of some ``fake`` row."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    r_real, r_fake = _kth_distances(real, k), _kth_distances(fake, k)
    d = np.sqrt(np.maximum(_sq_dist(fake, real), 0.0))  # (fake, real)
    precision = float(np.mean((d <= r_real[None]).any(1)))
    recall = float(np.mean((d <= r_fake[:, None]).any(0)))
    return precision, recall


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = 5) -> tuple[float, float]:
    """Density: how many real k-NN balls hold each fake row, on average, over k (1 when fakes
    are spread like the reals); coverage: the share of real balls that hold some fake row."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    radius = _kth_distances(real, k)
    inside = np.sqrt(np.maximum(_sq_dist(fake, real), 0.0)) <= radius[None]  # (fake, real)
    return float(inside.sum() / (k * len(fake))), float(inside.any(0).mean())


def kl_js_2d(real: np.ndarray, fake: np.ndarray, bins: int = 64) -> tuple[float, float]:
    """KL(real || fake) and JS divergences (nats) between histograms of 2-D points on a
    ``bins`` x ``bins`` grid over both sets' range (widened by 10%), each smoothed by a Gaussian
    of 1.5 cells (a kernel density estimate); a small floor keeps KL finite."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    both = np.concatenate([real, fake])
    lo, hi = both.min(0), both.max(0)
    pad = 0.1 * (hi - lo) + 1e-9
    edges = [np.linspace(lo[i] - pad[i], hi[i] + pad[i], bins + 1) for i in range(2)]
    from scipy.ndimage import gaussian_filter

    # a density estimate on the grid (histograms smoothed by a 1.5-cell Gaussian: a KDE), so that
    # two samples of one distribution score near 0 rather than the noise of their empty cells
    p = gaussian_filter(np.histogram2d(real[:, 0], real[:, 1], bins=edges)[0], 1.5).ravel() + 1e-6
    q = gaussian_filter(np.histogram2d(fake[:, 0], fake[:, 1], bins=edges)[0], 1.5).ravel() + 1e-6
    p, q = p / p.sum(), q / q.sum()
    mix = 0.5 * (p + q)
    kl = float(np.sum(p * np.log(p / q)))
    js = float(0.5 * np.sum(p * np.log(p / mix)) + 0.5 * np.sum(q * np.log(q / mix)))
    return kl, js


def _image_metrics(real: np.ndarray, fake: np.ndarray, seed: int) -> dict[str, float]:
    # the manifold metrics compare sets of one size (their k-NN radii shrink with the count)
    same = fake[np.sort(np.random.default_rng(seed).choice(len(fake), min(len(fake), len(real)), replace=False))]
    precision, recall = precision_recall(real, same)
    density, coverage = density_coverage(real, same)
    return {
        "fid": fid(real, fake),
        "kid": kid(real, fake, seed=seed),
        "precision": precision,
        "recall": recall,
        "density": density,
        "coverage": coverage,
    }


def standard(session: Any, samples: np.ndarray, seed: int = 0, n: int = 2500) -> dict[str, float]:
    """The standard metrics of ``samples`` (rows in the data's units) against the held-out
    rows, each with its floor (``<name>_floor``: training rows against held-out rows)."""
    ds = session.dataset
    rng = np.random.default_rng(seed)
    val = np.asarray(ds.model_val)[:n]
    train = ds.train_sample()
    # the value and its floor from sets of one size (FID and the k-NN metrics move with it)
    size = min(n, len(samples), len(train))
    fake = ds.flatten(samples)[:size]
    train = train[np.sort(rng.choice(len(train), size, replace=False))]
    out: dict[str, float] = {}
    if ds.features == 2 and not ds.is_image:
        kl, js = kl_js_2d(val, fake)
        kl0, js0 = kl_js_2d(val, train)
        return {"kl": kl, "js": js, "kl_floor": kl0, "js_floor": js0}
    if ds.name not in FEATURE_DATA:
        return out
    f_val, f_fake, f_train = features(val, ds.name), features(fake, ds.name), features(train, ds.name)
    out.update(_image_metrics(f_val, f_fake, seed))
    out.update({f"{k}_floor": v for k, v in _image_metrics(f_val, f_train, seed).items()})
    return out


LIVE_SAMPLES = 500  # samples of the live FID curve (nbgen.frames; its cost: benchmarks/live_fid.py)


def live_reference(session: Any, n: int = LIVE_SAMPLES) -> tuple[np.ndarray, float] | None:
    """For the live FID curve: the held-out rows' features and the floor (the FID of ``n``
    training rows against them, as a run's samples are measured); None when the data has no
    feature network (the curve is drawn for the digits and mnist5k only)."""
    ds = session.dataset
    if not ds.is_image or ds.name not in FEATURE_DATA:
        return None
    real = features(np.asarray(ds.model_val)[:2500], ds.name)
    train = ds.train_sample()
    train = train[np.sort(np.random.default_rng(0).choice(len(train), min(n, len(train)), replace=False))]
    return real, fid(real, features(train, ds.name))


def live_fid(session: Any, real: np.ndarray, samples: np.ndarray) -> float:
    """The FID of ``samples`` (rows in the data's units) against the held-out features ``real``."""
    ds = session.dataset
    return fid(real, features(ds.flatten(samples), ds.name))


__all__ = [
    "density_coverage",
    "feature_accuracy",
    "features",
    "fid",
    "kid",
    "kl_js_2d",
    "precision_recall",
    "standard",
]
