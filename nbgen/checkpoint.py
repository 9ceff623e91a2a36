"""Checkpoints: a run written to disk while it trains, so that it outlives its kernel.

``Session(..., checkpoint=folder)`` (and ``nbgen.train`` and ``nbgen.show``, which pass it on)
writes the session to ``folder`` every ``checkpoint_every`` seconds (default 60; or ``"N
epochs"``) and when a run ends (finished, or stopped with Stop). ``checkpoint=True`` makes a new
folder for the run in ``nbgen.config.runs_dir`` (``$NBGEN_RUNS``, else
``~/.local/share/nbgen/runs``). ``nbgen.resume(folder)`` continues the run from its latest
readable checkpoint.

A checkpoint is a session file (:mod:`nbgen.saving`'s format: ``nbgen.load`` reads it too)
named ``ckpt-<sequence>-step<step>.nbgen``, with a ``checkpoint`` entry in its ``nbgen.json``:
the run's position inside its epoch (the engine's cursor: steps done, metric sums), the epoch
its run ends at, changes not applied yet, the folder and the period. With the engine's per-step
random keys and per-epoch shuffles (both functions of the seed and the step or epoch number),
that is all a resumed run needs to repeat the steps the run would have made.

How a write keeps training going and the files whole:

- at a dispatch boundary, in the training thread, the session is *captured*: the state's
  leaves are referenced (JAX arrays are never changed in place, a dispatch makes new ones;
  nbgen's compiled steps donate no buffer), the per-step lists too, with their length (they
  only grow), and the history and timeline copied; nothing is fetched or serialised there
  (benchmarks/checkpoint_cost.py measures this at about a millisecond);
- a writer thread (one, kept between checkpoints) fetches the state to the host,
  serialises, and writes atomically
  (:func:`nbgen.saving.write`: a temporary file in the folder, flushed, fsynced, renamed, the
  folder fsynced); while it writes, boundaries that fall due wait for the next one;
- the latest ``KEEP`` checkpoints are kept, older ones deleted after a new one is complete;
- the checkpoint at a run's end is written before the run returns, before a Stop cuts the
  epoch short, so that resuming it continues the epoch where it was.

A write that fails (a full disk, a folder no longer writable) never stops training: the error
is kept in ``session.checkpoint_error`` (the widget's status line shows it), a warning says
what to do, and the next checkpoint is tried when due.
"""

from __future__ import annotations

import errno
import os
import queue
import re
import secrets
import threading
import time
import warnings
from numbers import Real
from typing import Any

from . import _config, epochs, runlog, saving
from ._settings import config

DEFAULT_EVERY = 60.0  # seconds between checkpoints
KEEP = 3  # checkpoints kept in a folder (the latest ones)
WRITER_IDLE = 300.0  # seconds the writer thread waits for the next checkpoint before it ends
NAME = re.compile(r"^ckpt-(\d+)-step(\d+)\.nbgen$")
# what makes another folder's run another model (how steps are dispatched does not)
STRUCTURAL_KEYS = tuple(k for k in _config.STRUCTURAL if k not in ("steps_per_dispatch", "distribution"))


class CheckpointError(OSError):
    """A checkpoint could not be written (its folder, a full disk); training went on in memory."""

    def __init__(self, message: str, errno_: int | None = None):
        super().__init__(message)
        self.errno = errno_


def parse_every(every: Any) -> tuple[float | None, int | None]:
    """``checkpoint_every`` as (seconds, None) or (None, epochs); a ValueError naming it else."""
    if isinstance(every, Real) and not isinstance(every, bool) and every >= 0:
        return float(every), None
    if isinstance(every, str):
        m = re.fullmatch(r"\s*(\d+)\s*epochs?\s*", every)
        if m and int(m.group(1)) >= 1:
            return None, int(m.group(1))
        m = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*s\s*", every)
        if m:
            return float(m.group(1)), None
    raise ValueError(
        f"checkpoint_every={every!r}: give seconds (a number >= 0, such as 60) or a number of epochs "
        "(a string such as '5 epochs')"
    )


