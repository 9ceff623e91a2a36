"""nbgen's functions that make a session for you: ``train`` (headless, with a progress line),
``load`` (a saved session), ``replay`` (a saved session's run, again) and ``resume`` (a
checkpointed run, continued).

They sit above :mod:`nbgen.session` (they build Sessions) and below the ui; ``nbgen/__init__.py``
gives them their public names (``nbgen.train``, ``nbgen.load``, ``nbgen.replay``). The file
format is :mod:`nbgen.saving`'s, below the session, so that ``Session.save`` can write it.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from . import checkpoint as _checkpoint
from . import progress as _progress
from . import saving
from .session import Session


def load(path: str | os.PathLike) -> Session:
    """Restore a session written by ``Session.save``: weights, config, history, timeline.

    Refuses files that are not nbgen sessions; never unpickles anything (see :mod:`nbgen.saving`).
    """
    saved = saving.read(path)
    session = Session(saved.model, saved.data, **saved.config)
    session.restore(**saved.restoration(session))
    return session


def replay(path: str | os.PathLike, block: bool = True) -> Session:
    """Load the session at ``path`` and replay its run: see :meth:`Session.replay`."""
    return load(path).replay(block=block)


def train(
    model: str = "vae",
    data: Any = "digits",
    *,
    epochs: int | None = None,
    seed: int = 0,
    progress: bool | None = None,
    **hyperparameters: Any,
) -> Session:
    """Build a session, train it headless (blocking) and return it.

    Args:
        model, data, **hyperparameters: as for :class:`Session` (``checkpoint=`` and
            ``checkpoint_every=`` too: the run written to a folder as it trains, which
            :func:`resume` continues after a crash).
        epochs: how long to train; also the session's ``epochs`` (which ``anneal`` plans for).
        seed: the random seed (weights, shuffling, sampling).
        progress: a one-line progress bar on standard error (epoch, loss, samples/s, ETA).
            Default: on in a terminal and in a notebook, off under ``CI=true`` or when
            output goes to a pipe or a file.

    Example:
        >>> s = train("autoencoder", "digits", epochs=20, latent_dim=8, progress=False)
        >>> s.evaluate()["mse"] < s.evaluate()["pca_mse"]
        True
    """
    if epochs is not None:  # the run's length is the session's ``epochs`` (and anneal's plan)
        hyperparameters["epochs"] = epochs
    session = Session(model, data, seed=seed, **hyperparameters)
    _run(session, session.hyperparameters["epochs"], progress)
    return session


def _run(session: Session, epochs: int, progress: bool | None, block: bool = True) -> None:
    """Train ``session`` ``epochs`` epochs, with the progress line when ``progress`` (None: the default)."""
    show = _progress.default_enabled() if progress is None else bool(progress)
    if not show or not block:
        session.train(epochs, block=block)
        return
    line, unsubscribe = _progress.attach(session, epochs)
    try:
        session.train(epochs)
    finally:
        unsubscribe()
        line.close(session.status)


def resume(
    path: str | os.PathLike,
    *,
    epochs: int | None = None,
    block: bool = True,
    progress: bool | None = None,
) -> Session:
    """Continue a checkpointed run (``checkpoint=`` of :class:`Session`, :func:`train`, ``show``)
    after its kernel died, or after a Stop.

    At the same total steps its history, per-step metrics, timeline and weights equal those of
    the run that never stopped: the checkpoint holds the run's position inside its epoch, and
    each step's data order and random draws are functions of the seed and the step number.

    Args:
        path: a checkpoint file, or a checkpoint folder (its latest readable checkpoint; a
            newer one that cannot be read is skipped, with a warning naming it). A file written
            by ``Session.save`` works too (its run is continued for ``epochs``).
        epochs: how many epochs to train; default: the epochs left of the interrupted run
            (none when it had finished), counting the epoch it was inside.
        block: wait for training to end (``False``: it goes on in the background).
        progress: the headless progress line, as for :func:`train`.

    Returns:
        The session. It keeps writing checkpoints to the same folder, at the same period.

    Example:
        >>> s = resume("runs/vae")  # doctest: +SKIP
    """
    from . import __version__

    saved, skipped = _checkpoint.latest(path)
    if skipped:
        warnings.warn(
            f"{len(skipped)} newer checkpoint(s) could not be read and were skipped ({', '.join(skipped)}); "
            f"resuming from {saved.path}",
            RuntimeWarning,
            stacklevel=2,
        )
    if saved.nbgen_version not in (None, __version__):
        warnings.warn(
            f"{saved.path} was written by nbgen {saved.nbgen_version}, this is nbgen {__version__}: the run goes "
            "on, but its steps may differ from those the older nbgen would have made",
            RuntimeWarning,
            stacklevel=2,
        )
    ck = saved.checkpoint or {}
    options = {"checkpoint": os.path.dirname(saved.path), "checkpoint_every": ck.get("every", 60.0)} if ck else {}
    session = Session(saved.model, saved.data, **options, **saved.config)
    session.restore(**saved.restoration(session))
    if ck:
        session.checkpointer.continue_run(saved)
        if ck.get("pending"):
            session.engine.request(ck["pending"])
    if epochs is None:
        epochs = max(int(ck.get("target", saved.record["epoch"])) - session.epoch, 0)
    if epochs:
        _run(session, epochs, progress, block=block)
    return session


__all__ = ["load", "replay", "resume", "train"]
