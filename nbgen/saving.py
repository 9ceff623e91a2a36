"""The session file: what ``Session.save`` writes and ``nbgen.load`` reads.

A session file is a zip of three kinds of member, and nothing in it is ever unpickled:

- ``nbgen.json``: the format's name and version, the config (``nbgen.Session(**config)``
  rebuilds an untrained copy), where the data come from, and the run's record (step, epoch,
  history, per-step metrics, timeline, epoch ends);
- ``state.npz``: the training state's leaves (weights and optimizer state, in the order of
  the state's tree), and the data when they were given in memory (the split as given, in the
  user's dtype and units, so that a loaded session trains on the same rows);
- ``networks/<role>.keras``: the user's own networks (``nbgen.VAE(encoder, decoder)``, a
  compiled ``nbgen.KerasModel``), in Keras's format, rebuilt in Keras's safe mode.

This module knows the format, not the session: it sits below ``nbgen.session`` (as Keras
keeps ``saving/`` outside ``Model``), so that ``Session.save`` can call :func:`save` without an
import circle. :func:`read` returns what a file holds (a :class:`Saved`); ``nbgen.load`` builds
the session from it and restores the run with ``Engine.restore``.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import tempfile
import zipfile
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from . import models as _models
from .data import NAMED, from_split

FORMAT = "nbgen-session"
FORMAT_VERSION = 2  # 2: data scaled to model units (uint8 / 255, standardised reals)
RECORD = ("step", "epoch", "history", "steps", "timeline", "epoch_ends")  # the run, besides its state


def save(session: Any, path: str | os.PathLike) -> str:
    """Write ``session``'s weights, optimizer state, config, history and timeline to ``path``
    (``.nbgen`` added when missing); returns the path written.

    The write is atomic: a failure leaves any previous file intact.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"path={path!r} is a folder: give a file name, for example {os.path.join(path, session.kind + '.nbgen')!r}"
        )
    if not path.endswith(".nbgen"):
        path += ".nbgen"
    if os.path.isdir(path):
        raise IsADirectoryError(f"path={path!r} is a folder: give a file name")
    engine = session.engine
    leaves = jax.tree_util.tree_leaves(engine.state)
    arrays = {f"state_{i:04d}": np.asarray(v) for i, v in enumerate(leaves)}
    config = dict(session.config)
    data = config.pop("data")
    networks: dict[str, bytes] = {}
    if session.generative_model.user_defined:  # the user's networks, in Keras's own format
        config["model"] = session.kind
        networks = _network_files(session)
    ds = session.dataset
    if isinstance(data, str) and data.lower().replace("-", "_") in NAMED:
        data_meta: dict[str, Any] = {"name": data}
    elif ds.raw is not None:  # in memory: the split as the user gave it (dtype and units), no second split
        arrays["data_x_train"], arrays["data_x_val"] = ds.raw()
        if ds.targets("train") is not None:  # class ids, or real-valued targets (read back as such)
            arrays["data_y_train"], arrays["data_y_val"] = ds.targets("train"), ds.targets("val")
        data_meta = {"split": True, "labels": ds.targets("train") is not None, "dataset_name": ds.name}
    elif isinstance(data, str):  # a large .npy file, streamed: the file stays where it is
        data_meta = {"path": os.path.abspath(data)}
    else:  # a streamed array-like
        arrays["data_x"] = np.asarray(ds.source)
        data_meta = {"array": True, "labels": False}
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "config": config,
        "data": data_meta,
        **{name: getattr(engine, name) for name in RECORD},
        "networks": sorted(networks),
    }
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    directory = os.path.dirname(os.path.abspath(path))
    # not mkstemp, whose files are always 0600: the file gets the permissions the umask gives
    for _ in range(100):
        tmp = os.path.join(directory, f".nbgen-{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(f"could not create a temporary file in {directory!r}")
    try:
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("nbgen.json", json.dumps(meta, default=_json_default))
            z.writestr("state.npz", buf.getvalue())
            for role, blob in networks.items():
                z.writestr(f"networks/{role}.keras", blob)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def _network_files(session: Any) -> dict[str, bytes]:
    """The session's networks (current weights) as ``.keras`` files' bytes, by role."""
    session.sync_weights()
    model = session.generative_model
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for role in model.network_names:
            f = os.path.join(tmp, f"{role}.keras")
            model.networks[role].save(f)
            with open(f, "rb") as fh:
                out[role] = fh.read()
    return out


def _json_default(obj: Any):
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (tuple, np.ndarray)):
        return list(obj)
    raise TypeError(f"cannot store {type(obj).__name__} in a session file")


