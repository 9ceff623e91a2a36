"""How the diffusion model's formulation and recipes were chosen (issue 11).

Run:  python benchmarks/diffusion_choices.py --part formulation   (~4 min: a pure-JAX loop, 25 s per run)
      python benchmarks/diffusion_choices.py --part recipe        (~6 min: nbgen's model, variants)

``formulation`` trains the same small MLP (3 x 256, SiLU, time features) in a plain JAX loop
for a fixed wall-clock budget on the grid of 25 Gaussians, once per formulation, and prints
the published mode protocol (2,500 samples, HQ = within 3 std of a mode) for 25 to 200
sampling steps:

- ``vp``: DDPM's variance-preserving cosine schedule, epsilon prediction, DDIM sampling;
- ``fm``: flow matching (rectified flow), velocity prediction, uniform times, Euler sampling;
- ``fm-logit``: the same with logit-normal times (Esser et al., 2024);
- ``fm-p3``/``fm-p5``: the same with times ``u ** (1 / 3)`` / ``u ** (1 / 5)`` (towards the data).

``recipe`` trains ``nbgen.Diffusion`` with its defaults and one change each: the time power
on the grid (seeds 0 and 2), and on mnist5k the velocity-predicting MLP against the
preconditioned data-predicting one with the per-feature linear term (nbgen's choice for wide
data), judged by the mnist5k classifier.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import nbgen  # noqa: E402  (selects Keras's JAX backend)


def formulation(budget: float, data: str) -> None:
    import jax
    import jax.numpy as jnp
    import numpy as np

    from nbgen import data as D
    from nbgen import metrics

    ds = D.load(data)
    x = jnp.asarray(ds.model_train)
    d, batch, lr = x.shape[1], 256, 1e-3
    freqs = jnp.exp(jnp.linspace(0, np.log(1000), 8))

    def net(ps, xt, t):
        e = t[:, None] * freqs[None]
        h = jnp.concatenate([xt, t[:, None], jnp.sin(e), jnp.cos(e)], 1)
        for w, b in ps[:-1]:
            h = jax.nn.silu(h @ w + b)
        return h @ ps[-1][0] + ps[-1][1]

    def init(key):
        sizes, ps = [d + 17, 256, 256, 256, d], []
        for a, b in zip(sizes[:-1], sizes[1:]):
            key, k = jax.random.split(key)
            ps.append((jax.random.normal(k, (a, b)) / np.sqrt(a), jnp.zeros(b)))
        return ps

    def cos_sched(t):
        return jnp.cos(t * np.pi / 2 * 0.999), jnp.sin(t * np.pi / 2 * 0.999)

    for form in ("vp", "fm", "fm-logit", "fm-p3", "fm-p5"):

        def loss(ps, key, form=form):
            k1, k2, k3 = jax.random.split(key, 3)
            x1 = x[jax.random.randint(k1, (batch,), 0, x.shape[0])]
            e = jax.random.normal(k2, (batch, d))
            u = jax.random.uniform(k3, (batch,))
            if form == "vp":  # t: 0 data .. 1 noise
                a, s = cos_sched(u)
                return jnp.mean((net(ps, a[:, None] * x1 + s[:, None] * e, u) - e) ** 2)
            t = {"fm": u, "fm-p3": u ** (1 / 3), "fm-p5": u ** (1 / 5)}.get(form)
            if t is None:
                t = jax.nn.sigmoid(jax.random.normal(k3, (batch,)))
            xt = (1 - t[:, None]) * e + t[:, None] * x1
            return jnp.mean((net(ps, xt, t) - (x1 - e)) ** 2)

        @jax.jit
        def chunk(ps, m, v, i, rate, key, loss=loss):
            def body(c, k):  # Adam
                ps, m, v, i = c
                g = jax.grad(loss)(ps, k)  # noqa: B023
                i = i + 1
                m = jax.tree.map(lambda m_, g_: 0.9 * m_ + 0.1 * g_, m, g)
                v = jax.tree.map(lambda v_, g_: 0.999 * v_ + 0.001 * g_**2, v, g)
                step = rate * jnp.sqrt(1 - 0.999**i) / (1 - 0.9**i)
                ps = jax.tree.map(lambda p, m_, v_: p - step * m_ / (jnp.sqrt(v_) + 1e-8), ps, m, v)
                return (ps, m, v, i), None

            (ps, m, v, i), _ = jax.lax.scan(body, (ps, m, v, i), jax.random.split(key, 200))
            return ps, m, v, i

        def sample(ps, key, n, steps, form=form):
            z = jax.random.normal(key, (n, d))
            if form == "vp":
                ts = jnp.linspace(1, 0, steps + 1)

                def ddim(z, i):
                    a, s = cos_sched(ts[i])  # noqa: B023
                    a2, s2 = cos_sched(ts[i + 1])  # noqa: B023
                    eps = net(ps, z, jnp.full((n,), ts[i]))  # noqa: B023
                    return a2 * (z - s * eps) / a + s2 * eps, None

                return jax.lax.scan(ddim, z, jnp.arange(steps))[0]

            def euler(z, i):
                return z + net(ps, z, jnp.full((n,), i / steps)) / steps, None  # noqa: B023

            return jax.lax.scan(euler, z, jnp.arange(steps))[0]

        sample = jax.jit(sample, static_argnums=(2, 3))
        ps = init(jax.random.key(0))
        m = jax.tree.map(jnp.zeros_like, ps)
        v = jax.tree.map(jnp.zeros_like, ps)
        i, key, n = jnp.int32(0), jax.random.key(1), 0
        t0 = time.time()
        while time.time() - t0 < budget:  # the last third at a tenth of the rate, as nbgen's anneal
            rate = lr / 10 if time.time() - t0 > budget * 2 / 3 else lr
            key, k = jax.random.split(key)
            ps, m, v, i = chunk(ps, m, v, i, rate, k)
            n += 200
        for steps in (25, 50, 100, 200):
            s = ds.scaling.to_user(np.asarray(sample(ps, jax.random.key(7), 2500, steps)))
            cov = metrics.mode_coverage(s, ds.modes, ds.mode_std)
            print(f"| {form} | {data} | {n} | {steps} | {cov['hq_fraction']:.3f} | {cov['modes']} | "
                  f"{cov['balanced_modes']} |", flush=True)  # fmt: skip


def recipe() -> None:
    from nbgen import jitcache
    from nbgen.models import Diffusion

    def run(model, data, **hp):
        jitcache.clear()  # the compiled steps are keyed by architecture, not by class attributes
        t0 = time.time()
        s = nbgen.train(model, data, progress=False, **hp)
        return s.evaluate(), time.time() - t0

    for power in (3.0, 5.0):
        for seed in (0, 2):
            Diffusion.low_dim_time_power = power
            m, wall = run("diffusion", "grid", seed=seed)
            print(f"| grid | time power {power:g} | seed {seed} | HQ {m['hq_fraction']:.3f}, modes {m['modes']} | {wall:.0f} |")
    Diffusion.low_dim_time_power = 5.0

    class VelocityMLP(Diffusion):
        """Wide data with the low-dimensional recipe's network: velocity, no per-feature term."""

        predicts = "velocity"

        def default_networks(self, dataset, hp):
            from nbgen.models.diffusion import mlp_denoiser

            return {"denoiser": mlp_denoiser(dataset, hp["hidden"], gate=False)}

    for label, model in (("velocity MLP", VelocityMLP()), ("nbgen: data, preconditioned, g(t) x_t", "diffusion")):
        m, wall = run(model, "mnist5k")
        print(f"| mnist5k | {label} | seed 0 | {m['classes_5pct']}/10 classes with >= 5%, min share "
              f"{m['min_class_share']:.3f}, confidence {m['confidence']:.3f} | {wall:.0f} |", flush=True)  # fmt: skip


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=("formulation", "recipe"), required=True)
    p.add_argument("--budget", type=float, default=25.0, help="seconds of training per formulation")
    p.add_argument("--data", default="grid", choices=("ring", "grid"))
    args = p.parse_args(argv)
    if args.part == "formulation":
        print("| formulation | data | steps trained | sampling steps | HQ | modes | balanced |")
        print("|---|---|---|---|---|---|---|")
        formulation(args.budget, args.data)
    else:
        print("| data | variant | seed | result | wall s |")
        print("|---|---|---|---|---|")
        recipe()
    return 0


if __name__ == "__main__":
    sys.exit(main())
