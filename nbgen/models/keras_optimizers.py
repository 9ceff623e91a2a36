"""Your Keras model with several optimizers (a GAN's ``d_optimizer`` and ``g_optimizer``): each
one's learning rate a live control, its state in the training state nbgen keeps.

Keras's JAX ``train_step(self, state, data)`` gets ``state = (trainable_variables,
non_trainable_variables, optimizer_variables, metrics_variables)`` with the variables of one
optimizer, ``self.optimizer``; ``fit`` has no place for a second one, so on JAX a model that
trains with two optimizers has no Keras-native form (keras-io's DCGAN runs ``tf.GradientTape``).
nbgen gives it one: a model whose attributes hold optimizers other than ``self.optimizer``
(``self.d_optimizer = ...`` in its ``compile``, each built there on the variables it updates)
and that writes a JAX-style ``train_step`` gets, in ``state``, ``optimizer_variables`` as a
dict from each such attribute's name to that optimizer's variables, and returns it the same
way, updated with ``optimizer.stateless_apply(...)``. Each optimizer whose learning rate is a
number gets a live control ``<name>_learning_rate`` (``d_optimizer_learning_rate``).
tests/test_keras_optimizers.py trains such a GAN; the README shows one.
"""

from __future__ import annotations

from typing import Any

import keras

from .. import _config


def extra_optimizers(model: keras.Model) -> dict[str, keras.optimizers.Optimizer]:
    """The optimizers the model holds as attributes, besides ``model.optimizer``."""
    own = getattr(model, "optimizer", None)
    return {
        name: value
        for name, value in vars(model).items()
        if not name.startswith("_") and isinstance(value, keras.optimizers.Optimizer) and value is not own
    }


def lr_variable(optimizer: Any) -> keras.Variable | None:
    """The optimizer's learning-rate variable (None for a schedule)."""
    lr = getattr(optimizer, "_learning_rate", None)
    return lr if isinstance(lr, keras.Variable) else None


def lr_name(group: str) -> str:
    """The live control of optimizer ``group``'s learning rate (``"optimizer"``: ``learning_rate``)."""
    return "learning_rate" if group == "optimizer" else f"{group}_learning_rate"


def lr_row(group: str) -> _config.HParam:
    """The live control of one of the model's optimizers' learning rate."""
    base = _config.TABLE["learning_rate"]
    return _config.HParam(
        lr_name(group),
        "live",
        "float",
        f"the learning rate of your model's {group}",
        base.lo,
        base.hi,
        lo_open=True,
        control="log_slider",
        view=base.view,
        label=f"{group} lr",
        css=f"nbgen-lr-{group}",
    )


def check(model: keras.Model, extras: dict[str, keras.optimizers.Optimizer], jax_step: bool) -> str | None:
    """Why a model with these optimizers cannot train here (None: it can)."""
    if not extras:
        return None
    names = ", ".join(extras)
    if not jax_step:
        return (
            f"model {model.name!r} holds optimizers {names} besides model.optimizer: write its training as a JAX "
            "train_step(self, state, data), in which state's optimizer_variables is a dict from each of those "
            "attributes' names to its variables (see nbgen/models/keras_optimizers.py)"
        )
    unbuilt = [n for n, o in extras.items() if not o.built]
    if unbuilt:
        return (
            f"model {model.name!r}: optimizer {unbuilt[0]!r} is not built: build it in compile() on the variables it "
            f"updates, e.g. self.{unbuilt[0]}.build(self.discriminator.trainable_variables)"
        )
    return None
