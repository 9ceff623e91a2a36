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
import nbgen.engine

BATCH, LR, HIDDEN = 128, 1e-3, (256, 256)
CONV = (32, 64)  # nbgen.models.networks.CONV_CHANNELS
R1 = 0.05


# ----------------------------------------------------------------------------- nbgen
def nbgen_rate(kind: str, epochs: int) -> float:
    """nbgen's samples/s, as users run it: each epoch ends with the validation pass."""
    hp = dict(hidden=HIDDEN, batch_size=BATCH, learning_rate=LR, seed=0)
    if kind == "gan":
        hp.update(noise_dim=16, d_steps=1, code_classes=0)  # the references' plain Gaussian noise, no Q
    else:
        hp.setdefault("latent_dim", 2)
    if kind == "vae":
        hp["prior_components"] = 0  # the references' N(0, I) prior (nbgen's default for images is a mixture)
    s = nbgen.Session(kind, "digits", **hp)
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


def scan_loop(
    kind: str,
    x: np.ndarray,
    x_val: np.ndarray | None = None,
    arch: str = "mlp",
    warmup: int = 2,
    per_step: bool = False,
):
    """A function ``run(epochs) -> samples/s`` of the pure-JAX loop. With ``x_val``, each
    epoch also computes the validation loss on those rows inside the same jitted call (the
    fastest way to do what nbgen does per epoch), kept on the device and read at the end.
    ``per_step``: instead of one ``lax.scan`` per epoch, one jitted call per step from Python
    and one for the validation (faster for convolutions on a CPU: XLA runs them ~3.3x
    slower inside a compiled loop)."""
    key = jax.random.key(0)
    k1, k2 = jax.random.split(key)
    if kind == "gan":
        params = {"g": dense_init(k1, (16, *HIDDEN, 64)), "d": dense_init(k2, (128, *HIDDEN, 1))}
    elif arch == "conv":
        params = conv_nets(k1, 2, 4 if kind == "vae" else 2)
    else:
        enc_out = 4 if kind == "vae" else 2
        params = {"e": dense_init(k1, (64, *HIDDEN, enc_out)), "d": dense_init(k2, (2, *HIDDEN, 64))}
    if arch == "conv":
        encode, decode = conv_encode, conv_decode
    else:
        # nbgen's autoencoder uses GELU (Keras's exact form) in its dense layers for images
        act = (lambda h: jax.nn.gelu(h, approximate=False)) if kind == "autoencoder" else jax.nn.relu
        encode, decode = (lambda p, x: mlp(p["e"], x, act)), (lambda p, z: mlp(p["d"], z, act))
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    data = jnp.asarray(x)

    def vae_loss(p, xb, k):
        h = encode(p, xb)
        mu, lv = h[:, :2], h[:, 2:]
        z = mu + jnp.exp(0.5 * lv) * jax.random.normal(k, mu.shape)
        logits = decode(p, z)
        rec = jnp.sum(jnp.logaddexp(0.0, logits) - xb * logits, -1)
        kl = -0.5 * jnp.sum(1 + lv - mu**2 - jnp.exp(lv), -1)
        return jnp.mean(rec + kl)

    def ae_loss(p, xb, k):
        return jnp.mean((xb - jax.nn.sigmoid(decode(p, encode(p, xb)))) ** 2)

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

    val_data = None if x_val is None or kind == "gan" else jnp.asarray(x_val)

    @jax.jit
    def epoch(carry, idx, key):
        keys = jax.random.split(key, idx.shape[0] + 1)
        carry, _ = jax.lax.scan(step, carry, (idx, keys[1:]))
        if val_data is None:
            return carry, jnp.zeros(())
        return carry, (vae_loss if kind == "vae" else ae_loss)(carry[0], val_data, keys[0])

    one_step = jax.jit(step)
    val_fn = None if val_data is None else jax.jit(vae_loss if kind == "vae" else ae_loss)

    def epoch_per_step(carry, idx, key):
        keys = jax.random.split(key, idx.shape[0] + 1)
        for i in range(idx.shape[0]):
            carry, _ = one_step(carry, (idx[i], keys[i + 1]))
        return carry, (jnp.zeros(()) if val_fn is None else val_fn(carry[0], val_data, keys[0]))

    if per_step:
        epoch = epoch_per_step  # noqa: F811 - the per-step variant replaces the scan
    carry = (params, zeros, zeros, jnp.zeros((), jnp.float32))
    n = len(x)
    steps = n // BATCH
    rng = np.random.default_rng(0)

    def run(epochs: int) -> float:
        nonlocal carry
        t0 = time.perf_counter()
        val_losses = []
        for e in range(epochs):
            idx = rng.permutation(n)[: steps * BATCH].reshape(steps, BATCH)
            carry, val_loss = epoch(carry, idx, jax.random.key(e))
            val_losses.append(val_loss)
        jax.block_until_ready(carry)
        assert np.all(np.isfinite(jax.device_get(val_losses)))
        return epochs * steps * BATCH / (time.perf_counter() - t0)

    run(warmup)
    run.n_params = sum(int(np.size(a)) for a in jax.tree_util.tree_leaves(params))
    return run


