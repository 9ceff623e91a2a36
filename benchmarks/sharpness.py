"""What raises the classifier's confidence in mnist5k samples? Probes behind issue 10's GAN
(mean top probability >= 0.9) and VAE latent 16 (>= 0.85) targets.

Run:  python benchmarks/sharpness.py real                 the classifier on real digits
      python benchmarks/sharpness.py temperature [seed]   GAN noise and VAE prior scaled by
                                                          0.5-1 at sampling (truncation)
      python benchmarks/sharpness.py ema [seed ...] [--no-plain]   the GAN with an exponential
                                                          moving average of G's weights (decay
                                                          0.999), and without (unless --no-plain)
      python benchmarks/sharpness.py gan '{"r1_gamma": 0.5}' '{"epochs": 480}' ...
                                                          GAN settings: class settings
                                                          (r1_gamma, d_lr_mult) or hyperparameters
      python benchmarks/sharpness.py vae '{"hidden": [512, 512]}' ...   VAE latent 16 settings
      python benchmarks/sharpness.py rejection [seed]     samples kept by the discriminator's
                                                          logit (DRS, Azadi et al. 2019)
      python benchmarks/sharpness.py gan '{"generator_activation": "gelu", "seed": 4}'
      python benchmarks/sharpness.py gan '{"code_classes": 0, "seed": 1}' '{"info_weight": 2}'
                                                          the GAN without its InfoGAN code (the
                                                          default before it), or with a heavier one

Every run is ``data="mnist5k"`` with the defaults except what the line names; confidence is
``class_coverage``'s mean top probability of the mnist5k classifier on 2,500 samples in
model units (what ``evaluate()`` reports).
"""

from __future__ import annotations

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np

import nbgen
from nbgen import metrics
from nbgen.models.gan import GAN
from nbgen.models.introspect import number_like
from nbgen.models.vae import VAE


def coverage(x: np.ndarray) -> str:
    c = metrics.class_coverage(np.asarray(x), "mnist5k")
    return f"confidence {c['confidence']:.3f}, {c['classes_5pct']}/10 classes with >= 5% (smallest {c['min_class_share']:.3f})"


def trained(model, seed: int, **hp):
    t = time.perf_counter()
    s = nbgen.train(model, "mnist5k", seed=seed, progress=False, **hp)
    return s, time.perf_counter() - t


def real(_args):
    from nbgen.data import load

    ds = load("mnist5k")
    for split, x in (("training", ds.model_train), ("held-out", ds.model_val)):
        print(f"real digits, {split} split: {coverage(x)}")


def temperature(args):
    import jax

    seed = int(args[0]) if args else 0
    for kind, width in (("gan", "noise_dim"), ("vae", "latent_dim")):
        s, wall = trained(kind, seed, **({"latent_dim": 16} if kind == "vae" else {}))
        m, params = s.generative_model, s.engine.state["params"]
        print(f"{kind} seed {seed} ({wall:.0f} s):")
        for t in (1.0, 0.9, 0.8, 0.7, 0.5):
            z = t * jax.random.normal(jax.random.key(0), (2500, m.hp[width]))
            x = m.rows(m.call(params, "generator", z)) if kind == "gan" else m.decode(params, z)
            print(f"  noise x {t}: {coverage(x)}", flush=True)


class EmaGAN(GAN):
    """The GAN, sampling from an exponential moving average of the generator's weights."""

    ema_decay = 0.999

    def extra_networks(self, dataset):
        import keras

        g = self.networks["generator"]
        copy = keras.models.clone_model(g)
        copy.set_weights(g.get_weights())
        return {**super().extra_networks(dataset), "generator_ema": copy}

    def sample(self, params, key, n, labels=None, code=None):
        noise = self.noise(params, key, n, code)  # with the InfoGAN code if any
        return self.rows(self.call(params, "generator_ema", noise, *self.with_labels(labels)))

    def _d_step(self, state, real, live, key):  # D trains against the current generator
        self.sample = lambda p, k, n, labels=None, code=None: GAN.sample(self, p, k, n, labels, code)
        try:
            return super()._d_step(state, real, live, key)
        finally:
            del self.sample

    def train_step(self, state, data, rows, live, key):
        import jax.numpy as jnp

        state, out = super().train_step(state, data, rows, live, key)
        t = state["opt"]["generator"][0]  # Adam's step count
        d = jnp.minimum(self.ema_decay, (1.0 + t) / (10.0 + t))
        p = dict(state["params"])
        g, e = p["generator"], p["generator_ema"]
        p["generator_ema"] = {"tv": [d * a + (1 - d) * b for a, b in zip(e["tv"], g["tv"])], "ntv": list(g["ntv"])}
        return {**state, "params": p}, out