def folder_for(checkpoint: Any, session: Any) -> str:
    """The folder that ``checkpoint=`` names: a path, or True for a new folder in
    ``nbgen.config.runs_dir``; a TypeError naming the parameter else."""
    if checkpoint is True:
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{session.kind}-{session.dataset.name}-{secrets.token_hex(3)}"
        return os.path.join(config.runs_dir, re.sub(r"[^A-Za-z0-9._-]+", "_", name))
    if isinstance(checkpoint, (str, os.PathLike)) and os.fspath(checkpoint):
        return os.path.abspath(os.path.expanduser(os.fspath(checkpoint)))
    raise TypeError(
        f"checkpoint={checkpoint!r}: give a folder path, True (a new folder in {config.runs_dir}), or None (no checkpoints)"
    )


def checkpoints(folder: str | os.PathLike) -> list[str]:
    """The checkpoint files in ``folder``, oldest first (by their sequence number)."""
    folder = os.fspath(folder)
    found = []
    for name in os.listdir(folder):
        m = NAME.match(name)
        if m:
            found.append((int(m.group(1)), os.path.join(folder, name)))
    return [path for _, path in sorted(found)]


def latest(path: str | os.PathLike) -> tuple[saving.Saved, list[str]]:
    """The checkpoint at ``path`` (a file), or the latest readable one in ``path`` (a folder),
    read; and the files of the folder that could not be read (newer than the one returned).
    A clear error naming the file or folder when there is none."""
    path = os.path.abspath(os.fspath(path))
    if not os.path.isdir(path):
        return saving.read(path), []
    files = checkpoints(path)
    if not files:
        raise FileNotFoundError(
            f"path={path!r} holds no checkpoint (files named ckpt-<n>-step<step>.nbgen): give a checkpoint "
            "folder (Session(checkpoint=...), nbgen.train(checkpoint=...)) or a checkpoint file"
        )
    unreadable = []
    for f in reversed(files):
        try:
            return saving.read(f), unreadable
        except ValueError as exc:
            unreadable.append(f)
            last = exc
    raise ValueError(
        f"path={path!r}: none of its {len(files)} checkpoints can be read (the latest: {last}); "
        "the run cannot be resumed from this folder"
    ) from last


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def remove_stale_temporaries(folder: str) -> int:
    """Delete temporary files that processes no longer running left in ``folder`` (a write cut
    off by a crash); returns how many."""
    removed = 0
    pattern = re.compile(re.escape(saving.TMP_PREFIX) + r"(\d+)-[0-9a-f]+\.tmp$")
    for name in os.listdir(folder):
        m = pattern.match(name)
        if m and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1))):
            try:
                os.remove(os.path.join(folder, name))
                removed += 1
            except OSError:
                pass
    return removed


def _model_of(kind: str, data: Any, config: dict[str, Any]) -> tuple:
    """What makes two runs' models the same: kind, data set (a name) and structure."""
    return (
        str(kind),
        data if isinstance(data, str) else None,
        tuple(
            (k, str(tuple(v) if isinstance(v, list) else v))
            for k in STRUCTURAL_KEYS
            if (v := config.get(k)) is not None
        ),
    )


def describe_failure(exc: BaseException, path: str) -> str:
    """What went wrong writing checkpoint ``path``, and what to do."""
    reason = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        what = "the disk is full (or the quota used up): free some space"
    elif isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT):
        what = "its folder cannot be written (any more): make it writable, or train with checkpoint=<another folder>"
    else:
        what = "see the error"
    return (
        f"checkpoint {path!r} could not be written ({reason}). Training goes on in memory and nothing of it is "
        f"lost; {what}, or save it now with session.save('run.nbgen'). The next checkpoint is tried when due."
    )


