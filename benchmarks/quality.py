"""Quality of nbgen's models against the anchors (shared notes, anchors.md).

Run:  python benchmarks/quality.py            (everything, ~30 minutes on 2 cores)
      python benchmarks/quality.py --only ae   (one family: ae, vae, gan-ring, gan-grid, gan-digits,
                                                ae-anchor, ae-mnist5k, vae-mnist5k, gan-mnist5k,
                                                diffusion-ring, -grid, -digits, -mnist5k,
                                                conditional-digits, conditional-mnist5k,
                                                real-mnist5k: the classifier on real digits)
      python benchmarks/quality.py --readme    (re-measures every row of the README's quality table
                                                at this commit, each on its stated seeds, and rewrites
                                                the rows with median, worst seed, date and commit)
      python benchmarks/quality.py --readme --rows gan-ring,gan-grid   (a subset; the keys are the
                                                rows' `--rows` cells; --seeds N: seeds 0..N-1 instead)

The ``ae-anchor`` rows follow issue 10's protocol: the training split of anchors.md passed as
``(x_train, y_train)`` with the defaults, judged on its held-out split, 3 seeds. The
``*-mnist5k`` rows use the defaults on ``data="mnist5k"`` (architecture "auto"), judged on its
held-out split; samples are classified by logistic regression trained on its training split.

Prints one markdown row per run with wall time and process CPU time, then a
summary of the targets from issue 2. The README's quality table is this output.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import nbgen


def timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def run(model: str, data: str, seed: int = 0, **hp):
    def go():
        s = nbgen.train(model, data, seed=seed, **hp)
        return s, s.evaluate()

    (s, metrics), wall, cpu = timed(go)
    return s, metrics, wall, cpu


# the settings of each row: the AE rows use a deeper encoder for latent 2, where the
# bottleneck is tightest; everything else is the model's default for the data
AE_RUNS = [dict(latent_dim=2, hidden=(512, 512, 512), epochs=100), dict(latent_dim=8, epochs=60)]
VAE_RUNS = [dict(latent_dim=2), dict(latent_dim=8)]
SEEDS = range(5)


def ae_anchor(row, seeds: int = 3) -> list[tuple[str, bool]]:
    """Issue 10's AE protocol on digits: anchors.md's training split in, its held-out split judged."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)
    x_tr, x_te, y_tr, _ = train_test_split(x, d.target, test_size=0.2, random_state=0, stratify=d.target)
    out = []
    for latent, limit in ((2, 0.030), (8, 0.0116)):
        results = []
        for seed in range(seeds):
            (s, wall, cpu) = timed(
                lambda d=latent, sd=seed: nbgen.train("autoencoder", (x_tr, y_tr), latent_dim=d, seed=sd)
            )
            mse = float(np.mean((s.reconstruct(x_te) - x_te) ** 2))
            row("autoencoder", "digits (anchor split)", {"latent_dim": latent}, seed, {"held-out mse": mse}, wall, cpu)
            results.append((mse, wall))
        worst = max(r[0] for r in results)
        slowest = max(r[1] for r in results)
        out.append(
            (
                f"AE digits latent {latent} (anchor split, {seeds} seeds): worst held-out MSE {worst:.4f} <= {limit}, "
                f"slowest {slowest:.0f} s <= 60 s",
                worst <= limit and slowest <= 60,
            )
        )
    return out


