"""The session file: what ``Session.save`` writes and ``nbgen.load`` reads.

A session file is a zip of three kinds of member, and nothing in it is ever unpickled:

- ``nbgen.json``: the format's name and version, the nbgen that wrote it, the config
  (``nbgen.Session(**config)`` rebuilds an untrained copy), where the data come from, and the
  run's record (step, epoch, history, timeline, epoch ends; a checkpoint's position, see
  :mod:`nbgen.checkpoint`);
- ``state.npz``: the training state's leaves (weights and optimizer state, in the order of
  the state's tree), the per-step metrics (``steps_<name>``: a long run has millions, which
  arrays hold cheaply and JSON does not; in ``nbgen.json`` before format 3), and the data
  when they were given in memory (the split as given, in the user's dtype and units, so that
  a loaded session trains on the same rows);
- ``networks/<role>.keras``: the user's own networks (``nbgen.VAE(encoder, decoder)``, a
  compiled ``nbgen.KerasModel``), in Keras's format, rebuilt in Keras's safe mode.

This module knows the format, not the session: it sits below ``nbgen.session`` (as Keras
keeps ``saving/`` outside ``Model``), so that ``Session.save`` can call :func:`save` without an
import circle. :func:`read` returns what a file holds (a :class:`Saved`); ``nbgen.load`` builds
the session from it and restores the run with ``Engine.restore``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from . import models as _models
from .data import NAMED, from_split

FORMAT = "nbgen-session"
FORMAT_VERSION = 3  # 2: data scaled to model units (uint8 / 255, standardised reals); 3: per-step metrics in state.npz
RECORD = ("step", "epoch", "history", "steps", "timeline", "epoch_ends")  # the run, besides its state
TMP_PREFIX = ".nbgen-"  # a file being written: .nbgen-<pid>-<random>.tmp, renamed when complete


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
    return write(capture(session), path)


@dataclass
class Capture:
    """What a session file will hold, taken from a live session: :func:`write` writes it.

    ``state`` is the training state's leaves as they are (JAX arrays, which no step changes in
    place: a dispatch makes new ones), fetched to the host when written; ``data`` is the data's
    part of the file, (its description, its arrays), or a function that makes it."""

    meta: dict[str, Any]
    state: list[Any]
    steps: dict[str, tuple[list, int]]  # the per-step lists (which only grow) and their length now
    data: tuple[dict[str, Any], dict[str, np.ndarray]] | Callable[[], tuple[dict[str, Any], dict[str, np.ndarray]]]
    networks: dict[str, bytes]


def capture(session: Any, *, data: Any = None, networks: dict[str, bytes] | None = None, **extra: Any) -> Capture:
    """``session`` as a session file would hold it now, cheaply: the state's leaves and lists
    of the record are taken as they are (copies of the lists), nothing is serialised.

    Args:
        data, networks: the data's part (or a function making it) and the networks' files, when
            the caller keeps them from an earlier capture (a checkpoint; else they are made now).
        **extra: more keys for the file's ``nbgen.json`` (a checkpoint's ``checkpoint``).
    """
    engine = session.engine
    config = dict(session.config)
    spec = config.pop("data")
    if session.generative_model.user_defined:  # the user's networks, in Keras's own format
        config["model"] = session.kind
        networks = network_files(session) if networks is None else networks
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "nbgen": _version(),
        "config": config,
        "step": engine.step,
        "epoch": engine.epoch,
        "history": {k: list(v) for k, v in engine.history.items()},
        "steps": sorted(engine.steps),  # their values: steps_<name> in state.npz
        "timeline": [dict(r) for r in engine.timeline],
        "epoch_ends": list(engine.epoch_ends),
        "networks": sorted(networks or {}),
        **extra,
    }
    if engine.restored_cursor is not None:  # a checkpoint loaded and not trained since: its place in its epoch
        meta["cursor"] = engine.restored_cursor
    state = jax.tree_util.tree_leaves(engine.state)
    steps = {k: (v, len(v)) for k, v in engine.steps.items()}  # not copied: read up to n when written
    return Capture(meta, state, steps, data_part(session, spec) if data is None else data, networks or {})


def data_part(session: Any, spec: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The data's part of a session file: where they come from, and their arrays when they were
    given in memory (``spec``: the data as given to the session)."""
    ds = session.dataset
    arrays: dict[str, np.ndarray] = {}
    if isinstance(spec, str) and spec.lower().replace("-", "_") in NAMED:
        return {"name": spec}, arrays
    if ds.raw is not None:  # in memory: the split as the user gave it (dtype and units), no second split
        arrays["data_x_train"], arrays["data_x_val"] = ds.raw()
        if ds.targets("train") is not None:  # class ids, or real-valued targets (read back as such)
            arrays["data_y_train"], arrays["data_y_val"] = ds.targets("train"), ds.targets("val")
        meta = {"split": True, "labels": ds.targets("train") is not None, "dataset_name": ds.name}
        if ds.class_names is not None:  # names come back as names (ids index them)
            meta["class_names"] = list(ds.class_names)
        return meta, arrays
    if isinstance(spec, str):  # a large .npy file, streamed: the file stays where it is
        return {"path": os.path.abspath(spec)}, arrays
    arrays["data_x"] = np.asarray(ds.source)  # a streamed array-like
    return {"array": True, "labels": False}, arrays


