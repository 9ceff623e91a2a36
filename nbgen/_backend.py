"""Select the JAX backend before anything imports Keras.

Keras reads its backend once, at import time, from ``KERAS_BACKEND`` or
``~/.keras/keras.json``. A fresh machine writes ``"tensorflow"`` there, which
fails without TensorFlow. nbgen only works on JAX, so we set the variable
before the first ``import keras`` and refuse clearly when it is too late.
"""

from __future__ import annotations

import os
import sys


class BackendError(RuntimeError):
    """Keras was imported with a backend other than JAX."""


def ensure_jax_backend() -> None:
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "jax"
        return
    import keras

    backend = keras.backend.backend()
    if backend != "jax":
        raise BackendError(
            f"keras was already imported with the {backend!r} backend; nbgen needs 'jax'. "
            "Restart the kernel and import nbgen before keras, or set the environment "
            "variable KERAS_BACKEND=jax before starting Python."
        )