@dataclass
class Saved:
    """What a session file holds: ``nbgen.Session(model, data, **config)`` rebuilds the
    session, :meth:`restoration` gives ``Engine.restore`` its trained state and record."""

    path: str
    version: int
    model: Any  # a name, or a model object with the file's networks
    data: Any  # a name, a path, an array, a tuple or a Dataset (a split given in memory)
    config: dict[str, Any]
    arrays: dict[str, np.ndarray]  # the training state's leaves: "state_0000", "state_0001"...
    record: dict[str, Any]  # step, epoch, history, steps, timeline, epoch_ends

    def restoration(self, session: Any) -> dict[str, Any]:
        """``Engine.restore``'s arguments for ``session`` (built from this file's config): the
        state, as a tree shaped like the session's, and the run's record. A ValueError when the
        file's weights do not fit the session."""
        if self.version < 2 and session.dataset.scaling.kind != "none":
            raise ValueError(
                f"path={self.path!r} was written by nbgen 0.1, whose models trained on this data in its raw units; "
                f"nbgen now trains in {session.dataset.scaling.kind} units (see Session.dataset), so these weights "
                "do not fit: train the session again"
            )
        treedef = jax.tree_util.tree_structure(session.engine.state)
        leaves = jax.tree_util.tree_leaves(session.engine.state)
        saved = [self.arrays[f"state_{i:04d}"] for i in range(len(leaves)) if f"state_{i:04d}" in self.arrays]
        if len(saved) != len(leaves) or any(a.shape != b.shape for a, b in zip(saved, leaves)):
            raise ValueError(f"path={self.path!r}: the stored weights do not match the stored config")
        state = jax.tree_util.tree_unflatten(treedef, [jax.numpy.asarray(a) for a in saved])
        return {"state": state, **self.record}


def read(path: str | os.PathLike) -> Saved:
    """What the session file at ``path`` (``.nbgen`` added when that file exists) holds.

    Refuses files that are not nbgen sessions; never unpickles anything; rebuilds the user's
    networks in Keras's safe mode.
    """
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.exists(path + ".nbgen"):
        path += ".nbgen"
    if not os.path.isfile(path):
        raise FileNotFoundError(f"path={path!r}: no such file")
    try:
        with zipfile.ZipFile(path) as z:
            meta = json.loads(z.read("nbgen.json"))
            state_bytes = z.read("state.npz")
            network_blobs = {role: z.read(f"networks/{role}.keras") for role in meta.get("networks", [])}
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"path={path!r} is not an nbgen session file (written by Session.save)") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"path={path!r} is not an nbgen session file (written by Session.save)")
    if meta.get("version", 0) > FORMAT_VERSION:
        raise ValueError(f"path={path!r} was written by a newer nbgen (format {meta['version']}); upgrade nbgen")
    with np.load(io.BytesIO(state_bytes), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    config = dict(meta["config"])
    if "hidden" in config:
        config["hidden"] = tuple(config["hidden"])
    data_meta = meta["data"]
    if "name" in data_meta:
        data = data_meta["name"]
    elif "path" in data_meta:
        data = data_meta["path"]
    elif data_meta.get("split"):
        labels = bool(data_meta.get("labels"))
        data = from_split(
            arrays["data_x_train"],
            arrays["data_y_train"] if labels else None,
            arrays["data_x_val"],
            arrays["data_y_val"] if labels else None,
            name=data_meta.get("dataset_name", "array"),
        )
    else:
        data = (arrays["data_x"], arrays["data_labels"]) if data_meta.get("labels") else arrays["data_x"]
    model = config.pop("model")
    if network_blobs and model == _models.KerasModel.name:  # your compiled model, with its compile config
        model = _models.KerasModel(_load_networks(path, network_blobs, compile=True)["model"])
    elif network_blobs:
        model = _models.resolve(model)
        model = type(model)(**_load_networks(path, network_blobs))
    state = {k: v for k, v in arrays.items() if k.startswith("state_")}
    record = {
        "step": int(meta["step"]),
        "epoch": int(meta["epoch"]),
        "history": {k: list(v) for k, v in meta["history"].items()},
        "steps": {k: list(v) for k, v in meta["steps"].items()},
        "timeline": list(meta["timeline"]),
        "epoch_ends": [int(e) for e in meta.get("epoch_ends", [])],
    }
    return Saved(path, meta.get("version", 1), model, data, config, state, record)


def _load_networks(path: str, blobs: dict[str, bytes], compile: bool = False) -> dict[str, Any]:
    """Networks from a session file, through Keras's safe mode (no code from files)."""
    import keras

    nets = {}
    with tempfile.TemporaryDirectory() as tmp:
        for role, blob in blobs.items():
            f = os.path.join(tmp, f"{role}.keras")
            with open(f, "wb") as fh:
                fh.write(blob)
            try:
                nets[role] = keras.saving.load_model(f, compile=compile, safe_mode=True)
            except Exception as exc:
                raise ValueError(
                    f"path={path!r}: the {role} network could not be rebuilt from its Keras file "
                    f"({type(exc).__name__}: {str(exc).splitlines()[0][:300]}). nbgen loads networks in Keras's safe "
                    "mode (no code from files): a custom layer or model class must be decorated with "
                    "@keras.saving.register_keras_serializable() and defined (imported) before nbgen.load()"
                ) from exc
    return nets
