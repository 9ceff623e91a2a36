"""The rows of the README's quality table: what each trains and which figures it shows
(``python benchmarks/quality.py --readme``; the table logic: quality_readme.py)."""

from __future__ import annotations

from quality_readme import Row, Stat

import nbgen

HQ = Stat("hq_fraction", "HQ")
CONFIDENCE = Stat("confidence", "samples' confidence")
LABELS = Stat("label_accuracy", "label accuracy")


def defaults(model: str, data: str, **hp):
    """Train ``model`` on ``data`` with the defaults (and ``hp``), then ``evaluate()``."""

    def measure(seed: int, epochs: int | None) -> dict:
        more = {} if epochs is None else {"epochs": epochs}
        return nbgen.train(model, data, seed=seed, progress=False, **hp, **more).evaluate()

    return measure


def anchor_split(latent: int):
    """Issue 10's protocol: the autoencoder on anchors.md's training split of digits, judged by the
    held-out MSE of its reconstructions."""

    def measure(seed: int, epochs: int | None) -> dict:
        import numpy as np
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        d = load_digits()
        x = (d.images / 16.0).astype(np.float32)
        x_tr, x_te, y_tr, _ = train_test_split(x, d.target, test_size=0.2, random_state=0, stratify=d.target)
        more = {} if epochs is None else {"epochs": epochs}
        s = nbgen.train("autoencoder", (x_tr, y_tr), latent_dim=latent, seed=seed, progress=False, **more)
        return {"mse": float(np.mean((s.reconstruct(x_te) - x_te) ** 2))}

    return measure


def conditional(model: str, data: str):
    """A conditional model with the defaults: the share of label-k samples classified as k."""

    def measure(seed: int, epochs: int | None) -> dict:
        from nbgen import metrics

        more = {} if epochs is None else {"epochs": epochs}
        s = nbgen.train(model, data, seed=seed, conditional=True, progress=False, **more)
        return metrics.label_accuracy(s)

    return measure


def all_modes(m: dict) -> bool:
    return m["modes"] == m["n_modes"]


def all_balanced(m: dict) -> bool:
    return m["balanced_modes"] == m["n_modes"]


def all_classes(m: dict) -> bool:
    return m["classes_5pct"] == 10


def mixture(model: str, data: str, n: int, note: str = "") -> Row:
    """A 2-D mixture row; its target (issues 11 and 29): every mode and >= 90% HQ in every seed."""
    return Row(
        f"{model}-{data}",
        {"gan": "GAN", "diffusion": "diffusion"}[model],
        data,
        defaults(model, data),
        (HQ,),
        counts=((f"{n}/{n} modes", all_modes), ("all balanced", all_balanced)),
        note=note,
        target=lambda m: all_modes(m) and m["hq_fraction"] >= 0.90,
    )


ELBO, IW = Stat("neg_elbo", "neg. ELBO", 2, higher=False), Stat("iw_bound", "IS bound (k=100)", 2, higher=False)
ROWS: dict[str, Row] = {
    r.key: r
    for r in (
        Row("ae-anchor-2", "autoencoder, latent 2", "digits", anchor_split(2), (Stat("mse", "MSE", 4, False),),
            seeds=(0, 1, 2), target=lambda m: m["mse"] <= 0.030),
        Row("ae-anchor-8", "autoencoder, latent 8", "digits", anchor_split(8), (Stat("mse", "MSE", 4, False),),
            seeds=(0, 1, 2), target=lambda m: m["mse"] <= 0.0116),
        Row("ae-mnist5k", "autoencoder, latent 8", "mnist5k", defaults("autoencoder", "mnist5k", latent_dim=8),
            (Stat("mse_vs_pca", "MSE / PCA(8)", 3, False),), seeds=(0, 1, 2, 3, 4),
            target=lambda m: m["mse_vs_pca"] <= 0.48),  # issue 29
        Row("vae-digits-2", "VAE, latent 2", "digits", defaults("vae", "digits", latent_dim=2), (ELBO, IW),
            seeds=(0,), counts=(("10/10 classes", all_classes),), note="(nats)"),
        Row("vae-digits-8", "VAE, latent 8", "digits", defaults("vae", "digits", latent_dim=8), (ELBO, IW),
            seeds=(0,), counts=(("10/10 classes", all_classes),), note="(nats)"),
        Row("vae-mnist5k", "VAE, latent 16", "mnist5k", defaults("vae", "mnist5k", latent_dim=16),
            (CONFIDENCE, Stat("neg_elbo", "neg. ELBO", 1, False)), seeds=(0, 1, 2),
            counts=(("10/10 classes", all_classes),)),
        mixture("gan", "ring", 8, "(published: VEEGAN 8 modes at 53% HQ)"),
        mixture("gan", "grid", 25, "(published: VEEGAN 24.6 modes at 40% HQ)"),
        Row("gan-mnist5k", "GAN", "mnist5k", defaults("gan", "mnist5k"), (CONFIDENCE,), seeds=(0, 1, 2, 3, 4),
            counts=(("10/10 classes", all_classes),),
            target=lambda m: all_classes(m) and m["confidence"] >= 0.91),  # issue 29 (its median: README)
        mixture("diffusion", "ring", 8),
        mixture("diffusion", "grid", 25),
        Row("diffusion-digits", "diffusion", "digits", defaults("diffusion", "digits"), (CONFIDENCE,), seeds=(0,),
            counts=(("10/10 classes", all_classes),)),
        Row("diffusion-mnist5k", "diffusion", "mnist5k", defaults("diffusion", "mnist5k"), (CONFIDENCE,), seeds=(0,),
            counts=(("10/10 classes", all_classes),)),
        *(
            Row(f"conditional-{m}-{d}", f"conditional {label}", d, conditional(m, d), (LABELS,), seeds=(0,))
            for d in ("digits", "mnist5k")
            for m, label in (("vae", "VAE"), ("gan", "GAN"), ("diffusion", "diffusion"))
        ),
    )
}  # fmt: skip
