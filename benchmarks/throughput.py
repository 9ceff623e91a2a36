"""Headless training throughput: nbgen against a pure-JAX scan loop and a PyTorch loop.

Run:  python benchmarks/throughput.py [--repeats 5] [--epochs 30]

Every loop trains the same networks on digits (1,437 training rows, batch 128, Adam 1e-3):
- VAE 64-256-256-2 / 2-256-256-64, Bernoulli decoder (anchors.md);
- AE 64-256-256-2 / 2-256-256-64, MSE;
- GAN generator 16-256-256-64, discriminator 128-256-256-1 judging packs of 2 samples
  (non-saturating loss, one D step per G step, R1 penalty: the same as nbgen's).
References: "scan" runs a whole epoch in one jitted ``lax.scan`` (the practical limit);
"torch" is a plain PyTorch eager loop (skipped when torch is not installed), run in a
child process so that its threads and XLA's never share a process. (Under heavy machine
load, an early in-process version measured PyTorch at 2,000 samples/s instead of ~53,000;
on a quiet machine `--torch-in-process` shows no such slowdown: 57,285 in-process against
56,461 in a child, so the child process is a precaution, not a correction.)
Figures are samples per second after compilation, median of ``--repeats`` runs
interleaved in one process, and the ratios nbgen / reference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax
import jax.numpy as jnp
import numpy as np

import nbgen

BATCH, LR, HIDDEN = 128, 1e-3, (256, 256)
R1 = 0.05


# ----------------------------------------------------------------------------- nbgen
def nbgen_rate(kind: str, epochs: int, validation: bool = True) -> float:
    """nbgen's samples/s; ``validation=False`` skips the per-epoch validation pass
    (which the reference loops do not do) to show what it costs."""
    hp = dict(hidden=HIDDEN, batch_size=BATCH, learning_rate=LR, seed=0)
    if kind == "gan":
        hp.update(noise_dim=16, d_steps=1)
    else:
        hp.update(latent_dim=2)
    s = nbgen.Session(kind, "digits", **hp)
    if not validation:
        s.engine.validation_metrics = dict  # this session only
    s.train(2)  # compile and warm up
    steps0, t0 = s.step, time.perf_counter()
    s.train(epochs)
    return (s.step - steps0) * BATCH / (time.perf_counter() - t0)


# ------------------------------------------------------------------- pure JAX, one scan per epoch
def dense_init(key, sizes):
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        key, k = jax.random.split(key)
        lim = np.sqrt(6 / (a + b))
        params.append((jax.random.uniform(k, (a, b), minval=-lim, maxval=lim), jnp.zeros(b)))
    return params


def mlp(params, x, act=jax.nn.relu):
    for i, (w, b) in enumerate(params):
        x = x @ w + b
        if i < len(params) - 1:
            x = act(x)
    return x


def adam(params, grads, m, v, t, lr=LR, b1=0.9, b2=0.999, eps=1e-7):
    m = jax.tree_util.tree_map(lambda m_, g: b1 * m_ + (1 - b1) * g, m, grads)
    v = jax.tree_util.tree_map(lambda v_, g: b2 * v_ + (1 - b2) * g * g, v, grads)
    a = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
    params = jax.tree_util.tree_map(lambda p, m_, v_: p - a * m_ / (jnp.sqrt(v_) + eps), params, m, v)
    return params, m, v


def scan_loop(kind: str, x: np.ndarray):
    key = jax.random.key(0)
    k1, k2 = jax.random.split(key)
    if kind == "gan":
        params = {"g": dense_init(k1, (16, *HIDDEN, 64)), "d": dense_init(k2, (128, *HIDDEN, 1))}
    else:
        enc_out = 4 if kind == "vae" else 2
        params = {"e": dense_init(k1, (64, *HIDDEN, enc_out)), "d": dense_init(k2, (2, *HIDDEN, 64))}
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    data = jnp.asarray(x)

    def vae_loss(p, xb, k):
        h = mlp(p["e"], xb)
        mu, lv = h[:, :2], h[:, 2:]
        z = mu + jnp.exp(0.5 * lv) * jax.random.normal(k, mu.shape)
        logits = mlp(p["d"], z)
        rec = jnp.sum(jnp.logaddexp(0.0, logits) - xb * logits, -1)
        kl = -0.5 * jnp.sum(1 + lv - mu**2 - jnp.exp(lv), -1)
        return jnp.mean(rec + kl)

    def ae_loss(p, xb, k):
        return jnp.mean((xb - jax.nn.sigmoid(mlp(p["d"], mlp(p["e"], xb)))) ** 2)

    def step(carry, inp):
        p, m, v, t = carry
        rows, k = inp
        xb = data[rows]
        t = t + 1
        if kind == "gan":
            lrelu = jax.nn.leaky_relu
            kf, kg = jax.random.split(k)
            fake = jax.nn.sigmoid(mlp(p["g"], jax.random.normal(kf, (BATCH, 16))))

            def packed(d, v):  # PacGAN: D judges packs of 2 rows side by side
                return mlp(d, v.reshape(v.shape[0] // 2, -1), lrelu)[:, 0]

            def d_loss(d):
                real = packed(d, xb)
                gx = jax.grad(lambda xr: jnp.sum(packed(d, xr)))(xb)
                return (
                    jnp.mean(jax.nn.softplus(-real))
                    + jnp.mean(jax.nn.softplus(packed(d, fake)))
                    + 0.5 * R1 * jnp.sum(gx**2) / (BATCH // 2)
                )

            gd = jax.grad(d_loss)(p["d"])
            dp, dm, dv = adam(p["d"], gd, m["d"], v["d"], t, b1=0.5)

            def g_loss(g):
                f = jax.nn.sigmoid(mlp(g, jax.random.normal(kg, (BATCH, 16))))
                return jnp.mean(jax.nn.softplus(-packed(dp, f)))

            gg = jax.grad(g_loss)(p["g"])
            gp, gm, gv = adam(p["g"], gg, m["g"], v["g"], t, b1=0.5)
            return ({"g": gp, "d": dp}, {"g": gm, "d": dm}, {"g": gv, "d": dv}, t), None
        loss_fn = vae_loss if kind == "vae" else ae_loss
        grads = jax.grad(loss_fn)(p, xb, k)
        p, m, v = adam(p, grads, m, v, t)
        return (p, m, v, t), None

    @jax.jit
    def epoch(carry, idx, key):
        keys = jax.random.split(key, idx.shape[0])
        carry, _ = jax.lax.scan(step, carry, (idx, keys))
        return carry

    carry = (params, zeros, zeros, jnp.zeros((), jnp.float32))
    n = len(x)
    steps = n // BATCH
    rng = np.random.default_rng(0)

    def run(epochs: int) -> float:
        nonlocal carry
        t0 = time.perf_counter()
        for e in range(epochs):
            idx = rng.permutation(n)[: steps * BATCH].reshape(steps, BATCH)
            carry = epoch(carry, idx, jax.random.key(e))
        jax.block_until_ready(carry)
        return epochs * steps * BATCH / (time.perf_counter() - t0)

    run(2)
    return run


# ------------------------------------------------------------------------------- PyTorch eager
def torch_loop(kind: str, x: np.ndarray):
    """A function that runs the PyTorch loop for ``epochs`` in a child process."""
    import importlib.util
    import subprocess

    if kind != "vae" or importlib.util.find_spec("torch") is None:
        return None

    def run(epochs: int) -> float:
        out = subprocess.run(
            [sys.executable, __file__, "--torch-child", str(epochs)], capture_output=True, text=True, check=True
        )
        return float(out.stdout.strip().splitlines()[-1])

    return run


def torch_child(epochs: int) -> float:
    """The PyTorch loop's samples/s in this process."""
    import torch

    x = nbgen.datasets.load("digits").x_train
    torch.manual_seed(0)

    def net(sizes):
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(torch.nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        return torch.nn.Sequential(*layers)

    enc, dec = net((64, *HIDDEN, 4)), net((2, *HIDDEN, 64))
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=LR)
    data = torch.from_numpy(x)
    n, steps = len(x), len(x) // BATCH

    def run(epochs: int) -> float:
        t0 = time.perf_counter()
        for _ in range(epochs):
            perm = torch.randperm(n)
            for i in range(steps):
                xb = data[perm[i * BATCH : (i + 1) * BATCH]]
                h = enc(xb)
                mu, lv = h[:, :2], h[:, 2:]
                z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
                logits = dec(z)
                rec = torch.nn.functional.binary_cross_entropy_with_logits(logits, xb, reduction="none").sum(-1)
                kl = -0.5 * (1 + lv - mu**2 - lv.exp()).sum(-1)
                loss = (rec + kl).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
        return epochs * steps * BATCH / (time.perf_counter() - t0)

    run(2)
    return run(epochs)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--epochs", type=int, default=30, help="epochs per timed run (digits: 11 steps each)")
    p.add_argument("--models", default="vae,autoencoder,gan")
    p.add_argument("--torch-child", type=int, help=argparse.SUPPRESS)
    p.add_argument(
        "--torch-in-process",
        action="store_true",
        help="also time the PyTorch loop inside this process after JAX has run (why it runs in a child)",
    )
    args = p.parse_args(argv)
    if args.torch_child:
        print(torch_child(args.torch_child))
        return 0
    x = nbgen.datasets.load("digits").x_train
    print(
        f"jax {jax.__version__}, devices {jax.devices()}, {os.cpu_count()} CPUs; batch {BATCH}, "
        f"{args.epochs} epochs x {args.repeats} repeats, median samples/s"
    )
    print(
        "| model | nbgen | scan loop | nbgen / scan | nbgen without validation / scan | PyTorch eager | nbgen / PyTorch |"
    )
    print("|---|---|---|---|---|---|---|")
    for kind in args.models.split(","):
        scan = scan_loop(kind, x)
        torch_run = torch_loop(kind, x)
        rates = {"nbgen": [], "noval": [], "scan": [], "torch": []}
        for _ in range(args.repeats):  # interleaved, so drifting load hits all alike
            rates["nbgen"].append(nbgen_rate(kind, args.epochs))
            if kind != "gan":  # the GAN has no validation pass
                rates["noval"].append(nbgen_rate(kind, args.epochs, validation=False))
            rates["scan"].append(scan(args.epochs))
            if torch_run is not None:
                rates["torch"].append(torch_run(args.epochs))
        med = {k: statistics.median(v) for k, v in rates.items() if v}
        t = (
            f"{med['torch']:,.0f} | {med['nbgen'] / med['torch']:.2f}x"
            if "torch" in med
            else "not installed / n.a. | -"
        )
        nv = f"{med['noval'] / med['scan']:.2f}x" if "noval" in med else "-"
        print(
            f"| {kind} | {med['nbgen']:,.0f} | {med['scan']:,.0f} | {med['nbgen'] / med['scan']:.2f}x | {nv} | {t} |",
            flush=True,
        )
    if args.torch_in_process and torch_loop("vae", x) is not None:
        scan_loop("vae", x)(args.epochs)  # make sure XLA's thread pool has run here
        child = torch_loop("vae", x)(args.epochs)
        here = torch_child(args.epochs)
        print(f"PyTorch VAE loop: {child:,.0f} samples/s in a child process, {here:,.0f} in this process after JAX ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