def readme(args) -> int:
    """``--readme``: measure the rows, rewrite them in the README; exit status 1 when a row's
    target (quality_rows.py) fails in some seed."""
    import quality_readme as qr
    from quality_rows import ROWS

    with open(args.readme_file, encoding="utf-8") as f:
        text = f.read()
    try:
        keys = qr.parse_rows(args.rows, list(ROWS)) if args.rows else list(ROWS)
    except ValueError as e:
        raise SystemExit(f"quality.py: {e}") from None
    missing = [k for k in keys if k not in qr.table_keys(text)]
    if missing:
        raise SystemExit(f"rows {missing} are not in {args.readme_file}'s quality table")
    stamp, lines, failed = qr.measured_stamp(ROOT), {}, []
    for key in keys:
        row = ROWS[key]
        seeds = row.seeds if args.seeds is None else range(args.seeds)
        results = qr.measure_row(row, seeds, args.epochs)
        lines[key] = qr.format_row(row, results, stamp, args.epochs)
        print(lines[key], flush=True)
        failed += [f"{key} seed {sd}" for sd, m in results.items() if row.target and not row.target(m)]
        with open(args.readme_file, encoding="utf-8") as f:  # each row as it is done: a long run may stop
            text = qr.rewrite(f.read(), {key: lines[key]})
        with open(args.readme_file, "w", encoding="utf-8") as f:
            f.write(text)
    print(
        f"rewrote {len(lines)} rows of {args.readme_file}" + (f"; below target: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


def fmt(v):
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    families = [
        "ae",
        "vae",
        "gan-ring",
        "gan-grid",
        "gan-digits",
        "ae-anchor",
        "ae-mnist5k",
        "vae-mnist5k",
        "gan-mnist5k",
        "diffusion-ring",
        "diffusion-grid",
        "diffusion-digits",
        "diffusion-mnist5k",
        "conditional-digits",
        "conditional-mnist5k",
        "real-mnist5k",
    ]
    p.add_argument("--only", choices=families, action="append")
    p.add_argument("--seeds", type=int, help="seeds for the GAN mixtures (default 5); with --readme: seeds 0..N-1 "
                   "for every row (default: each row's own)")  # fmt: skip
    p.add_argument("--ae-seeds", type=int, default=3, help="seeds for ae-anchor (default 3, issue 10's protocol)")
    p.add_argument("--readme", action="store_true", help="re-measure the README's quality rows and rewrite them")
    p.add_argument("--rows", help="with --readme: the rows to redo, comma-separated keys (default: all)")
    p.add_argument(
        "--epochs", type=int, help="with --readme: train every run this many epochs (tests; marked in the row)"
    )
    p.add_argument("--readme-file", default=os.path.join(ROOT, "README.md"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.readme or args.rows or args.epochs:
        if not args.readme:
            p.error("--rows and --epochs go with --readme")
        return readme(args)
    args.seeds = 5 if args.seeds is None else args.seeds
    only = set(args.only or families)
    verdicts: list[tuple[str, bool]] = []
    print("| model | data | settings | seed | metrics | wall s | CPU s |")
    print("|---|---|---|---|---|---|---|")

    def row(model, data, hp, seed, metrics, wall, cpu):
        shown = ", ".join(f"{k} {fmt(v)}" for k, v in metrics.items() if k not in ("k", "n_modes"))
        settings = ", ".join(f"{k}={v}" for k, v in hp.items()) or "defaults"
        print(f"| {model} | {data} | {settings} | {seed} | {shown} | {wall:.1f} | {cpu:.1f} |", flush=True)

    if "ae" in only:
        for hp in AE_RUNS:
            s, m, wall, cpu = run("autoencoder", "digits", **hp)
            row("autoencoder", "digits", hp, 0, m, wall, cpu)
            limit = {2: 0.032, 8: 0.0124}[hp["latent_dim"]]
            verdicts.append(
                (f"AE latent {hp['latent_dim']}: held-out MSE {m['mse']:.4f} <= {limit}", m["mse"] <= limit)
            )
            if hp["latent_dim"] == 8:
                verdicts.append(
                    (f"AE latent 8 moonshot: {m['mse']:.4f} <= 0.0116 (PCA with 16 dims)", m["mse"] <= 0.0116)
                )
    if "vae" in only:
        for hp in VAE_RUNS:
            s, m, wall, cpu = run("vae", "digits", **hp)
            row("vae", "digits", hp, 0, m, wall, cpu)
            d = hp["latent_dim"]
            verdicts.append(
                (
                    f"VAE latent {d}: IS bound {m['iw_bound']:.3f} <= neg. ELBO {m['neg_elbo']:.3f}",
                    m["iw_bound"] <= m["neg_elbo"],
                )
            )
            verdicts.append(
                (
                    f"VAE latent {d}: samples cover {m['classes']}/10 classes ({m['balanced_classes']} balanced)",
                    m["classes"] == 10,
                )
            )
    for data, need_modes, need_hq in (("ring", 8, 0.90), ("grid", 25, 0.90)):  # issue 29: in every seed
        if f"gan-{data}" not in only:
            continue
        good = 0
        for seed in range(args.seeds):
            s, m, wall, cpu = run("gan", data, seed=seed)  # defaults: the last third at lr/10
            row("gan", data, {}, seed, m, wall, cpu)
            good += m["modes"] >= need_modes and m["hq_fraction"] >= need_hq
        verdicts.append(
            (
                f"GAN {data}: {good}/{args.seeds} seeds with >= {need_modes} modes and >= {need_hq:.0%} HQ (target: all)",
                good == args.seeds,
            )
        )
    if "gan-digits" in only:
        s, m, wall, cpu = run("gan", "digits")
        row("gan", "digits", {}, 0, m, wall, cpu)
        verdicts.append(
            (
                f"GAN digits: samples cover {m['classes']}/10 classes ({m['balanced_classes']} balanced)",
                m["classes"] == 10,
            )
        )
    if "ae-anchor" in only:
        verdicts += ae_anchor(row, args.ae_seeds)
    if "ae-mnist5k" in only:
        s, m, wall, cpu = run("autoencoder", "mnist5k", latent_dim=8)
        row("autoencoder", "mnist5k", {"latent_dim": 8}, 0, m, wall, cpu)
        verdicts.append(
            (
                f"AE mnist5k latent 8: held-out MSE {m['mse']:.4f} = {m['mse_vs_pca']:.2f}x PCA(8) <= 0.5x, "
                f"{wall:.0f} s <= 120 s",
                m["mse_vs_pca"] <= 0.5 and wall <= 120,
            )
        )
    if "vae-mnist5k" in only:
        for hp, seed in [
            ({"latent_dim": d, **extra}, sd) for d, extra in ((2, {}), (16, {}), (16, {"beta": 4.0})) for sd in range(3)
        ]:
            d = hp["latent_dim"]
            s, m, wall, cpu = run("vae", "mnist5k", seed=seed, **hp)
            row("vae", "mnist5k", hp, seed, m, wall, cpu)
            ok = m["iw_bound"] <= m["neg_elbo"] and m["classes_5pct"] == 10 and m["confidence"] >= 0.85
            verdicts.append(
                (
                    f"VAE mnist5k {hp}, seed {seed}: IS bound {m['iw_bound']:.1f} <= neg. ELBO {m['neg_elbo']:.1f}, "
                    f"{m['classes_5pct']}/10 classes with >= 5%, confidence {m['confidence']:.2f} >= 0.85, "
                    f"{wall:.0f} s <= 120 s",
                    ok and wall <= 120,
                )
            )
    if "gan-mnist5k" in only:
        for seed in range(3):  # issue 10's protocol: 3 seeds
            s, m, wall, cpu = run("gan", "mnist5k", seed=seed)
            row("gan", "mnist5k", {}, seed, m, wall, cpu)
            verdicts.append(
                (
                    f"GAN mnist5k, seed {seed}: {m['classes_5pct']}/10 classes with >= 5%, confidence "
                    f"{m['confidence']:.4f} >= 0.9, {wall:.0f} s <= 120 s",
                    m["classes_5pct"] == 10 and m["confidence"] >= 0.9 and wall <= 120,
                )
            )
    for data, limit in (("ring", 60), ("grid", 60)):  # issue 11: 8/8 and 25/25 modes, >= 90% HQ, 4 of 5 seeds
        if f"diffusion-{data}" not in only:
            continue
        good, need = 0, {"ring": 8, "grid": 25}[data]
        for seed in range(args.seeds):
            s, m, wall, cpu = run("diffusion", data, seed=seed)
            row("diffusion", data, {}, seed, m, wall, cpu)
            good += m["modes"] == need and m["hq_fraction"] >= 0.90 and wall <= limit
        verdicts.append(
            (
                f"diffusion {data}: {good}/{args.seeds} seeds with {need}/{need} modes, >= 90% HQ and <= {limit} s "
                "(target 4/5)",
                good >= 4 * args.seeds / 5,
            )
        )
    for data, limit in (("digits", 60), ("mnist5k", 120)):
        if f"diffusion-{data}" not in only:
            continue
        s, m, wall, cpu = run("diffusion", data)
        row("diffusion", data, {}, 0, m, wall, cpu)
        verdicts.append(
            (
                f"diffusion {data}: {m['classes_5pct']}/10 classes with >= 5%, confidence {m['confidence']:.2f}, "
                f"{wall:.0f} s <= {limit} s",
                m["classes_5pct"] == 10 and wall <= limit,
            )
        )
    if "real-mnist5k" in only:  # the yardstick: the same classifier on real digits of each split
        import numpy as np

        from nbgen import metrics
        from nbgen.data import load

        ds = load("mnist5k")
        clf = metrics.classifier("mnist5k")
        for split, x, y in (("training", ds.model_train, ds.y_train), ("held-out", ds.model_val, ds.y_val)):
            x = np.asarray(x, np.float32)
            pred = clf.predict(x)
            acc = [float((pred[y == k] == k).mean()) for k in range(10)]
            cov = metrics.class_coverage(x, "mnist5k")
            print(f"| real digits | mnist5k | {split} split, {len(x)} rows | - | label accuracy {np.mean(acc):.3f} (worst "
                  f"class {min(acc):.3f}), confidence {cov['confidence']:.3f} | - | - |", flush=True)  # fmt: skip
    for data, limit in (("digits", 60), ("mnist5k", 120)):  # issue 11: label-k samples classified as k
        if f"conditional-{data}" not in only:
            continue
        import numpy as np

        from nbgen import metrics

        for model, need, options in (
            ("vae", 0.90 if data == "digits" else 0.90, [{}]),
            ("gan", 0.95 if data == "digits" else 0.90, [{}]),
            ("diffusion", 0.97 if data == "digits" else 0.90, [{"guidance": g} for g in (0.0, 1.0, 2.0, 4.0)]),
        ):
            s, _, wall, cpu = run(model, data, conditional=True)
            for opt in options:
                m = metrics.label_accuracy(s, **opt)  # 1,000 samples per class, classified in model units
                acc = m["per_class"]
                settings = ", ".join(["conditional=True", *(f"{k}={v:g}" for k, v in opt.items())])
                print(f"| {model} | {data} | {settings} | 0 | label accuracy {np.mean(acc):.3f} (worst class "
                      f"{min(acc):.3f}), within-class distance {m['within_class_distance']:.2f} | {wall:.1f} | {cpu:.1f} |",
                      flush=True)  # fmt: skip
                if opt.get("guidance", 2.0) == 2.0:
                    verdicts.append((f"conditional {model} {data}: label accuracy {np.mean(acc):.3f} >= {need}, "
                                     f"{wall:.0f} s <= {limit} s", np.mean(acc) >= need and wall <= limit))  # fmt: skip
    print()
    for text, ok in verdicts:
        print(f"- [{'x' if ok else ' '}] {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
