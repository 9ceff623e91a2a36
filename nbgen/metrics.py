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


MIN_CLASS_SHARE = 0.05  # "covers a class": at least 5% of the samples (issue targets)


@functools.lru_cache(maxsize=2)
def classifier(name: str = "digits"):
    """A classifier trained on the training split of a labelled image set, in model units.

    ``digits``: an SVM (held-out accuracy ~0.99), with class probabilities.
    ``mnist5k``: logistic regression on the pixels (held-out accuracy ~0.90: benchmarks/quality.py --only real-mnist5k):
    good enough to tell which digit a sample looks like, not a perfect judge.
    ``held_out_accuracy_`` holds its accuracy on the validation split.
    """
    from .data import load

    ds = load(name)
    x, y = np.asarray(ds.model_train, np.float32), ds.y_train
    if name == "digits":
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import SVC

        clf = CalibratedClassifierCV(SVC(gamma=0.02, C=10.0), ensemble=False).fit(x, y)
    elif name == "mnist5k":
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(max_iter=1000).fit(x, y)
    else:
        raise ValueError(f"no sample classifier for data={name!r}; there are classifiers for 'digits' and 'mnist5k'")
    clf.held_out_accuracy_ = float((clf.predict(np.asarray(ds.model_val, np.float32)) == ds.y_val).mean())
    return clf


def digits_classifier():
    """The digits classifier (see :func:`classifier`)."""
    return classifier("digits")


CLASSIFIED = ("digits", "mnist5k")  # data sets whose samples evaluate() classifies


def class_coverage(samples: np.ndarray, data: str = "digits") -> dict[str, Any]:
    """Which classes samples of ``data`` (``"digits"`` or ``"mnist5k"``) look like.

    ``samples`` are in the model's units (for both sets: pixels in [0, 1]). Returns the
    number of classes seen at all, the number with at least 20% of their fair share
    (balanced), the smallest class share, the classifier's mean top probability
    (``confidence``: sharp digits score high, blends of two low) and the per-class counts.
    """
    from .data import load

    features = load(data).features
    flat = np.asarray(samples, dtype=np.float32).reshape(len(samples), -1)
    if flat.shape[1] != features:
        raise ValueError(f"class_coverage for {data} needs rows of {features} values, got {flat.shape[1]}")
    proba = classifier(data).predict_proba(flat)
    pred = proba.argmax(1)
    counts = np.bincount(pred, minlength=10)
    fair = len(flat) / 10
    return {
        "classes": int((counts > 0).sum()),
        "balanced_classes": int((counts >= BALANCED_SHARE * fair).sum()),
        "classes_5pct": int((counts >= MIN_CLASS_SHARE * len(flat)).sum()),
        "min_class_share": float(counts.min() / len(flat)),
        "confidence": float(proba.max(1).mean()),
        "class_counts": counts.tolist(),
    }


def code_purity(session: Session, per_value: int = 250, seed: int = 0) -> float:
    """How far a GAN's categorical code (``code_classes``) picks the class, unsupervised: for each
    code value, the share of ``per_value`` samples in their most common class (the data's
    classifier), averaged over the values. 1.0: each value draws one class (also when the
    generator collapsed to one class: read it beside ``classes_5pct``, as ``evaluate()`` reports both)."""
    ds = session.dataset
    shares = []
    for c in range(session.hyperparameters["code_classes"]):
        x = ds.flatten(session.sample(per_value, seed=seed + c, code=c))
        counts = class_coverage(x, ds.name)["class_counts"]
        shares.append(max(counts) / per_value)
    return float(np.mean(shares))


def label_accuracy(session: Session, per_class: int = 1000, seed: int = 0, **options: Any) -> dict[str, Any]:
    """How well a conditional model draws the class it is asked for (``digits``, ``mnist5k``).

    For each class k, ``per_class`` samples drawn with ``label=k`` (seed ``seed + k``) are
    classified by :func:`classifier` in the model's units. Returns ``label_accuracy`` (the
    share classified as k, averaged over the classes), ``worst_label_accuracy``,
    ``per_class`` and ``within_class_distance``: the mean distance between two samples of one
    class (the first 200 of each, model units), a measure of variety that guidance or a
    sharper model may trade away. ``options`` go to ``session.sample`` (``guidance=4.0``).
    """
    from . import _config

    per_class = _config.check_int("per_class", per_class, 2, 1_000_000)
    model, ds = session.generative_model, session.dataset
    if not model.conditional:
        raise ValueError("label_accuracy needs a conditional model: train it with conditional=True")
    if ds.name not in CLASSIFIED:
        raise ValueError(f"label_accuracy needs data with a classifier ({', '.join(CLASSIFIED)}), got data={ds.name!r}")
    clf = classifier(ds.name)
    acc, spread = [], []
    for k in range(model.n_classes):
        x = ds.flatten(session.sample(per_class, seed=seed + k, label=k, **options))  # model units, as clf was trained
        acc.append(float((clf.predict(x) == k).mean()))
        sub = x[:200].astype(np.float64)
        sq = (sub**2).sum(1)
        d2 = np.maximum(sq[:, None] + sq[None] - 2.0 * sub @ sub.T, 0.0)  # squared distances, no n x n x d array
        np.fill_diagonal(d2, 0.0)
        spread.append(float(np.sqrt(d2).sum() / (len(sub) * (len(sub) - 1))))
    return {
        "label_accuracy": float(np.mean(acc)),
        "worst_label_accuracy": float(min(acc)),
        "per_class": acc,
        "within_class_distance": float(np.mean(spread)),
    }


