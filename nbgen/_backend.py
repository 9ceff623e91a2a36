"""Select the JAX backend before anything imports Keras.

Keras reads its backend once, at import time, from ``KERAS_BACKEND`` or
``~/.keras/keras.json``. Keras's first import on a machine writes that file with
``"tensorflow"``, which fails without TensorFlow, and a kernel that imports keras
before nbgen then fails at ``import keras``, before nbgen can say anything. So:

- nbgen sets ``KERAS_BACKEND=jax`` before the first ``import keras`` of its process;
- when no ``keras.json`` exists yet, nbgen writes one naming ``"jax"`` (what Keras
  itself would write, with nbgen's backend); when one exists and names a backend
  whose package is not installed (``"tensorflow"`` without TensorFlow), nbgen
  rewrites its ``backend`` to ``"jax"`` and keeps the rest: that setting could not
  work on this machine, and the next kernel may import keras first;
- when keras was already imported with another backend, :class:`BackendError`
  says what to do.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys

# what Keras writes into a new keras.json, with nbgen's backend
_KERAS_JSON = {"floatx": "float32", "epsilon": 1e-07, "backend": "jax", "image_data_format": "channels_last"}
_BACKEND_PACKAGE = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax", "numpy": "numpy", "openvino": "openvino"}


class BackendError(RuntimeError):
    """Keras was imported with a backend other than JAX."""


def keras_json_path() -> str:
    """Where Keras reads its settings (its own rule: ``KERAS_HOME``, else ``~/.keras``, else /tmp)."""
    if "KERAS_HOME" in os.environ:
        return os.path.join(os.environ["KERAS_HOME"], "keras.json")
    home = os.path.expanduser("~")
    return os.path.join(home if os.access(home, os.W_OK) else "/tmp", ".keras", "keras.json")


def _settle_keras_json() -> None:
    """Make this machine's keras.json name a backend that can load (see the module docstring).
    Never an error: a folder that cannot be written leaves things as they are."""
    path = keras_json_path()
    try:
        if os.path.exists(path):
            with open(path) as f:
                settings = json.load(f)
            backend = settings.get("backend", "tensorflow")
            package = _BACKEND_PACKAGE.get(backend)
            if package is None or importlib.util.find_spec(package) is not None:
                return  # a backend that can load here: the user's choice stands
            settings["backend"] = "jax"
        else:
            settings = dict(_KERAS_JSON)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.nbgen-{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(json.dumps(settings, indent=4))
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass


def ensure_jax_backend() -> None:
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "jax"
        _settle_keras_json()
        return
    import keras

    backend = keras.backend.backend()
    if backend != "jax":
        raise BackendError(
            f"keras was already imported with the {backend!r} backend; nbgen needs 'jax'. "
            "Restart the kernel and import nbgen before keras, or set the environment "
            "variable KERAS_BACKEND=jax before starting Python (or \"backend\": \"jax\" in "
            f"{keras_json_path()})."
        )
