"""The Keras 3 models that nbgen trains."""

from __future__ import annotations

from .autoencoder import Autoencoder
from .base import GenerativeModel
from .gan import GAN, GANModels
from .vae import VAE

REGISTRY = {"autoencoder": Autoencoder, "vae": VAE, "gan": GAN}

__all__ = ["GAN", "REGISTRY", "VAE", "Autoencoder", "GANModels", "GenerativeModel"]
