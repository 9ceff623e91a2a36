"""Command line: ``python -m nbgen train --model vae --data digits --epochs 30``."""

from __future__ import annotations

import argparse
import string
import sys
import time
from typing import Any


def _hidden(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"--hidden must be comma-separated layer widths such as 256,256, got {text!r}"
        ) from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m nbgen", description="Train nbgen generative models headless.")
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a model, print a per-epoch table and the final metrics")
    t.add_argument("--model", default="vae", help="autoencoder (or ae), vae, gan or diffusion (or flow) (default: vae)")
    t.add_argument(
        "--data",
        default="digits",
        help="digits, mnist5k, moons, ring, grid, mnist, fashion_mnist, or a path to a .npy or .npz file (default: digits)",
    )
    t.add_argument(
        "--epochs", type=int, default=None, help="number of epochs (default: the model's default for the data)"
    )
    from . import _config  # the one hyperparameter table (light: no JAX)

    for hp in _config.TABLE.values():
        if hp.name in ("epochs", "seed", "distribution"):
            continue
        kwargs: dict[str, Any] = {"help": hp.doc + (f" ({hp.allowed()})" if hp.type != "widths" else "")}
        if hp.type == "int":
            kwargs["type"] = int
        elif hp.type == "float":
            kwargs["type"] = float
        elif hp.type == "widths":
            kwargs["type"] = _hidden
            kwargs["help"] += ", comma-separated, e.g. 256,256"
        elif set(hp.choices) == {False, True}:  # a switch: --conditional
            kwargs = {"help": hp.doc, "action": "store_const", "const": True, "default": None}
        else:
            kwargs["choices"] = [c for c in hp.choices if c is not None]
        t.add_argument(hp.flag, **kwargs)
    t.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    t.add_argument("--every", type=int, default=None, help="print every N-th epoch (default: about 30 rows)")
    t.add_argument(
        "--save", metavar="PATH", help="save the trained session to PATH (.nbgen); reload with nbgen.load(PATH)"
    )
    return parser


