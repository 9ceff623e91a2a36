"""What a user's Keras network takes and gives: input and output shapes (found by calling it
symbolically), whether it takes ``training``, its last activation (logits or probabilities),
and :class:`Networks`, what ``Session.model`` is."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import keras
import numpy as np

if TYPE_CHECKING:
    from ..data import Dataset


class NetworkError(ValueError):
    """A user network does not fit its role (shapes, outputs, JAX tracing)."""


def input_shapes(net: Any, role: str) -> tuple[tuple[int, ...], ...]:
    """The shapes of one row of each input that ``net`` declares (without the batch axis)."""
    if not isinstance(net, keras.Model):
        raise TypeError(
            f"{role} must be a keras.Model (functional, Sequential or subclassed), got {type(net).__name__}"
        )
    shapes = None
    try:
        inputs = net.inputs
    except (AttributeError, ValueError):
        inputs = None
    if inputs:
        shapes = tuple(tuple(i.shape[1:]) for i in inputs)
    else:
        built = getattr(net, "_build_shapes_dict", None) or {}
        if len(built) == 1:
            shapes = (tuple(next(iter(built.values()))[1:]),)
    if shapes is None:
        raise NetworkError(
            f"{role} {net.name!r} has no known input shape: give it a keras.Input (functional or Sequential) "
            f"or call it once on a batch, e.g. {role}(np.zeros((1, ...))) with the shape of one input row"
        )
    for shape in shapes:
        if any(s is None for s in shape):
            raise NetworkError(
                f"{role} {net.name!r} has an input of shape {(None, *shape)}: every axis but the batch must be fixed"
            )
    if not net.variables and len(shapes) == 1:  # a subclassed model that was built without being called
        net(np.zeros((1, *shapes[0]), np.float32))
    return tuple(tuple(int(s) for s in shape) for shape in shapes)


def input_shape(net: Any, role: str) -> tuple[int, ...]:
    """The shape of one input row of a network that takes one input (without the batch axis)."""
    shapes = input_shapes(net, role)
    if len(shapes) != 1:
        raise NetworkError(f"{role} {net.name!r} takes {len(shapes)} inputs; nbgen gives it one array")
    return shapes[0]


def takes_training(net: keras.Model) -> bool:
    """Whether ``net.call`` takes a ``training`` argument (a subclassed model may not)."""
    import inspect

    try:
        params = inspect.signature(net.call).parameters
    except (TypeError, ValueError):
        return True
    return "training" in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


def output_shapes(
    net: keras.Model, in_shape: tuple[int, ...], role: str, *more: tuple[int, ...]
) -> list[tuple[int, ...]]:
    """Trace ``net`` with JAX on a batch of 2 rows (of each input's shape: ``in_shape``, then
    ``more``); the shapes of its outputs (without the batch)."""
    tv = [v.value for v in net.trainable_variables]
    ntv = [v.value for v in net.non_trainable_variables]
    kw = {"training": True} if takes_training(net) else {}
    specs = [jax.ShapeDtypeStruct((2, *shape), jnp.float32) for shape in (in_shape, *more)]
    try:
        out = jax.eval_shape(lambda a, b, x: net.stateless_call(a, b, x if more else x[0], **kw)[0], tv, ntv, specs)
    except Exception as exc:
        raise NetworkError(
            f"{role} {net.name!r} could not be traced by JAX on {'inputs' if more else 'rows'} of shape "
            f"{', '.join(str((2, *shape)) for shape in (in_shape, *more))} "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:300]}). nbgen compiles networks with jax.jit: every "
            "layer must run on the JAX backend without Python-side values (no .numpy(), no TensorFlow ops)"
        ) from exc
    outs = out if isinstance(out, (list, tuple)) else [out]
    return [tuple(int(s) for s in o.shape[1:]) for o in outs]


# layers that pass values through (reshape, crop, pad, drop): the activation is before them
_SHAPE_ONLY = ("Reshape", "Flatten", "Permute", "Cropping1D", "Cropping2D", "Cropping3D", "Identity", "Dropout",
               "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout",
               "AlphaDropout", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D")  # fmt: skip
_ACTIVATION_LAYERS = {"Softmax": "softmax", "ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu", "PReLU": "prelu"}


def last_activation(net: keras.Model) -> str | None:
    """The name of the activation that ends ``net`` (``"sigmoid"``, ``"softmax"``, ``"linear"``,
    ``"relu"``...): of its last layer that has one, looking through layers that only reshape and
    into nested models. None when it cannot be told (a subclassed model's ``call``)."""

    def of_layer(layer: Any) -> str | None:
        if isinstance(layer, keras.Model):
            return last_activation(layer)
        if type(layer).__name__ in _ACTIVATION_LAYERS:
            return _ACTIVATION_LAYERS[type(layer).__name__]
        act = getattr(layer, "activation", None)
        return None if act is None else getattr(act, "__name__", str(act))

    try:
        if isinstance(net, keras.Sequential):
            for layer in reversed(net.layers):
                if type(layer).__name__ not in _SHAPE_ONLY:
                    return of_layer(layer)
            return None
        outs = net.outputs
        if not outs or len(outs) != 1:
            return None
        tensor = outs[0]
        for _ in range(100):
            op, node_index, _ = tensor._keras_history
            if type(op).__name__ not in _SHAPE_ONLY:
                return of_layer(op)
            tensor = op._inbound_nodes[node_index].input_tensors[0]
    except (AttributeError, IndexError, ValueError, TypeError):
        return None
    return None


def probabilities_to_logits(p: jax.Array) -> jax.Array:
    """log(p / (1 - p)) of a sigmoid's output, clipped away from 0 and 1 (float32's own limits
    there: a saturated sigmoid is read as a logit of about +-16, not an infinity)."""
    p = jnp.clip(p, 1e-7, 1 - 1e-7)
    return jnp.log(p) - jnp.log1p(-p)


class Networks:
    """What ``Session.model`` is: the model's Keras networks as attributes
    (``.encoder``, ``.decoder``; ``.generator``, ``.discriminator``)."""

    def __init__(self, **networks: keras.Model):
        self.__dict__.update(networks)
        self._names = tuple(networks)

    def __repr__(self) -> str:
        return "Networks(" + ", ".join(f"{k}={getattr(self, k).name!r}" for k in self._names) + ")"


def number_like(v: Any) -> bool:
    """A plain number or bool, or a tuple of them (``betas = (0.0, 0.99)``)."""
    if isinstance(v, (bool, int, float)):
        return True
    return isinstance(v, tuple) and bool(v) and all(isinstance(x, (bool, int, float)) for x in v)


def check_rows_in(net: keras.Model, role: str, dataset: Dataset) -> tuple[int, ...]:
    """A network that reads rows: its input must hold one row's features."""
    shape = input_shape(net, role)
    if int(np.prod(shape)) != dataset.features:
        raise NetworkError(
            f"{role} {net.name!r} takes inputs of shape {(None, *shape)}, but the data's rows "
            f"are shaped {dataset.row_shape} ({dataset.features} features): its input must hold one row, e.g. "
            f"{(None, *dataset.row_shape)}, {(None, *dataset.row_shape, 1) if len(dataset.row_shape) == 2 else ''} "
            f"or {(None, dataset.features)}".replace(" , or", " or")
        )
    return shape


def check_decoder(net: keras.Model, role: str, d: int, dataset: Dataset) -> None:
    """A network from codes of width ``d`` (what the encoder gives) to rows."""
    z_shape = input_shape(net, role)
    if z_shape != (d,):
        raise NetworkError(
            f"{role} {net.name!r} takes inputs of shape {(None, *z_shape)}, but the encoder outputs codes of "
            f"shape {(None, d)} (latent_dim={d}): the {role}'s input must be {(None, d)}"
        )
    check_rows_out(net, role, dataset, z_shape)


def check_conditional_inputs(
    net: keras.Model, role: str, k: int, first: str, first_ok: Callable[[tuple[int, ...]], bool]
) -> tuple[tuple[int, ...], ...]:
    """A conditional network's two inputs: ``first`` (which ``first_ok`` accepts) and the one-hot label."""
    shapes = input_shapes(net, role)
    if len(shapes) != 2 or not first_ok(shapes[0]) or shapes[1] != (k,):
        raise NetworkError(
            f"{role} {net.name!r} takes inputs {', '.join(str((None, *s)) for s in shapes)}: a conditional "
            f"{role} takes two, {first} and the one-hot label (None, {k})"
        )
    return shapes


def check_rows_out(
    net: keras.Model, role: str, dataset: Dataset, in_shape: tuple[int, ...], *more: tuple[int, ...]
) -> None:
    """A network that makes rows: one output holding one row's features (``more``: its other inputs)."""
    outs = output_shapes(net, in_shape, role, *more)
    if len(outs) != 1 or int(np.prod(outs[0])) != dataset.features:
        got = ", ".join(str((None, *o)) for o in outs)
        raise NetworkError(
            f"{role} {net.name!r} outputs {got}, but the data's rows are shaped "
            f"{dataset.row_shape} ({dataset.features} features): it must output one array holding one row, "
            f"e.g. {(None, *dataset.row_shape)} or {(None, dataset.features)}"
        )
