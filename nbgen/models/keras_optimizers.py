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

Keras's own form (Keras 3.15 has it) is ``keras.optimizers.MultiOptimizer``: one ``model.optimizer``
that hands each variable to a sub-optimizer by its path (an ``OptimizerMap``), so that ``fit``
runs it, with one ``stateless_apply`` per step (the two networks' gradients applied together).
Each sub-optimizer's rate is then a live control named as Keras logs it,
``learning_rate_<its name>`` (``learning_rate_adam_1``); ReduceLROnPlateau moves each, as under
``fit``. A sub-optimizer whose map matches none of the model's variables is refused (it would
train nothing; Keras says nothing): the message shows what the variables' paths look like.
tests/test_keras_multi_optimizer.py trains a GAN written so, under nbgen and under ``fit``.
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


def sub_optimizers(optimizer: Any) -> list | None:
    """A ``MultiOptimizer``'s sub-optimizers (None for any other optimizer)."""
    multi = getattr(keras.optimizers, "MultiOptimizer", None)  # in recent Keras 3 (3.15 here)
    return list(optimizer.optimizers) if multi is not None and isinstance(optimizer, multi) else None


def rate_controls(model: keras.Model, extras: dict) -> dict[str, tuple[str, keras.optimizers.Optimizer]]:
    """Each live learning-rate control of the model: its name -> (the optimizer group whose
    variables hold the rate, the optimizer whose rate it is). Rates that are schedules have none."""
    if extras:  # a GAN's own d_optimizer and g_optimizer: d_optimizer_learning_rate...
        return {lr_name(g): (g, o) for g, o in extras.items() if lr_variable(o) is not None}
    subs = sub_optimizers(model.optimizer)
    if subs is not None:  # a MultiOptimizer: each sub-optimizer's rate, named as Keras logs it
        return {f"learning_rate_{o.name}": ("optimizer", o) for o in subs if lr_variable(o) is not None}
    return {"learning_rate": ("optimizer", model.optimizer)} if lr_variable(model.optimizer) is not None else {}


def lr_row(name: str) -> _config.HParam:
    """The live control ``name`` of one of the model's optimizers' learning rate."""
    base = _config.TABLE["learning_rate"]
    which = name.removesuffix("_learning_rate").removeprefix("learning_rate_")
    return _config.HParam(
        name,
        "live",
        "float",
        f"the learning rate of your model's optimizer {which}",
        base.lo,
        base.hi,
        lo_open=True,
        control="log_slider",
        view=base.view,
        label=f"{which} lr",
        css=f"nbgen-lr-{which}",
    )


def check_built(model: keras.Model) -> str | None:
    """Why the model's MultiOptimizer cannot train it as meant, once built (None: it can): two
    sub-optimizers with one name (one control each), or one that updates no variable."""
    subs = sub_optimizers(model.optimizer)
    if not subs:
        return None
    names = [o.name for o in subs]
    twice = sorted({n for n in names if names.count(n) > 1 or not n.isidentifier()})
    if twice:
        return (
            f"model {model.name!r}: its MultiOptimizer's sub-optimizers need distinct names, each a Python name "
            f"(their learning rates become the controls learning_rate_<name>), got {names}: pass name=... to each"
        )
    idle = [o.name for o in subs if not o.built] if model.optimizer.built else []
    if idle:
        paths = {v.path.split("/")[0]: v.path for v in model.trainable_variables}  # one per first part
        return (
            f"model {model.name!r}: sub-optimizer {idle[0]!r} of its MultiOptimizer updates none of its variables: "
            f"its OptimizerMap pattern matches no variable's path (they read like {', '.join(paths.values())}; a "
            "model loaded from a file names them without its own name in front: a pattern such as '.*head/.*' "
            "matches both)"
        )
    return None


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
