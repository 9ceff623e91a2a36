"""Hyperparameters: names, defaults per model and data set, validation.

Three kinds of hyperparameter:
- live: applied at the next training step while a run goes on (no recompilation);
- epoch: applied at the next epoch boundary (``batch_size`` recompiles the step once);
- structural: fixed once the networks exist; change them with ``Session.reset``.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

MODELS = ("autoencoder", "vae", "gan")
ALIASES = {"ae": "autoencoder", "autoencoder": "autoencoder", "vae": "vae", "gan": "gan"}

LIVE = ("learning_rate", "beta", "d_steps")
EPOCH = ("batch_size", "epochs", "anneal")
STRUCTURAL = ("latent_dim", "hidden", "noise_dim", "seed", "steps_per_dispatch", "distribution")
DISTRIBUTIONS = (None, "data_parallel")

# which hyperparameters each model accepts
_COMMON = ("hidden", "learning_rate", "batch_size", "epochs", "anneal", "seed", "steps_per_dispatch", "distribution")
ACCEPTS = {
    "autoencoder": ("latent_dim", *_COMMON),
    "vae": ("latent_dim", "beta", *_COMMON),
    "gan": ("noise_dim", "d_steps", *_COMMON),
}


def canonical_model(model: Any) -> str:
    if not isinstance(model, str):
        raise TypeError(
            f"model must be a string, one of {', '.join(MODELS)} (or 'ae'), got {type(model).__name__} {model!r}"
        )
    key = model.lower()
    if key not in ALIASES:
        raise ValueError(f"model={model!r} is not a known model; choose one of {', '.join(MODELS)} (or the alias 'ae')")
    return ALIASES[key]


def defaults(model: str, data_name: str, n_train: int, features: int) -> dict[str, Any]:
    """Defaults that train well out of the box (see benchmarks/quality.py)."""
    mixture = data_name in ("ring", "grid", "moons") or features <= 3
    if model == "gan":
        hp = {
            # 2-D mixtures: a small noise and narrow, cheap networks trained for many
            # steps give sharp modes (grid: 35-55% -> 90-93% HQ, benchmarks/quality.py;
            # each change alone: benchmarks/defaults.py)
            "noise_dim": 4 if mixture else 32,
            "hidden": (128, 128, 128) if mixture else (256, 256),
            "learning_rate": 5e-4 if mixture else 2e-4,
            "batch_size": 64 if mixture else 128,
            "epochs": 150,
            # the last third at a tenth of the learning rate lets the generator settle on
            # the modes (ring, 150 epochs: HQ 0.39 / 0.73 without, 0.94 / 0.95 with; seeds 0 / 1)
            "anneal": 1 / 3 if mixture else 0.0,
            "d_steps": 1,
        }
    elif model == "autoencoder":
        hp = {"latent_dim": 2, "hidden": (512, 512), "learning_rate": 1e-3, "batch_size": 64, "epochs": 100}
    else:
        hp = {
            "latent_dim": 2,
            "hidden": (256, 256),
            "learning_rate": 1e-3,
            "batch_size": 128,
            "epochs": 300,
            "beta": 1.0,
        }
    hp.setdefault("anneal", 0.0)
    hp["seed"] = 0
    hp["steps_per_dispatch"] = 16
    hp["distribution"] = None
    hp["batch_size"] = min(hp["batch_size"], n_train)
    return hp


def _int(name: str, value: Any, lo: int, hi: int | None = None) -> int:
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


def _float(name: str, value: Any, *, positive: bool, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if not positive and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    if hi is not None and value > hi:
        raise ValueError(f"{name} must be <= {hi}, got {value}")
    return value


def validate_value(name: str, value: Any, n_train: int | None = None) -> Any:
    """Check one hyperparameter; return it in canonical form or raise."""
    if name in ("latent_dim", "noise_dim"):
        return _int(name, value, 1, 4096)
    if name == "hidden":
        if isinstance(value, (Integral,)) and not isinstance(value, bool):
            value = (value,)
        if not isinstance(value, (tuple, list)) or len(value) == 0:
            raise TypeError(f"hidden must be a non-empty tuple of layer widths such as (256, 256), got {value!r}")
        return tuple(_int("hidden", v, 1, 8192) for v in value)
    if name == "learning_rate":
        return _float(name, value, positive=True, hi=10.0)
    if name == "beta":
        return _float(name, value, positive=False, hi=1000.0)
    if name == "d_steps":
        return _int(name, value, 1, 20)
    if name == "batch_size":
        v = _int(name, value, 1)
        if n_train is not None and v > n_train:
            raise ValueError(f"batch_size={v} is larger than the {n_train} training rows: use at most {n_train}")
        return v
    if name == "epochs":
        return _int(name, value, 1, 1_000_000)
    if name == "anneal":
        v = _float(name, value, positive=False)
        if v >= 1:
            raise ValueError(f"anneal must be a fraction of the epochs from 0 (off) up to but excluding 1, got {v}")
        return v
    if name == "seed":
        return _int(name, value, 0, 2**31 - 1)
    if name == "distribution":
        if value not in DISTRIBUTIONS:
            raise ValueError(
                f"distribution must be None (one device) or 'data_parallel' (all local JAX devices), got {value!r}"
            )
        return value
    if name == "steps_per_dispatch":
        return _int(name, value, 1, 4096)
    raise TypeError(f"unknown hyperparameter {name!r}")


def validate(model: str, hp: dict[str, Any], n_train: int | None = None) -> dict[str, Any]:
    """Validate a dict of hyperparameters for ``model``; unknown names raise TypeError."""
    out = {}
    for name, value in hp.items():
        if name not in ACCEPTS[model]:
            raise TypeError(
                f"{name!r} is not a hyperparameter of the {model} model; it accepts {', '.join(ACCEPTS[model])}"
            )
        out[name] = validate_value(name, value, n_train)
    if model == "gan" and out.get("batch_size") == 1:
        raise ValueError("batch_size must be >= 2 for the gan model (its discriminator judges packs of 2), got 1")
    return out
