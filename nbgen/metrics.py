"""Quality measures: PCA baseline, VAE bounds, GAN mode coverage, digit class coverage.

All functions take plain NumPy arrays (or a Session for ``evaluate``) and return
floats or dicts of floats, so that notebooks and benchmarks can print and
assert them.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .session import Session

N_SAMPLES = 2500  # the published protocol draws 2,500 samples
BALANCED_SHARE = 0.2  # a mode counts under the balanced rule with >= 20% of its fair share


def pca_mse(x_train: np.ndarray, x_test: np.ndarray, n_components: int) -> float:
    """Held-out reconstruction MSE of PCA with ``n_components`` (the linear limit)."""
    from sklearn.decomposition import PCA

    k = int(min(n_components, x_train.shape[1], x_train.shape[0]))
    pca = PCA(n_components=k, random_state=0).fit(x_train)
    rec = pca.inverse_transform(pca.transform(x_test))
    return float(np.mean((x_test - rec) ** 2))


def mode_coverage(samples: np.ndarray, centres: np.ndarray, std: float) -> dict[str, float]:
    """Mode coverage of 2-D samples against a Gaussian mixture (VEEGAN/PacGAN protocol).

    A sample is high quality (HQ) when it lies within 3 std of its nearest centre;
    a mode is covered when at least one HQ sample lands on it. Under the stricter
    balanced rule a mode counts only when it receives at least 20% of its fair
    share of the samples.

    Example:
        >>> c = np.array([[0.0, 0.0], [1.0, 0.0]])
        >>> mode_coverage(np.array([[0.0, 0.01], [5.0, 5.0]]), c, 0.02)["modes"]
        1
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)
    d = np.linalg.norm(samples[:, None, :] - centres[None], axis=-1)
    nearest = d.argmin(1)
    hq = d[np.arange(len(samples)), nearest] <= 3 * std
    counts = np.bincount(nearest[hq], minlength=len(centres))
    fair = len(samples) / len(centres)
    return {
        "hq_fraction": float(hq.mean()),
        "modes": int((counts > 0).sum()),
        "balanced_modes": int((counts >= BALANCED_SHARE * fair).sum()),
        "n_modes": len(centres),
    }


@functools.lru_cache(maxsize=1)
def digits_classifier():
    """An SVM trained on the digits training split (held-out accuracy ~0.99)."""
    from sklearn.svm import SVC

    from .data import load

    ds = load("digits")
    clf = SVC(gamma=0.02, C=10.0).fit(ds.x_train, ds.y_train)
    clf.held_out_accuracy_ = float((clf.predict(ds.x_val) == ds.y_val).mean())
    return clf


def class_coverage(samples: np.ndarray) -> dict[str, Any]:
    """Classes of 8x8 digit samples as judged by :func:`digits_classifier`.

    Returns the number of classes seen at all, the number with at least 20% of their
    fair share (balanced), and the per-class counts.
    """
    flat = np.asarray(samples, dtype=np.float32).reshape(len(samples), -1)
    if flat.shape[1] != 64:
        raise ValueError(f"class_coverage needs 8x8 digit samples, got rows of {flat.shape[1]} values")
    pred = digits_classifier().predict(flat)
    counts = np.bincount(pred, minlength=10)
    fair = len(flat) / 10
    return {
        "classes": int((counts > 0).sum()),
        "balanced_classes": int((counts >= BALANCED_SHARE * fair).sum()),
        "class_counts": counts.tolist(),
    }


def evaluate(
    session: Session, x: Any = None, *, k: int = 100, n_samples: int = N_SAMPLES, seed: int = 0
) -> dict[str, Any]:
    """Metrics of a session on held-out rows ``x`` (default: its validation split).

    - autoencoder: ``mse``, ``pca_mse`` (PCA at the same latent size), ``mse_vs_pca``;
    - vae: the same, plus ``neg_elbo`` and ``iw_bound`` (importance-sampled bound on
      -log p(x), k samples per row; nats per row), ``kl``;
    - gan / vae samples: on ``ring``/``grid``: ``hq_fraction``, ``modes``,
      ``balanced_modes``; on ``digits``: ``classes``, ``balanced_classes``.
    """
    import jax

    from . import _config

    k = _config._int("k", k, 1, 100_000)
    n_samples = _config._int("n_samples", n_samples, 1, 10_000_000)
    ds = session.dataset
    xf = ds.model_val if x is None else ds.flatten(x)  # model units (see nbgen.data.Scaling)
    out: dict[str, Any] = {}
    model = session.generative_model
    if model.can("reconstruct"):
        rec = ds.flatten(session.reconstruct(ds.to_rows(xf)))
        out["mse"] = float(np.mean((xf - rec) ** 2))
        out["pca_mse"] = pca_mse(ds.train_sample(), xf, session.hyperparameters["latent_dim"])
        out["mse_vs_pca"] = out["mse"] / out["pca_mse"] if out["pca_mse"] > 0 else float("nan")
    if model.can("likelihood"):
        params = session.engine.state["params"]
        fn = model.jitted("importance_bound", static_argnums=3)  # compiled once per model, not per call
        elbo, iw = [], []
        for i in range(0, len(xf), 256):  # batches keep k x n x d small
            e, w = fn(params, xf[i : i + 256], jax.random.key(seed + i), k)
            elbo.append(np.asarray(e))
            iw.append(np.asarray(w))
        out["neg_elbo"] = float(np.concatenate(elbo).mean())
        out["iw_bound"] = float(np.concatenate(iw).mean())
        out["k"] = k
    if model.can("sample"):
        samples = session.sample(n_samples, seed=seed)
        if ds.modes is not None:
            out.update(mode_coverage(samples, ds.modes, ds.mode_std))
        elif ds.name == "digits":
            cov = class_coverage(samples)
            out["classes"] = cov["classes"]
            out["balanced_classes"] = cov["balanced_classes"]
    return out