# ------------------------------------------------- conv nets on mnist5k: nbgen against pure JAX
def conv_init(key, kh, kw, cin, cout):
    lim = np.sqrt(6 / (kh * kw * (cin + cout)))
    return (jax.random.uniform(key, (kh, kw, cin, cout), minval=-lim, maxval=lim), jnp.zeros(cout))


def conv_nets(key, latent: int, enc_out: int):
    """nbgen's architecture="conv" networks (nbgen/models/networks.py, Keras's VAE example):
    Conv2D 32/64 stride 2 -> Dense 256 -> code; Dense 256 -> Dense 7x7x64 -> Conv2DTranspose
    64/32 stride 2 -> Conv2D 1."""
    k = jax.random.split(key, 9)
    c1, c2 = CONV
    return {
        "e_conv": [conv_init(k[0], 3, 3, 1, c1), conv_init(k[1], 3, 3, c1, c2)],
        "e_dense": dense_init(k[2], (7 * 7 * c2, HIDDEN[0], enc_out)),
        "d_dense": dense_init(k[3], (latent, HIDDEN[0], 7 * 7 * c2)),
        "d_deconv": [conv_init(k[4], 3, 3, c2, c2), conv_init(k[5], 3, 3, c2, c1)],
        "d_out": conv_init(k[6], 3, 3, c1, 1),
    }


DN = ("NHWC", "HWIO", "NHWC")


def conv_encode(p, x):
    h = x.reshape(-1, 28, 28, 1)
    for w, b in p["e_conv"]:
        h = jax.nn.relu(jax.lax.conv_general_dilated(h, w, (2, 2), "SAME", dimension_numbers=DN) + b)
    return mlp(p["e_dense"], h.reshape(h.shape[0], -1))


def conv_decode(p, z):
    h = jax.nn.relu(mlp(p["d_dense"], z)).reshape(-1, 7, 7, CONV[1])
    for w, b in p["d_deconv"]:
        h = jax.nn.relu(jax.lax.conv_transpose(h, w, (2, 2), "SAME", dimension_numbers=DN) + b)
    w, b = p["d_out"]
    return (jax.lax.conv_general_dilated(h, w, (1, 1), "SAME", dimension_numbers=DN) + b).reshape(z.shape[0], -1)


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


def conv_table(args) -> None:
    """nbgen's conv VAE and AE on mnist5k against the pure-JAX loop of the same networks (with
    the same validation rows), median of interleaved runs of ``--conv-epochs`` epochs."""
    data = nbgen.datasets.load("mnist5k")
    x, x_val = data.model_train, data.model_val[: nbgen.engine.EVAL_ROWS]
    print(f"\nconv nets on mnist5k ({len(x)} training rows, {len(x_val)} validation rows), {args.conv_epochs} epoch(s) x "
          f"{args.repeats} repeats, median samples/s")  # fmt: skip
    print(
        "| model | nbgen conv | pure JAX, jitted step per call | nbgen / step calls "
        "| pure JAX, `lax.scan` per epoch | nbgen / scan | weights nbgen / reference |"
    )
    print("|---|---|---|---|---|---|---|")
    for kind in ("vae", "autoencoder"):
        steps = scan_loop(kind, x, x_val, arch="conv", warmup=1, per_step=True)
        scan = scan_loop(kind, x, x_val, arch="conv", warmup=1) if args.conv_scan else None
        runs = {"nbgen": [], "steps": [], "scan": []}
        n_params = 0
        for _ in range(args.repeats):
            rate, n_params = nbgen_conv_rate(kind, args.conv_epochs)
            runs["nbgen"].append(rate)
            runs["steps"].append(steps(args.conv_epochs))
            if scan is not None:
                runs["scan"].append(scan(args.conv_epochs))
        med = {k: statistics.median(v) for k, v in runs.items() if v}
        sc = f"{med['scan']:,.1f} | {med['nbgen'] / med['scan']:.2f}x" if "scan" in med else "(--conv-scan) | -"
        print(
            f"| {kind} | {med['nbgen']:,.1f} | {med['steps']:,.1f} | {med['nbgen'] / med['steps']:.2f}x | {sc} "
            f"| {n_params:,} / {steps.n_params:,} |",
            flush=True,
        )


