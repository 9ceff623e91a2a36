"""nbgen's models, each one file on the protocol of :mod:`nbgen.models.base`.

A fourth model is a subclass of :class:`GenerativeModel` that declares its networks,
hyperparameters, capabilities and panels and provides its step; register it with
:func:`register` so that ``nbgen.train("name", ...)`` finds it.
"""

from __future__ import annotations

from typing import Any

from .autoencoder import Autoencoder
from .base import GenerativeModel
from .diffusion import Diffusion
from .gan import GAN
from .introspect import NetworkError, Networks
from .keras_model import KerasModel, KerasModelError
from .vae import VAE

REGISTRY: dict[str, type[GenerativeModel]] = {}


def register(cls: type[GenerativeModel]) -> type[GenerativeModel]:
    """Make ``cls`` available under its ``name`` and ``aliases`` (usable as a decorator)."""
    for key in (cls.name, *cls.aliases):
        REGISTRY[key] = cls
    return cls


for _cls in (Autoencoder, VAE, GAN, Diffusion):
    register(_cls)


def names() -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.name for c in REGISTRY.values()))


def resolve(model: Any) -> GenerativeModel:
    """A model object from a name (``"vae"``, ``"ae"``...) or a model object (returned as is)."""
    if isinstance(model, GenerativeModel):
        return model
    import keras

    if isinstance(model, keras.Model):  # your compiled model, trained as Keras trains it
        return KerasModel(model)
    if isinstance(model, type) and issubclass(model, GenerativeModel):
        return model()
    choices = ", ".join(names())
    if not isinstance(model, str):
        raise TypeError(
            f"model must be a model name ({choices}, or 'ae'), a compiled keras.Model, or a model object such as "
            f"nbgen.VAE(encoder, decoder), got {type(model).__name__} {model!r}"
        )
    key = model.lower()
    if key not in REGISTRY:
        raise ValueError(f"model={model!r} is not a known model; choose one of {choices} (or the aliases 'ae', 'flow')")
    return REGISTRY[key]()


__all__ = [
    "GAN",
    "REGISTRY",
    "Diffusion",
    "VAE",
    "Autoencoder",
    "GenerativeModel",
    "KerasModel",
    "KerasModelError",
    "NetworkError",
    "Networks",
    "register",
    "resolve",
]