def _format(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _setting(v: Any) -> str:
    if isinstance(v, (tuple, list)):
        return "x".join(str(x) for x in v)
    return f"{v:g}" if isinstance(v, float) else str(v)


# the built-in models' names and aliases (nbgen.models.REGISTRY, which needs Keras to import);
# a test checks that the two agree
MODEL_NAMES = {"autoencoder": "autoencoder", "ae": "autoencoder", "vae": "vae", "gan": "gan",
               "diffusion": "diffusion", "flow": "diffusion"}  # fmt: skip


def _did_you_mean(value: str, choices: Any) -> str:
    import difflib

    close = difflib.get_close_matches(value.lower(), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_arguments(args: argparse.Namespace, hp: dict[str, Any]) -> None:
    """The checks that need neither JAX nor Keras (names, numbers, the save path), so that a
    typo is answered at once rather than after the seconds those take to import. Raises
    ValueError, TypeError or FileNotFoundError naming the option, the value and what is allowed;
    the rest (say, a hyperparameter the model does not take) is checked by ``Session``."""
    import os

    from . import _config
    from .data import NAMED

    if args.model.lower() not in MODEL_NAMES:
        raise ValueError(
            f"--model {args.model!r} is not a known model{_did_you_mean(args.model, MODEL_NAMES)}; choose one of "
            "autoencoder, vae, gan, diffusion (or the aliases 'ae', 'flow')"
        )
    data = args.data
    if data.lower().replace("-", "_") not in NAMED:
        if not data.lower().endswith((".npy", ".npz")) and not os.path.isfile(data):
            raise ValueError(
                f"--data {data!r} is not a known data set{_did_you_mean(data, NAMED)}; choose one of "
                f"{', '.join(NAMED)}, or give a path to a .npy or .npz file"
            )
        if not data.lower().endswith((".npy", ".npz")):
            raise ValueError(f"--data {data!r} is a file, but nbgen reads only .npy and .npz files")
        if not os.path.isfile(data):
            raise FileNotFoundError(f"--data {data!r}: no such file (a data set name or a .npy or .npz file)")
    if args.epochs is not None:
        _config.validate_value("epochs", args.epochs)
    for name, value in hp.items():
        _config.validate_value(name, value)
    if args.save:
        target = args.save if args.save.endswith(".nbgen") else args.save + ".nbgen"
        folder = os.path.dirname(os.path.abspath(target))
        if os.path.isdir(args.save) or os.path.isdir(target):
            example = os.path.join(args.save, "run.nbgen")
            raise ValueError(f"--save {args.save!r} is a folder: give a file name, such as {example!r}")
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"--save {args.save!r}: the folder {folder!r} does not exist")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    from . import _config

    hp = {
        k: getattr(args, k) for k in _config.TABLE if k not in ("epochs", "seed") and getattr(args, k, None) is not None
    }
    try:
        check_arguments(args, hp)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    import nbgen

    try:
        session = nbgen.Session(args.model, args.data, seed=args.seed, **hp)
        epochs = session.hyperparameters["epochs"] if args.epochs is None else args.epochs
        session.set(epochs=epochs)
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    every = args.every or max(1, epochs // 30)
    hp_now = session.hyperparameters
    track_lr = bool(hp_now.get("anneal"))  # the learning rate will change: show it
    names: list[str] = []
    t0 = time.perf_counter()

    def on_event(event: dict) -> None:
        if event["type"] != "epoch":
            return
        metrics = event["metrics"]
        if not names:
            names.extend(k for k in metrics if k != "learning_rate" or track_lr)
            print("  ".join(f"{h:>12}" for h in ["epoch", "step", *names, "seconds"]))
        if event["epoch"] % every == 0 or event["epoch"] == epochs:
            row = [event["epoch"], event["step"], *[metrics[n] for n in names], time.perf_counter() - t0]
            print("  ".join(f"{_format(v):>12}" for v in row), flush=True)

    session.subscribe(on_event)
    shown = {k: v for k, v in hp_now.items() if k not in ("epochs", "distribution") and v is not None}
    settings = ", ".join(f"{k}={_setting(v)}" for k, v in shown.items())
    print(f"nbgen {nbgen.__version__}: training {session.kind} on {session.dataset.name} for {epochs} epochs")
    print(
        f"data: {len(session.dataset.x_train)} training and {len(session.dataset.x_val)} validation rows "
        f"of shape {session.dataset.row_shape}; {session.dataset.scaling.describe()}"
    )
    print(f"settings: {settings}")
    print(
        "metrics are epoch means; val_ ones are on the validation split; 'seconds' counts wall time "
        "from the start of training, the first epoch's compile included"
    )
    try:
        session.train(epochs)
    except nbgen.TrainingDiverged as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: stopped after the current step", file=sys.stderr)
    for line in report(session, session.evaluate()):
        print(line)
    if args.save:
        print(f"saved to {session.save(args.save)}")
    return 0


def _units(session: Any) -> str:
    kind = session.dataset.scaling.kind
    if kind == "standardise":
        return "in standardised units (1 = the error of predicting the mean)"
    if kind == "pixels":
        return "in pixel values scaled to [0, 1]"
    return "in the data's units ([0, 1])"


# the final metrics' lines: (the metric that brings the line, its label, its text)
_ROWS = (
    ("neg_elbo", "negative ELBO", "{neg_elbo:.4g} nats per row (lower is better)"),
    ("neg_elbo", "importance-sampled bound", "{iw_bound:.4g} nats per row on -log p(x), k={k}"),
    ("classes", "sample classes", "{classes_5pct}/10 digits with >= 5% of the samples ({balanced_classes}/10 with "
     ">= 20% of a fair share, {classes}/10 seen, rarest {min_class_share:.1%})"),
    ("classes", "classifier confidence", "{confidence:.3f} mean top probability (1: sharp digits)"),
    ("modes", "modes covered", "{modes}/{n_modes} ({balanced_modes}/{n_modes} with >= 20% of a fair share)"),
    ("modes", "high-quality samples", "{hq_fraction:.1%} within 3 std of a mode"),
    ("label_accuracy", "label accuracy", "{label_accuracy:.1%} of samples asked for class k are classified k "
     "(worst class {worst_label_accuracy:.1%})"),
    ("label_accuracy", "within-class distance", "{within_class_distance:.4g} between two samples of a class"),
    ("code_purity", "code purity", "{code_purity:.1%} of a code value's samples are of its commonest class"),
    ("fid", "FID / KID", "{fid:.3g} / {kid:.3g} (real data: {fid_floor:.3g} / {kid_floor:.3g})"),
    ("fid", "precision / recall", "{precision:.3f} / {recall:.3f} (real data: {precision_floor:.3f} / "
     "{recall_floor:.3f}); density / coverage {density:.3f} / {coverage:.3f}"),
    ("js", "KL / JS divergence", "{kl:.3g} / {js:.3g} nats (real data: {kl_floor:.3g} / {js_floor:.3g})"),
)  # fmt: skip
# the verdict's parts: (the metric that brings it, its text)
_VERDICTS = (
    ("classes", "samples cover {classes_5pct}/10 digit classes (>= 5% each; 10/10 is the aim)"),
    ("modes", "samples cover {balanced_modes}/{n_modes} modes evenly, {hq_fraction:.0%} of them on a mode"),
    ("label_accuracy", "{label_accuracy:.0%} of conditional samples show the class asked for"),
)


def report(session: Any, m: dict[str, Any]) -> list[str]:
    """The final metrics as labelled lines with their units, then one line comparing the run
    with its reference (PCA for reconstructions, every class or mode for samples)."""
    rows: list[tuple[str, str]] = []
    comparisons: list[str] = []
    if "mse" in m:
        rows.append(("reconstruction MSE", f"{m['mse']:.4g} per value, {_units(session)}"))
        latent = session.hyperparameters.get("latent_dim")
        rows.append((f"PCA's MSE ({latent} components)", f"{m['pca_mse']:.4g} (the linear baseline)"))
        ratio = m.get("mse_vs_pca", float("nan"))
        if m["pca_mse"] <= 1e-9 or (latent or 0) >= session.dataset.features:
            comparisons.append(
                f"PCA with {latent} components is exact on {session.dataset.features} features: no baseline"
            )
        elif ratio == ratio:
            better = "better than" if ratio < 1 else "no better than"
            comparisons.append(f"reconstructs {better} PCA at the same latent size (MSE {ratio:.2f}x PCA's)")
    rows += [(label, text.format(**m)) for key, label, text in _ROWS if key in m]
    comparisons += [text.format(**m) for key, text in _VERDICTS if key in m]
    # the metrics these lines show, and the floors of density and coverage (1 by construction: not shown)
    known = {"mse", "pca_mse", "mse_vs_pca", "density_floor", "coverage_floor"} | {
        field for *_, text in (*_ROWS, *_VERDICTS) for _, field, _, _ in string.Formatter().parse(text) if field
    }
    rows += [(k, _format(v)) for k, v in m.items() if k not in known]  # a registered model's own
    width = max((len(label) for label, _ in rows), default=0)
    lines = ["final metrics (validation split):", *(f"  {label:<{width}}  {text}" for label, text in rows)]
    if comparisons:
        lines.append("verdict: " + "; ".join(comparisons))
    return lines


if __name__ == "__main__":
    sys.exit(main())
