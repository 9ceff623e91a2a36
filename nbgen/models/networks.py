"""nbgen's default networks: dense (MLP) for any rows, convolutional for images.

``architecture="conv"`` builds the shape of Keras's own examples ("Variational
AutoEncoder", "DCGAN"): strided Conv2D down to the latent, Conv2DTranspose back up,
sized for the data's images. ``"auto"`` picks the one that reaches the better quality within
the time budget on this kind of device (benchmarks/architecture.py measures it): on a CPU,
XLA's convolution gradients are slow and the MLP wins for every model; on a GPU or TPU each
model says which (``GenerativeModel.accelerator_architecture``): convolutions for the
autoencoder and the GAN, dense layers for the VAE and the diffusion model (measured on an
H100: benchmarks/README.md, "Which default networks for images").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax
import keras

if TYPE_CHECKING:
    from ..data import Dataset

CONV_CHANNELS = (32, 64)  # Keras's VAE example


def image_shape(dataset: Dataset) -> tuple[int, int, int] | None:
    """``(h, w, c)`` when the rows are images a conv net can halve twice, else None."""
    shape = dataset.row_shape
    if len(shape) == 2:
        shape = (*shape, 1)
    if len(shape) != 3 or shape[2] > 4 or shape[0] % 4 or shape[1] % 4:
        return None
    return tuple(int(s) for s in shape)  # type: ignore[return-value]


def on_accelerator() -> bool:
    return jax.default_backend() in ("gpu", "tpu", "cuda", "rocm")


def architecture(choice: str, dataset: Dataset, accelerator: str = "conv") -> str:
    """The architecture that ``choice`` means for ``dataset``: ``"mlp"`` or ``"conv"``;
    ``"auto"`` means ``accelerator`` for image rows on a GPU or TPU, else ``"mlp"``."""
    fits = image_shape(dataset) is not None
    if choice == "conv" and not fits:
        raise ValueError(
            f"architecture='conv' needs image rows (h, w) or (h, w, c) with c <= 4 and h and w divisible by 4; "
            f"the data's rows are shaped {dataset.row_shape}: use architecture='mlp' (or 'auto')"
        )
    if choice == "auto":
        return accelerator if fits and on_accelerator() else "mlp"
    return choice


def mlp(name: str, inputs: keras.KerasTensor, hidden: tuple[int, ...], activation: str = "relu") -> keras.KerasTensor:
    h = inputs
    for i, width in enumerate(hidden):
        h = keras.layers.Dense(width, activation=activation, name=f"{name}_dense_{i}")(h)
    return h


def encoder_trunk(name: str, arch: str, dataset: Dataset, hidden: tuple[int, ...], activation: str = "relu",
                  n_classes: int = 0):  # fmt: skip
    """Input(s) and last hidden layer of a network that reads rows (encoder, discriminator);
    with ``n_classes``, it also takes a one-hot label, joined before the dense layers."""
    label = keras.Input((n_classes,), name="label") if n_classes else None
    if arch == "conv":
        x = keras.Input(image_shape(dataset), name="x")
        h = x
        for i, ch in enumerate(CONV_CHANNELS):
            h = keras.layers.Conv2D(ch, 3, strides=2, padding="same", activation=activation, name=f"{name}_conv_{i}")(h)
        h = keras.layers.Flatten(name=f"{name}_flatten")(h)
        if label is not None:
            h = keras.layers.Concatenate(name=f"{name}_with_label")([h, label])
        return (x if label is None else [x, label]), mlp(name, h, hidden[:1], activation)
    x = keras.Input((dataset.features,), name="x")
    h = x if label is None else keras.layers.Concatenate(name=f"{name}_with_label")([x, label])
    return (x if label is None else [x, label]), mlp(name, h, hidden, activation)


def decoder_net(name: str, arch: str, dataset: Dataset, d: int, hidden: tuple[int, ...], activation: str | None,
                out_name: str, n_classes: int = 0, hidden_activation: str = "relu") -> keras.Model:  # fmt: skip
    """A network from a code ``(n, d)`` to rows (decoder, generator); with ``n_classes``, it
    also takes a one-hot label ``(n, n_classes)``, joined to the code. ``activation`` is the
    output's, ``hidden_activation`` the dense hidden layers' (the MLP's)."""
    z_in = keras.Input((d,), name="z" if name == "decoder" else "noise")
    inputs, z = z_in, z_in
    if n_classes:
        label = keras.Input((n_classes,), name="label")
        inputs, z = [z_in, label], keras.layers.Concatenate(name=f"{name}_with_label")([z_in, label])
    if arch == "conv":
        h_, w_, c = image_shape(dataset)
        h = mlp(name, z, hidden[:1])
        h = keras.layers.Dense((h_ // 4) * (w_ // 4) * CONV_CHANNELS[-1], activation="relu", name=f"{name}_project")(h)
        h = keras.layers.Reshape((h_ // 4, w_ // 4, CONV_CHANNELS[-1]), name=f"{name}_reshape")(h)
        for i, ch in enumerate(reversed(CONV_CHANNELS)):
            h = keras.layers.Conv2DTranspose(
                ch, 3, strides=2, padding="same", activation="relu", name=f"{name}_deconv_{i}"
            )(h)
        out = keras.layers.Conv2D(c, 3, padding="same", activation=activation, name=out_name)(h)
    else:
        h = mlp(name, z, tuple(reversed(hidden)), hidden_activation)
        out = keras.layers.Dense(dataset.features, activation=activation, name=out_name)(h)
    return keras.Model(inputs, out, name=name)
