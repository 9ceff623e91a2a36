"""Errors of a run that spans several processes (data parallelism across hosts)."""

from __future__ import annotations

import contextlib

import jax


class DistributedError(RuntimeError):
    """A step of a run that spans several processes failed (most often: another process died)."""


@contextlib.contextmanager
def collective_errors():
    """Across processes, say what a failed collective most likely means."""
    try:
        yield
    except Exception as exc:
        if jax.process_count() <= 1:
            raise
        raise DistributedError(
            f"a training step across {jax.process_count()} processes failed in process {jax.process_index()} "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:300]}). Most often another process of this "
            "multi-host run stopped (crashed, was killed or ran out of memory): the run cannot go on; restart every "
            "process. The weights and history of the last finished step are kept in this process."
        ) from exc


__all__ = ["DistributedError", "collective_errors"]