def nbgen_conv_rate(kind: str, epochs: int) -> tuple[float, int]:
    """nbgen's conv model on mnist5k: samples/s over ``epochs`` after one warm-up epoch, and
    its number of weights."""
    s = nbgen.Session(kind, "mnist5k", architecture="conv", hidden=HIDDEN, latent_dim=2, batch_size=BATCH,
                      learning_rate=LR, seed=0, anneal=0.0)  # fmt: skip
    s.train(1)
    steps0, t0 = s.step, time.perf_counter()
    s.train(epochs)
    rate = (s.step - steps0) * BATCH / (time.perf_counter() - t0)
    return rate, sum(int(np.size(a)) for a in jax.tree_util.tree_leaves(s.engine.state["params"]))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--epochs", type=int, default=30, help="epochs per timed run (digits: 11 steps each)")
    p.add_argument("--models", default="vae,autoencoder,gan")
    p.add_argument("--torch-child", type=int, help=argparse.SUPPRESS)
    p.add_argument(
        "--conv",
        action="store_true",
        help='also nbgen\'s architecture="conv" VAE and AE on mnist5k against a pure-JAX scan loop of the same '
        "networks (slow on a CPU: ~0.8 s per step)",
    )
    p.add_argument("--conv-epochs", type=int, default=1, help="epochs per timed conv run (mnist5k: 31 steps each)")
    p.add_argument(
        "--conv-scan",
        action="store_true",
        help="also the conv reference as one lax.scan per epoch (~3.3x slower on a CPU: ~2 min per epoch)",
    )
    p.add_argument(
        "--torch-in-process",
        action="store_true",
        help="also time the PyTorch loop inside this process after JAX has run (why it runs in a child)",
    )
    args = p.parse_args(argv)
    if args.torch_child:
        print(torch_child(args.torch_child))
        return 0
    digits = nbgen.datasets.load("digits")
    x, x_val = digits.x_train, digits.x_val[: nbgen.engine.EVAL_ROWS]  # the rows nbgen validates on
    print(
        f"jax {jax.__version__}, devices {jax.devices()}, {os.cpu_count()} CPUs; batch {BATCH}, "
        f"{args.epochs} epochs x {args.repeats} repeats, median samples/s"
    )
    print(
        "| model | nbgen | scan loop + validation | nbgen / (scan + validation) | scan loop | nbgen / scan "
        "| PyTorch eager | nbgen / PyTorch |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for kind in args.models.split(","):
        scan_val = scan_loop(kind, x, x_val) if kind != "gan" else None  # the GAN has no validation pass
        scan = scan_loop(kind, x)
        torch_run = torch_loop(kind, x)
        rates = {"nbgen": [], "scan_val": [], "scan": [], "torch": []}
        for _ in range(args.repeats):  # interleaved, so drifting load hits all alike
            rates["nbgen"].append(nbgen_rate(kind, args.epochs))
            if scan_val is not None:
                rates["scan_val"].append(scan_val(args.epochs))
            rates["scan"].append(scan(args.epochs))
            if torch_run is not None:
                rates["torch"].append(torch_run(args.epochs))
        med = {k: statistics.median(v) for k, v in rates.items() if v}
        t = (
            f"{med['torch']:,.0f} | {med['nbgen'] / med['torch']:.2f}x"
            if "torch" in med
            else "not installed / n.a. | -"
        )
        sv = (
            f"{med['scan_val']:,.0f} | {med['nbgen'] / med['scan_val']:.2f}x"
            if "scan_val" in med
            else "(no validation) | -"
        )
        print(
            f"| {kind} | {med['nbgen']:,.0f} | {sv} | {med['scan']:,.0f} | {med['nbgen'] / med['scan']:.2f}x | {t} |",
            flush=True,
        )
    if args.conv:
        conv_table(args)
    if args.torch_in_process and torch_loop("vae", x) is not None:
        scan_loop("vae", x)(args.epochs)  # make sure XLA's thread pool has run here
        child = torch_loop("vae", x)(args.epochs)
        here = torch_child(args.epochs)
        print(f"PyTorch VAE loop: {child:,.0f} samples/s in a child process, {here:,.0f} in this process after JAX ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
