"""nbgen: train generative models (autoencoder, VAE, GAN, diffusion) live in a notebook.

import nbgen
session = nbgen.show()                      # the widget: press Train
session = nbgen.train("vae", "digits")      # headless, blocking

The heavy parts (JAX, Keras, the models) load on first use, so that ``import nbgen`` and
``python -m nbgen --help`` stay quick.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import _hooks
from ._backend import BackendError, ensure_jax_backend
from ._settings import config

ensure_jax_backend()


def _pictures() -> Any:
    """``session.figure()`` and ``session.snapshot()``: the ui draws them (see nbgen._hooks)."""
    from .ui import pictures

    return pictures


_hooks.provide("pictures", _pictures)

__version__ = "0.1.0"

# public name -> (module, attribute or None for the module itself)
_LAZY = {
    "datasets": (".data", None),
    "metrics": (".metrics", None),
    "models": (".models", None),
    "Autoencoder": (".models", "Autoencoder"),
    "VAE": (".models", "VAE"),
    "GAN": (".models", "GAN"),
    "Diffusion": (".models", "Diffusion"),
    "KerasModel": (".models", "KerasModel"),
    "FitView": (".ui.fitview", "FitView"),
    "to_tensorboard": (".export_tensorboard", "to_tensorboard"),
    "to_mlflow": (".export_mlflow", "to_mlflow"),
    "DrawPad": (".ui.drawpad", "DrawPad"),
    "callbacks": (".callbacks", None),
    "TrainingDiverged": (".engine", "TrainingDiverged"),
    "Session": (".session", "Session"),
    "load": (".api", "load"),
    "replay": (".api", "replay"),
    "resume": (".api", "resume"),
    "runs": (".runlog", "runs"),
    "train": (".api", "train"),
    "Comparison": ("._compare", "Comparison"),
    "compare": ("._compare", "compare"),
    "sweep": ("._compare", "sweep"),
    "search": (".search", "search"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'nbgen' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def show(
    model: Any = "vae",
    data="digits",
    *,
    autostart: bool = False,
    display: bool = True,
    controls: dict | None = None,
    setup: str | None = None,
    **hyperparameters,
) -> Any:
    """Display the live training widget and return its session.

    Training starts when Train is pressed, or at once with ``autostart=True``.
    See :class:`nbgen.Session` for the hyperparameters. ``controls`` shows, hides or locks
    controls by name (``{"beta": "locked", "architecture": "hidden"}``, see nbgen.ui.teacher);
    ``setup`` is a text that ``session.setup()`` wrote: the same model, data,
    hyperparameters, plot options and controls (arguments given here override it).
    """
    from .ui.launch import Launcher

    # in a notebook the panel's frame is on screen at once, before JAX, Keras and Plotly load
    launcher = Launcher.open(model if setup is None else "your setup", data if setup is None else "") if display else None
    try:
        plot_view = None
        if setup is not None:  # read (and refused when damaged) before anything is built
            from .setup_text import read

            payload = read(setup)
            model, data = payload["model"], payload["data"]
            hyperparameters = {**payload["hyperparameters"], **hyperparameters}
            controls = payload["controls"] if controls is None else controls
            plot_view = payload["view"] or None
        from .ui.show import show as _show

        return _show(
            model, data, autostart=autostart, display=display, launcher=launcher, controls=controls,
            plot_view=plot_view, **hyperparameters,
        )  # fmt: skip
    except BaseException as exc:
        if launcher is not None:
            launcher.failed(exc)
        raise


__all__ = [
    "Diffusion",
    "DrawPad",
    "FitView",
    "GAN",
    "KerasModel",
    "VAE",
    "Autoencoder",
    "BackendError",
    "Comparison",
    "Session",
    "TrainingDiverged",
    "__version__",
    "compare",
    "config",
    "datasets",
    "load",
    "metrics",
    "models",
    "replay",
    "resume",
    "runs",
    "search",
    "show",
    "sweep",
    "to_mlflow",
    "to_tensorboard",
    "train",
]
