"""Process-wide settings: ``nbgen.config``.

``compile_cache``: the folder of JAX's persistent compilation cache, so that a fresh
process reuses what an earlier one compiled (Keras's weight initialisers, the training
step; benchmarks/first_step.py measures it). On by default, in ``$XDG_CACHE_HOME/nbgen/jax``
(``~/.cache/nbgen/jax``; entries take tens of KB and the folder can be deleted at any time;
there is no size cap: JAX's eviction needs the filelock package). ``NBGEN_COMPILE_CACHE=/some/folder``
moves it, ``NBGEN_COMPILE_CACHE=0`` turns it off, and ``nbgen.config.compile_cache =
"/some/folder"`` (or ``None``: off) does either at run time. A cache folder that the user
already gave JAX (``jax.config.update("jax_compilation_cache_dir", ...)``) is left alone.
A folder that cannot be created (a read-only home) means no cache, not an error.

``runs_dir``: the folder of ``checkpoint=True`` (each run's checkpoints in a folder of its own
there; see :mod:`nbgen.checkpoint`). ``$NBGEN_RUNS`` when set, else ``$XDG_DATA_HOME/nbgen/runs``
(``~/.local/share/nbgen/runs``): one place per user, whatever folder a notebook runs in.

History: it was opt-in for a day after a JupyterLab test lost a click in the latent panel
with the default folder full of earlier entries. The cause was a Plotly race, not the cache
(an image update during a figure's first draw kept Plotly's widget from ever listening to
clicks; nbgen/ui/plotly_bundle.py works around it); the cache only changed the timing.
"""

from __future__ import annotations

import os
import sys

OFF = ("0", "off", "false", "no", "none")


def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nbgen", "jax")


def default_runs_dir() -> str:
    value = os.environ.get("NBGEN_RUNS", "").strip()
    if value:
        return os.path.abspath(os.path.expanduser(value))
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "nbgen", "runs")


def _from_environment() -> str | None:
    value = os.environ.get("NBGEN_COMPILE_CACHE", "").strip()
    if value.lower() in OFF:
        return None
    if not value or value.lower() in ("1", "on", "true", "yes"):
        return default_cache_dir()
    return os.path.expanduser(value)


class Config:
    """nbgen's process-wide settings (see the module docstring)."""

    def __init__(self) -> None:
        self._compile_cache = _from_environment()
        self._applied = False
        self._enabled = False  # whether nbgen turned JAX's cache on
        self._runs_dir = default_runs_dir()

    @property
    def runs_dir(self) -> str:
        """The folder in which ``checkpoint=True`` makes each run's checkpoint folder."""
        return self._runs_dir

    @runs_dir.setter
    def runs_dir(self, value: str | os.PathLike) -> None:
        if not isinstance(value, (str, os.PathLike)):
            raise TypeError(f"runs_dir must be a folder path, got {type(value).__name__}")
        self._runs_dir = os.path.abspath(os.path.expanduser(os.fspath(value)))

    @property
    def compile_cache(self) -> str | None:
        """The persistent compilation cache's folder, or None when it is off."""
        return self._compile_cache

    @compile_cache.setter
    def compile_cache(self, value: str | os.PathLike | None) -> None:
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise TypeError(f"compile_cache must be a folder path or None (off), got {type(value).__name__}")
        self._compile_cache = None if value is None else os.fspath(value)
        if "jax" in sys.modules:
            self.apply()

    def apply(self) -> None:
        """Hand the setting to JAX (called when nbgen's engine loads, and on every change).

        Off means nbgen leaves JAX alone (a cache the user configures in JAX works as usual);
        only a cache that nbgen turned on is turned off again.
        """
        import jax

        current = jax.config.jax_compilation_cache_dir
        if not self._applied and current is not None:  # the user set JAX's own cache: keep it
            self._compile_cache = current
            self._applied = True
            return
        self._applied = True
        if self._compile_cache is None:
            if self._enabled:
                jax.config.update("jax_enable_compilation_cache", False)
                self._enabled = False
            return
        try:
            os.makedirs(self._compile_cache, exist_ok=True)
        except OSError:  # a read-only home: run without the cache rather than fail
            return
        jax.config.update("jax_enable_compilation_cache", True)
        jax.config.update("jax_compilation_cache_dir", self._compile_cache)
        # nbgen's steps compile in well under JAX's default threshold of 1 s: cache them all
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        self._enabled = True

    def __repr__(self) -> str:
        return f"nbgen.config(compile_cache={self._compile_cache!r}, runs_dir={self._runs_dir!r})"


config = Config()