def write(cap: Capture, path: str) -> str:
    """Write ``cap`` to ``path`` atomically and durably: a temporary file in the same folder,
    flushed and fsynced, renamed over ``path``, the folder fsynced. A failure (a full disk, a
    folder that cannot be written) leaves any previous file intact and no temporary file."""
    data_meta, data_arrays = cap.data() if callable(cap.data) else cap.data
    arrays = {f"state_{i:04d}": np.asarray(v) for i, v in enumerate(jax.device_get(cap.state))}
    for name, (values, n) in cap.steps.items():
        arrays[f"steps_{name}"] = np.asarray(values[:n], dtype=np.int64 if name == "step" else np.float64)
    arrays.update(data_arrays)
    meta = {**cap.meta, "data": data_meta}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    directory = os.path.dirname(os.path.abspath(path))
    # not mkstemp, whose files are always 0600: the file gets the permissions the umask gives
    for _ in range(100):
        tmp = os.path.join(directory, f"{TMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(f"could not create a temporary file in {directory!r}")
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("nbgen.json", json.dumps(meta, default=_json_default))
                # weights hardly compress: the fastest level keeps nearly all the gain (2.0 MB instead of
                # 1.97 for a 3 MB state) at 2.5x less CPU (a checkpoint's writer thread shares the cores)
                z.writestr("state.npz", buf.getvalue(), compresslevel=1)
                for role, blob in cap.networks.items():
                    z.writestr(f"networks/{role}.keras", blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    fsync_folder(directory)
    return path


def fsync_folder(directory: str) -> None:
    """Make a rename in ``directory`` durable (where the system allows opening a folder)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # Windows: folders cannot be opened; NTFS renames are journalled
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def network_files(session: Any) -> dict[str, bytes]:
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
    record: dict[str, Any]  # step, epoch, history, steps, timeline, epoch_ends (and a checkpoint's cursor)
    nbgen_version: str | None = None  # the nbgen that wrote the file (None: before 0.1.0 recorded it)
    checkpoint: dict[str, Any] | None = None  # a checkpoint's own keys (nbgen.checkpoint), else None

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
            by = (
                ""
                if self.nbgen_version in (None, _version())
                else f" (written by nbgen {self.nbgen_version}, this is {_version()})"
            )
            raise ValueError(
                f"path={self.path!r}: the stored weights do not fit the model its config builds{by}: the file was "
                "changed, or another nbgen lays this model out differently. Load it with the nbgen that wrote it, "
                "or train the model anew"
            )
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
    not_ours = f"path={path!r} is not an nbgen session file (written by Session.save)"
    damaged = (
        f"path={path!r} is damaged or truncated (a disk error, or a copy that did not finish): it cannot be read. "
        "Use another copy; of a checkpoint folder, nbgen.resume(folder) takes the latest readable checkpoint"
    )
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "nbgen.json" not in names:
                raise ValueError(not_ours)
            meta = json.loads(z.read("nbgen.json"))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise ValueError(not_ours)
            if meta.get("version", 0) > FORMAT_VERSION:
                raise ValueError(
                    f"path={path!r} was written by a newer nbgen ({meta.get('nbgen', 'format ' + str(meta['version']))}, "
                    f"this is {_version()}): upgrade nbgen (pip install -U nbgen) to read it"
                )
            state_bytes = z.read("state.npz")
            network_blobs = {role: z.read(f"networks/{role}.keras") for role in meta.get("networks", [])}
        with np.load(io.BytesIO(state_bytes), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except zipfile.BadZipFile as exc:  # not a zip at all, or its end (the zip's directory) is missing
        raise ValueError(damaged if _looks_like_zip(path) else not_ours) from exc
    except (KeyError, json.JSONDecodeError, UnicodeDecodeError, zlib.error, EOFError) as exc:
        raise ValueError(damaged) from exc
    except ValueError as exc:
        if str(exc) in (not_ours,) or str(exc).startswith(f"path={path!r} was written by a newer"):
            raise
        raise ValueError(damaged) from exc  # np.load of a damaged npz
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
        names = np.asarray(data_meta["class_names"], dtype=object) if "class_names" in data_meta else None
        y_train, y_val = (arrays["data_y_train"], arrays["data_y_val"]) if labels else (None, None)
        if names is not None and labels:
            y_train, y_val = names[y_train], names[y_val]
        data = from_split(
            arrays["data_x_train"],
            y_train,
            arrays["data_x_val"],
            y_val,
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
    checkpoint = meta.get("checkpoint") if isinstance(meta.get("checkpoint"), dict) else None
    record = {
        "step": int(meta["step"]),
        "epoch": int(meta["epoch"]),
        "history": {k: list(v) for k, v in meta["history"].items()},
        "steps": (
            {k: arrays[f"steps_{k}"].tolist() for k in meta["steps"]}
            if isinstance(meta["steps"], list)  # format 3
            else {k: list(v) for k, v in meta["steps"].items()}
        ),
        "timeline": list(meta["timeline"]),
        "epoch_ends": [int(e) for e in meta.get("epoch_ends", [])],
    }
    cursor = (checkpoint or {}).get("cursor") or meta.get("cursor")
    if cursor:
        record["cursor"] = cursor
    return Saved(path, meta.get("version", 1), model, data, config, state, record, meta.get("nbgen"), checkpoint)


def read_meta(path: str) -> dict[str, Any]:
    """The ``nbgen.json`` of the session file at ``path`` (no arrays, no networks); a
    ValueError when it is not one or cannot be read."""
    try:
        with zipfile.ZipFile(path) as z:
            meta = json.loads(z.read("nbgen.json"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError, zlib.error, EOFError) as exc:
        raise ValueError(f"path={path!r} cannot be read as an nbgen session file") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"path={path!r} is not an nbgen session file (written by Session.save)")
    return meta


def _version() -> str:
    from . import __version__

    return __version__


def _looks_like_zip(path: str) -> bool:
    """Whether ``path`` starts as a zip does, or is empty (so a failure to read it means damage,
    not another format)."""
    with open(path, "rb") as f:
        head = f.read(4)
    return head in (b"", b"PK\x03\x04")  # an empty file: a write cut off at its start


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
