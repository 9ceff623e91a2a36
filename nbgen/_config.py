"""Hyperparameters: one table, from which validation, the engine's live values, the
widget's controls and the CLI's flags are derived.

Three kinds of hyperparameter:
- live: applied at the next training step while a run goes on (no recompilation);
- epoch: applied at the next epoch boundary (``batch_size`` recompiles the step once);
- structural: fixed once the networks exist; change them with ``Session.reset``.

Adding a hyperparameter is one row in ``TABLE`` (and its name in the ``hyperparameters``
of the models that take it, with a default in their ``defaults``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any


@dataclass(frozen=True)
class HParam:
    """One hyperparameter: what it is, what values it takes, how it is shown.

    Attributes:
        name: the keyword (``learning_rate``).
        kind: ``"live"``, ``"epoch"`` or ``"structural"``.
        type: ``"int"``, ``"float"``, ``"widths"`` (a tuple of layer widths) or ``"choice"``.
        lo, hi: inclusive bounds for numbers (``lo_open``: ``lo`` itself not allowed).
        choices: the allowed values of a ``"choice"``.
        doc: one line for help texts (CLI ``--help``, the widget's tooltip).
        control: the widget control: ``"log_slider"``, ``"slider"``, ``"int_text"``,
            ``"text"``, ``"dropdown"``, or ``None`` (not shown in the widget).
        view: for sliders, the range the slider spans (inside ``lo..hi``; values beyond it
            are set through the API and shown at the slider's end).
        label: the short label of the control and of the plots' change markers.
        css: the control's CSS class (browser tests find controls by it).
    """

    name: str
    kind: str
    type: str
    doc: str
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple = ()
    control: str | None = None
    view: tuple[float, float, float] | None = None  # (min, max, step); log sliders: exponents
    label: str = ""
    css: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def text(self) -> str:
        return self.label or self.name.replace("_", " ")

    def allowed(self) -> str:
        if self.type == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.type == "widths":
            return "a non-empty tuple of layer widths such as (256, 256)"
        kind = "an int" if self.type == "int" else "a number"
        lo = f"> {self.lo:g}" if self.lo_open else f">= {self.lo:g}"
        if self.hi is None:
            return f"{kind} {lo}"
        if self.lo_open or self.hi_open:
            return f"{kind} {lo} and {'<' if self.hi_open else '<='} {self.hi:g}"
        return f"{kind} between {self.lo:g} and {self.hi:g}"

    def validate(self, value: Any) -> Any:
        """``value`` in canonical form, or a TypeError/ValueError naming this parameter."""
        if self.type == "int":
            return check_int(self.name, value, int(self.lo), None if self.hi is None else int(self.hi))
        if self.type == "float":
            return _float(self.name, value, self.lo, self.hi, self.lo_open, self.hi_open)
        if self.type == "widths":
            if isinstance(value, Integral) and not isinstance(value, bool):
                value = (value,)
            if not isinstance(value, (tuple, list)) or len(value) == 0:
                raise TypeError(f"{self.name} must be {self.allowed()}, got {value!r}")
            return tuple(check_int(self.name, v, int(self.lo), int(self.hi)) for v in value)
        if set(self.choices) == {False, True}:  # a switch: True/False (numpy's too), not 0/1 or strings
            if type(value).__name__ in ("bool", "bool_"):
                return bool(value)
            raise TypeError(f"{self.name} must be True or False, got {type(value).__name__} {value!r}")
        if value not in self.choices:
            raise ValueError(f"{self.name} must be {self.allowed()}, got {value!r}")
        return value


# a table, one entry per hyperparameter, its fields on a few lines (not one per line)
# fmt: off
TABLE: dict[str, HParam] = {
    p.name: p
    for p in (
        HParam("latent_dim", "structural", "int",
            "size of the latent code",
            1, 4096, control="int_text", label="latent size"),
        HParam("noise_dim", "structural", "int",
            "size of the generator's noise input",
            1, 4096, control="int_text", label="noise size"),
        HParam("prior_components", "structural", "int",
            "components of the VAE's learned mixture-of-Gaussians prior p(z); 0: the fixed N(0, I)",
            0, 1000, control="int_text", label="prior components"),
        HParam("likelihood", "structural", "choice",
            "the VAE decoder's p(x | z): 'auto' (Bernoulli on data in [0, 1], a Gaussian with a learned scale "
            "otherwise), 'bernoulli' (cross-entropy: on grey levels not a density, its nats have an entropy "
            "floor) or 'continuous_bernoulli' (a normalised density on [0, 1]; data in [0, 1] only)",
            choices=("auto", "bernoulli", "continuous_bernoulli"), control="dropdown"),
        HParam("code_classes", "structural", "int",
            "size of the GAN's categorical code (InfoGAN): the last code_classes noise inputs are a one-hot "
            "code that a network Q learns to read back from the samples; 0: Gaussian noise only",
            0, 1000, control="int_text", label="code classes"),
        HParam("hidden", "structural", "widths",
            "widths of the hidden layers (MLP) or of the dense layer after the convolutions",
            1, 8192, control="text"),
        HParam("architecture", "structural", "choice",
            "network shape: 'mlp' (dense layers), 'conv' (strided "
            "convolutions, images only) or 'auto' (the faster to good quality on this device kind, "
            "benchmarks/architecture.py)",
            choices=("auto", "mlp", "conv"), control="dropdown"),
        HParam("learning_rate", "live", "float",
            "Adam's step size (the GAN's discriminator: d_lr_mult times it)",
            0.0, 10.0, lo_open=True, control="log_slider", view=(-5, -1, 0.05), label="learning rate",
            css="nbgen-lr"),
        HParam("beta", "live", "float",
            "weight of the KL term in the VAE's loss",
            0.0, 1000.0, control="slider", view=(0.0, 10.0, 0.05), css="nbgen-beta"),
        HParam("d_steps", "live", "int",
            "discriminator steps per generator step",
            1, 20, control="slider", view=(1, 20, 1), label="D steps", css="nbgen-d-steps"),
        HParam("sample_steps", "live", "int",
            "steps from noise to data when the diffusion model samples (what sample() and the views draw; "
            "training is unaffected)",
            1, 10_000, control="slider", view=(1, 200, 1), label="sampling steps", css="nbgen-sample-steps"),
        HParam("guidance", "live", "float",
            "classifier-free guidance of a conditional diffusion model: 0 ignores the label, 1 follows it, "
            "more follows it harder (what sample() and the views draw; training is unaffected)",
            0.0, 100.0, control="slider", view=(0.0, 10.0, 0.1), css="nbgen-guidance"),
        HParam("conditional", "structural", "choice",
            "True: the networks also read the row's label (class), and sample(n, label=k) draws class k",
            choices=(False, True), control="checkbox"),
        HParam("batch_size", "epoch", "int",
            "rows per training step",
            1, None, control="int_text", label="batch"),
        HParam("seed", "structural", "int",
            "random seed (weights, shuffling, sampling)",
            0, 2**31 - 1, control="int_text"),
        HParam("epochs", "epoch", "int",
            "passes over the training split per run",
            1, 1_000_000, control="int_text"),
        HParam("anneal", "epoch", "float",
            "the fraction of the epochs, at the end, trained at a tenth of the learning rate (0: off)",
            0.0, 1.0, hi_open=True),
        HParam("steps_per_dispatch", "structural", "int",
            "at most this many training steps per compiled call (each call runs about 0.1 s of training)",
            1, 4096),
        HParam("distribution", "structural", "choice",
            "None (one device) or 'data_parallel' (all local JAX devices)",
            choices=(None, "data_parallel")),
    )
}
# fmt: on

LIVE = tuple(n for n, p in TABLE.items() if p.kind == "live")
EPOCH = tuple(n for n, p in TABLE.items() if p.kind == "epoch")
STRUCTURAL = tuple(n for n, p in TABLE.items() if p.kind == "structural")
# every model takes these; each model adds its own (``GenerativeModel.hyperparameters``)
COMMON = ("hidden", "architecture", "learning_rate", "batch_size", "epochs", "anneal", "seed",
          "steps_per_dispatch", "distribution")  # fmt: skip
DISTRIBUTIONS = TABLE["distribution"].choices


def common_defaults() -> dict[str, Any]:
    """Defaults of the common hyperparameters (a model's ``defaults`` may override them)."""
    return {"anneal": 0.0, "architecture": "auto", "seed": 0, "steps_per_dispatch": 64, "distribution": None}


def check_int(name: str, value: Any, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        allowed = f">= {lo}" if hi is None else f"between {lo} and {hi}"
        raise ValueError(f"{name} must be an int {allowed}, got {value}")
    return value


def _float(
    name: str, value: Any, lo: float | None, hi: float | None, lo_open: bool = False, hi_open: bool = False
) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if lo is not None and (value <= lo if lo_open else value < lo):
        raise ValueError(f"{name} must be {'>' if lo_open else '>='} {lo:g}, got {value}")
    if hi is not None and (value >= hi if hi_open else value > hi):
        raise ValueError(f"{name} must be {'<' if hi_open else '<='} {hi:g}, got {value}")
    return value


def validate_value(name: str, value: Any, n_train: int | None = None, row: HParam | None = None) -> Any:
    """Check one hyperparameter (against ``row``, default the table's); return it in canonical form or raise."""
    if row is None:
        if name not in TABLE:
            raise TypeError(f"unknown hyperparameter {name!r}; nbgen knows {', '.join(TABLE)}")
        row = TABLE[name]
    v = row.validate(value)
    if name == "batch_size" and n_train is not None and v > n_train:
        raise ValueError(f"batch_size={v} is larger than the {n_train} training rows: use at most {n_train}")
    return v


def validate(
    accepts: tuple[str, ...] | dict[str, HParam], model: str, hp: dict[str, Any], n_train: int | None = None
) -> dict[str, Any]:
    """Validate hyperparameters for a model that takes ``accepts`` (names of this table's rows, or a
    model's own rows: ``GenerativeModel.table``); unknown names raise TypeError."""
    rows = accepts if isinstance(accepts, dict) else {n: TABLE[n] for n in accepts}
    out = {}
    for name, value in hp.items():
        if name not in rows:
            raise TypeError(f"{name!r} is not a hyperparameter of the {model} model; it accepts {', '.join(rows)}")
        out[name] = validate_value(name, value, n_train, rows[name])
    return out