class Checkpointer:
    """Writes one session's checkpoints (see the module's docstring); ``Session`` makes it."""

    def __init__(self, session: Any, checkpoint: Any, every: Any = DEFAULT_EVERY):
        self.seconds, self.epochs = parse_every(every)
        self.every = every
        self.folder = folder_for(checkpoint, session)
        self.session = session
        self.run = secrets.token_hex(8)  # the run's id, kept by nbgen.resume
        self.started = time.time()
        self.record_error: Exception | None = None  # the run history's last failure (nbgen.runlog)
        self.error: CheckpointError | None = None  # the last write's failure (None once one succeeds)
        self.written = 0
        self.last_path: str | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._jobs: queue.SimpleQueue | None = None  # to the writer thread
        self._writer_lock = threading.Lock()
        self._due_from = time.monotonic()
        self._last_epoch = session.engine.epoch
        self._last_step = -1
        self._last_final = False
        self._data: tuple[Any, Any] | None = None  # (dataset, the data's part of a file), made once
        self._networks: tuple[Any, dict[str, bytes]] | None = None  # (model, its networks' files)
        self._prepare()
        remove_stale_temporaries(self.folder)

    def _prepare(self) -> None:
        """Make the folder and make sure it can be written; refuse one that holds another model's run."""
        probe = os.path.join(self.folder, f"{saving.TMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}.tmp")
        try:
            os.makedirs(self.folder, exist_ok=True)
            with open(probe, "wb") as f:
                f.write(b"nbgen")
            os.remove(probe)
        except OSError as exc:
            raise CheckpointError(
                f"checkpoint={self.folder!r}: checkpoints cannot be written there ({type(exc).__name__}: {exc}). "
                f"Give a folder you can write to, or checkpoint=True (a new folder in {config.runs_dir})",
                exc.errno,
            ) from exc
        files = checkpoints(self.folder)
        if not files:
            return
        try:
            meta = saving.read_meta(files[-1])
        except ValueError:
            return  # unreadable: ours will be newer
        theirs = _model_of(meta["config"].get("model"), meta.get("data", {}).get("name"), meta["config"])
        session = self.session
        mine = _model_of(session.kind, session.config["data"], session.config)
        if theirs != mine:
            raise ValueError(
                f"checkpoint={self.folder!r} holds the checkpoints of another model ({os.path.basename(files[-1])}: "
                f"{theirs[0]} on {theirs[1] or 'arrays'}, {dict(theirs[2])}; this session: {mine[0]} on "
                f"{mine[1] or 'arrays'}, {dict(mine[2])}). Give another folder (or checkpoint=True for a new one), "
                "or continue that run with nbgen.resume(folder)"
            )

    def attach(self, engine: Any, new_run: bool = False) -> None:
        """Write the checkpoints of ``engine``'s runs (the session's engine, after every build;
        ``new_run``: a reset or rebind started the run afresh, under a new id)."""
        self.wait()
        engine.boundary_hooks.append(self._at_boundary)
        self._last_step, self._last_epoch, self._due_from = -1, engine.epoch, time.monotonic()
        if new_run:
            self.run, self.started = secrets.token_hex(8), time.time()

    def continue_run(self, saved: saving.Saved) -> None:
        """Go on with the run that checkpoint ``saved`` is of (``nbgen.resume``): its id, and
        no checkpoint again until one falls due."""
        self.run = (saved.checkpoint or {}).get("run", self.run)
        self.started = (saved.checkpoint or {}).get("started", self.started)
        self._last_step, self._last_epoch = saved.record["step"], saved.record["epoch"]
        self._last_final = bool((saved.checkpoint or {}).get("final"))
        self._due_from = time.monotonic()

    # -- in the training thread --------------------------------------------------------------
    def _due(self, engine: Any) -> bool:
        if engine.step == self._last_step:
            return False
        if self.epochs is not None:
            return engine.epoch - self._last_epoch >= self.epochs
        return time.monotonic() - self._due_from >= self.seconds

    def _at_boundary(self, cur: Any, final: bool) -> None:
        engine = self.session.engine
        try:
            if final:
                self.wait()  # a write in flight ends first (the run's end waits for its checkpoint)
                # the end at the step of the last checkpoint needs no new file only when that one
                # already says how the run ended (a periodic one at this step says "running")
                if engine.step == self._last_step and self._last_final and self.error is None and not engine.pending():
                    return
                self._write(self._capture(engine, cur, final=True))
            elif self._idle.is_set() and self._due(engine):
                cap = self._capture(engine, cur, final=False)
                self._idle.clear()
                self._submit(cap)
        except Exception as exc:  # noqa: BLE001 - a checkpoint must never break training
            self._idle.set()
            self._failed(exc, os.path.join(self.folder, "ckpt-...nbgen"))

    def _capture(self, engine: Any, cur: Any, final: bool) -> tuple[str, saving.Capture]:
        """The session now, cheaply (see :func:`nbgen.saving.capture`), and the file to write it to."""
        session = self.session
        if self._data is None or self._data[0] is not session.dataset:
            dataset, spec = session.dataset, session.config["data"]
            self._data = (dataset, _Once(lambda: saving.data_part(session, spec)))
        networks = None
        if session.generative_model.user_defined:
            if self._networks is None or self._networks[0] is not session.generative_model:
                # once per model: the files' weights are the state's (which a checkpoint holds)
                self._networks = (session.generative_model, saving.network_files(session))
            networks = self._networks[1]
        seq = self._next_sequence()
        record = {
            "run": self.run,
            "started": self.started,
            "status": ("stopped" if engine.stop_requested else "finished") if final else "running",
            "seq": seq,
            "cursor": epochs.cursor(cur),
            "target": engine.target,
            "pending": engine.pending(),
            "folder": self.folder,
            "every": self.every,
            "final": final,
            "time": time.time(),
        }
        cap = saving.capture(session, data=self._data[1], networks=networks, checkpoint=record)
        self._last_step, self._last_epoch, self._due_from = engine.step, engine.epoch, time.monotonic()
        self._last_final = final
        return os.path.join(self.folder, f"ckpt-{seq:06d}-step{engine.step}.nbgen"), cap

    def _next_sequence(self) -> int:
        try:
            files = checkpoints(self.folder)
        except OSError:
            files = []
        last = int(NAME.match(os.path.basename(files[-1])).group(1)) if files else 0
        self._seq = max(getattr(self, "_seq", 0), last) + 1
        return self._seq

    def _submit(self, job: tuple[str, saving.Capture]) -> None:
        """Hand ``job`` to the writer thread (started when there is none: it stays a while, so
        that a checkpoint does not wait for a thread to start)."""
        with self._writer_lock:
            if self._jobs is None:
                self._jobs = queue.SimpleQueue()
                threading.Thread(target=self._writer, args=(self._jobs,), name="nbgen-checkpoint", daemon=True).start()
            self._jobs.put(job)

    def _writer(self, jobs: queue.SimpleQueue) -> None:
        while True:
            try:
                job = jobs.get(timeout=WRITER_IDLE)
            except queue.Empty:
                with self._writer_lock:
                    if jobs.empty():
                        self._jobs = None
                        return
                continue
            self._write(job)

    # -- in the writer thread (or the training thread, at a run's end) ------------------------------
    def _write(self, job: tuple[str, saving.Capture]) -> None:
        path, cap = job
        try:
            saving.write(cap, path)
        except Exception as exc:  # noqa: BLE001 - kept and shown; training goes on
            self._failed(exc, path)
        else:
            self.last_path, self.error = path, None
            self.written += 1
            self._record(cap, path)  # before pruning: the history never names a deleted file
            self._prune()
        finally:
            self._idle.set()

    def _record(self, cap: saving.Capture, path: str) -> None:
        """Record the run in the run history (nbgen.runs()); a failure is warned of, once."""
        try:
            data_meta = (cap.data() if callable(cap.data) else cap.data)[0]
            meta = {**cap.meta, "data": data_meta}
            runlog.record(meta, path, meta["checkpoint"]["status"])
        except Exception as exc:  # noqa: BLE001 - the checkpoint is written; the history is a convenience
            if self.record_error is None:
                warnings.warn(
                    f"the run could not be recorded in {runlog.database()!r} ({type(exc).__name__}: {exc}); its "
                    f"checkpoints are written ({path!r}) but nbgen.runs() will not list it",
                    RuntimeWarning,
                    stacklevel=2,
                )
            self.record_error = exc
        else:
            self.record_error = None

    def _prune(self) -> None:
        for old in checkpoints(self.folder)[:-KEEP]:
            try:
                os.remove(old)
            except OSError:
                pass

    def _failed(self, exc: BaseException, path: str) -> None:
        message = describe_failure(exc, path)
        first = self.error is None
        self.error = CheckpointError(message, getattr(exc, "errno", None))
        self.error.__cause__ = exc
        self._last_step = -1  # try again when next due
        if first:
            warnings.warn(message, RuntimeWarning, stacklevel=2)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a checkpoint being written; False when ``timeout`` passed first."""
        return self._idle.wait(timeout)


class _Once:
    """A function's result, made on first call (in the writer thread) and kept."""

    def __init__(self, fn: Any):
        self._fn, self._value, self._lock = fn, None, threading.Lock()

    def __call__(self) -> Any:
        with self._lock:
            if self._value is None:
                self._value = self._fn()
            return self._value


__all__ = ["CheckpointError", "Checkpointer", "checkpoints", "latest"]