def ema(args):
    seeds = [int(a) for a in args if a != "--no-plain"] or [0]
    for seed in seeds:
        runs = (("EMA 0.999", EmaGAN()),) if "--no-plain" in args else (("plain", GAN()), ("EMA 0.999", EmaGAN()))
        for label, model in runs:
            s, wall = trained(model, seed)
            m = s.evaluate()  # 2,500 samples (EmaGAN: from the averaged generator)
            print(
                f"gan seed {seed}, {label}: confidence {m['confidence']:.4f}, {m['classes_5pct']}/10 classes, "
                f"{wall:.0f} s",
                flush=True,
            )


def settings(model_cls, args, **fixed):
    for arg in args or ["{}"]:
        hp = {**fixed, **json.loads(arg)}
        seed = hp.pop("seed", 0)
        attrs = {  # class settings, numbers or text (as GenerativeModel._settings reads them)
            k: hp.pop(k) for k in list(hp) if number_like(v := getattr(model_cls, k, None)) or isinstance(v, str)
        }
        cls = type(
            model_cls.__name__ + "".join(f"_{k}{v}" for k, v in attrs.items()).replace(".", "p"), (model_cls,), attrs
        )
        s, wall = trained(cls(), seed, **hp)
        m = s.evaluate()
        more = f", neg. ELBO {m['neg_elbo']:.1f}" if "neg_elbo" in m else ""
        print(f"{model_cls.__name__} {json.dumps({**attrs, **hp})} seed {seed}: confidence {m['confidence']:.3f}, "
              f"{m['classes_5pct']}/10 classes{more}, {s.epoch} epochs, {wall:.0f} s", flush=True)  # fmt: skip


def rejection(args):
    import jax

    seed = int(args[0]) if args else 0
    s, wall = trained("gan", seed)
    m, params = s.generative_model, s.engine.state["params"]
    x = np.asarray(m.sample(params, jax.random.key(0), 10_000))
    logit = np.asarray(m.logits(params, x))
    top = metrics.classifier("mnist5k").predict_proba(x).max(1)
    print(
        f"gan seed {seed} ({wall:.0f} s): correlation of D's logit with the top probability {np.corrcoef(logit, top)[0, 1]:.3f}"
    )
    print(f"  all samples: {coverage(x[:2500])}")
    print(f"  the 2,500 of 10,000 that D likes best: {coverage(x[np.argsort(-logit)[:2500]])}")
    rng = np.random.default_rng(0)
    d = logit - logit.max()
    for gamma in (0.0, -1.0, -2.0):  # DRS: accept with sigmoid(d - log(1 - exp(d)) - gamma)
        f = d - np.log1p(-np.exp(d - 1e-6)) - gamma
        keep = rng.random(len(x)) < 1 / (1 + np.exp(-f))
        print(f"  DRS gamma {gamma}: {keep.mean():.0%} accepted, {coverage(x[keep][:2500])}", flush=True)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("real", "temperature", "ema", "gan", "vae", "rejection"):
        print(__doc__)
        return 2
    what, rest = argv[0], argv[1:]
    if what == "gan":
        settings(GAN, rest)
    elif what == "vae":
        settings(VAE, rest, latent_dim=16)
    else:
        {"real": real, "temperature": temperature, "ema": ema, "rejection": rejection}[what](rest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