def evaluate(
    session: Session, x: Any = None, *, k: int = 100, n_samples: int = N_SAMPLES, seed: int = 0
) -> dict[str, Any]:
    """Metrics of a session on held-out rows ``x`` (default: its validation split).

    - autoencoder: ``mse``, ``pca_mse`` (PCA at the same latent size), ``mse_vs_pca``;
    - vae: the same, plus ``neg_elbo`` and ``iw_bound`` (importance-sampled bound on
      -log p(x), k samples per row; nats per row), ``kl``;
    - gan / vae / diffusion samples: on ``ring``/``grid``: ``hq_fraction``, ``modes``,
      ``balanced_modes``; on ``digits`` and ``mnist5k``: ``classes``, ``balanced_classes``,
      ``classes_5pct`` (classes with >= 5% of the samples), ``min_class_share``,
      ``confidence`` (the classifier's mean top probability), see :func:`class_coverage`;
      for a conditional model also ``label_accuracy``, ``worst_label_accuracy`` and
      ``within_class_distance`` (``n_samples`` spread over the classes), see :func:`label_accuracy`;
      for a GAN with a categorical code also ``code_purity``, see :func:`code_purity`;
    - samples, the standard metrics (:mod:`nbgen.sample_quality`), each with its real-data
      floor (``<name>_floor``): on digits and mnist5k ``fid``, ``kid``, ``precision``,
      ``recall``, ``density``, ``coverage``; on any 2-D data ``kl`` and ``js``.
    """
    import jax

    from . import _config, sample_quality

    k = _config.check_int("k", k, 1, 100_000)
    n_samples = _config.check_int("n_samples", n_samples, 1, 10_000_000)
    ds = session.dataset
    xf = ds.model_val if x is None else ds.flatten(x)  # model units (see nbgen.data.Scaling)
    out: dict[str, Any] = {}
    model = session.generative_model
    labels = None
    if model.conditional and (model.can("reconstruct") or model.can("likelihood")):
        if x is not None:
            raise ValueError("evaluate(x) of a conditional model needs the rows' labels: use evaluate() (the validation split)")
        labels = ds.y_val
    if model.can("reconstruct"):
        rec = ds.flatten(session.reconstruct(ds.to_rows(xf), label=labels))
        out["mse"] = float(np.mean((xf - rec) ** 2))
        out["pca_mse"] = pca_mse(ds.train_sample(), xf, session.hyperparameters["latent_dim"])
        out["mse_vs_pca"] = out["mse"] / out["pca_mse"] if out["pca_mse"] > 0 else float("nan")
    if model.can("likelihood"):
        params = session.run.params
        fn = model.jitted("importance_bound", static_argnums=3)  # compiled once per model, not per call
        elbo, iw = [], []
        for i in range(0, len(xf), 256):  # batches keep k x n x d small
            more = () if labels is None else (model.one_hot(labels[i : i + 256]),)
            e, w = fn(params, xf[i : i + 256], jax.random.key(seed + i), k, *more)
            elbo.append(np.asarray(e))
            iw.append(np.asarray(w))
        out["neg_elbo"] = float(np.concatenate(elbo).mean())
        out["iw_bound"] = float(np.concatenate(iw).mean())
        out["k"] = k
    if model.can("sample"):
        samples = session.sample(n_samples, seed=seed)
        out.update(sample_quality.standard(session, samples, seed=seed))
        if ds.modes is not None:
            out.update(mode_coverage(samples, ds.modes, ds.mode_std))
        elif ds.name in CLASSIFIED:
            cov = class_coverage(ds.flatten(samples), ds.name)
            out.update({k: v for k, v in cov.items() if k != "class_counts"})
            if model.conditional:
                acc = label_accuracy(session, per_class=max(2, n_samples // model.n_classes), seed=seed)
                out.update({k: v for k, v in acc.items() if k != "per_class"})
            if "code" in model.sample_keywords:
                out["code_purity"] = code_purity(session, seed=seed)
    return out
