"""The notebooks run in the environment a user's Jupyter kernel has.

The test process imports nbgen, which sets ``KERAS_BACKEND=jax``; a kernel started
from it would inherit that variable and the tester's HOME, and a notebook that only
works because of them would pass here and fail on every fresh machine (notebook 07
did). So nbval's kernels start from a kernel spec whose command drops the variables
this test process sets and gives the kernel a fresh HOME whose ``~/.keras/keras.json``
names TensorFlow, which is not installed (what Keras's own first import writes).
tests/test_cli_backend.py covers a fresh HOME without a keras.json.

One HOME serves the whole run, so JAX's compilation cache warms up across notebooks as
it does on a user's machine.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile

# variables that this test process (or its parent) sets and a user's kernel does not have
DROPPED = ("KERAS_BACKEND", "KERAS_HOME", "NBGEN_COMPILE_CACHE", "JAX_PLATFORMS", "XLA_FLAGS", "JUPYTER_PATH")


def pytest_configure(config):
    root = tempfile.mkdtemp(prefix="nbgen-user-")
    home = os.path.join(root, "home")
    os.makedirs(os.path.join(home, ".keras"))
    with open(os.path.join(home, ".keras", "keras.json"), "w") as f:
        json.dump({"floatx": "float32", "epsilon": 1e-07, "backend": "tensorflow", "image_data_format": "channels_last"}, f)
    spec = os.path.join(root, "jupyter", "kernels", "python3")
    os.makedirs(spec)
    unset = [a for name in DROPPED for a in ("-u", name)]
    argv = ["env", *unset, f"HOME={home}", sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    with open(os.path.join(spec, "kernel.json"), "w") as f:
        json.dump({"argv": argv, "display_name": "Python 3 (a user's environment)", "language": "python"}, f)
    config._nbgen_user_root = root
    # nbval finds kernel specs through JUPYTER_PATH, searched before the installed ones
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (os.path.join(root, "jupyter"), os.environ.get("JUPYTER_PATH")) if p)


def pytest_unconfigure(config):
    root = getattr(config, "_nbgen_user_root", None)
    if root:
        shutil.rmtree(root, ignore_errors=True)
