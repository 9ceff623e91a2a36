"""An exercise as one line of text: ``session.setup()`` writes it, ``nbgen.show(setup=text)``
reads it back. A teacher hands out a fixed setup; a student pastes it and gets the same
model, data, hyperparameters, plot options and controls (shown, hidden, locked).

The text is ``nbgen-setup-<version>:`` and URL-safe base64 of zlib-compressed JSON. It holds the
model by name (nbgen's models: a model with your own networks travels as a session file,
``session.save``), the data by name, or, for arrays (a drawn set), the rows themselves up to
:data:`MAX_VALUES` numbers, and the hyperparameters the user set.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

import numpy as np

VERSION = 1
PREFIX = "nbgen-setup-"
MAX_VALUES = 200_000  # numbers of array data a setup text carries (about 1 MB of text at most)


def _array(a: np.ndarray) -> dict[str, Any]:
    a = np.ascontiguousarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode()}


def _unarray(d: dict[str, Any]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(d["b64"]), dtype=np.dtype(d["dtype"])).reshape(d["shape"]).copy()


def write(session: Any) -> str:
    """The setup text of ``session`` (and of its widget's options, when it is shown)."""
    model = session.config["model"]
    if not isinstance(model, str):
        raise ValueError(
            "setup(): a model with your own networks cannot travel in text; share the session file instead "
            "(session.save(path), then nbgen.load(path))"
        )
    data = session.config["data"]
    ds = session.dataset
    if isinstance(data, str):
        data_part: dict[str, Any] = {"name": data}
    elif ds.raw is not None:
        x_train, x_val = ds.raw()
        if x_train.size + x_val.size > MAX_VALUES:
            raise ValueError(
                f"setup(): the data hold {x_train.size + x_val.size:,} numbers, more than a setup text carries "
                f"({MAX_VALUES:,}); share a data set by name or the session file (session.save(path))"
            )
        data_part = {"x_train": _array(x_train), "x_val": _array(x_val), "name": ds.name}
        if ds.targets("train") is not None:
            data_part["y_train"], data_part["y_val"] = _array(ds.targets("train")), _array(ds.targets("val"))
    else:
        raise ValueError("setup(): streamed data cannot travel in text; share the file's path or the session file")
    widget = session.widget
    payload = {
        "version": VERSION,
        "model": model,
        "data": data_part,
        "hyperparameters": session.chosen,
        "view": dict(getattr(widget, "loss_view_options", lambda: {})()),
        "controls": dict(getattr(widget, "controls_spec", {}) or {}),
    }
    raw = zlib.compress(json.dumps(payload, default=float).encode())
    return f"{PREFIX}{VERSION}:" + base64.urlsafe_b64encode(raw).decode()


def read(text: Any) -> dict[str, Any]:
    """The exercise in a setup text: ``model``, ``data`` (a name or arrays), ``hyperparameters``,
    ``view`` and ``controls``. A ValueError says what is wrong with a damaged or foreign text."""
    if not isinstance(text, str) or not text.strip().startswith(PREFIX):
        raise ValueError(
            f"setup must be the text session.setup() wrote (it starts with {PREFIX!r}), got {str(text)[:40]!r}"
        )
    head, _, body = text.strip().partition(":")
    version = head[len(PREFIX) :]
    if version != str(VERSION):
        raise ValueError(
            f"setup: this text is from another version of nbgen's setups ({version!r}); this nbgen reads version "
            f"{VERSION}: ask for a setup written by this version"
        )
    try:
        payload = json.loads(zlib.decompress(base64.urlsafe_b64decode(body.encode())))
        data = payload["data"]
        if "x_train" in data:
            xt, xv = _unarray(data["x_train"]), _unarray(data["x_val"])
            if "y_train" in data:
                payload["data"] = ((xt, _unarray(data["y_train"])), (xv, _unarray(data["y_val"])))
            else:
                payload["data"] = (xt, xv)
        else:
            payload["data"] = data["name"]
        for key in ("model", "hyperparameters", "view", "controls"):
            payload[key]  # noqa: B018 - a missing key is damage
    except (binascii.Error, zlib.error, ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"setup: this text is damaged ({type(exc).__name__}: {exc}); copy the whole line that session.setup() wrote"
        ) from exc
    return payload
