"""What views read of a run (:class:`Run`), and what a session asks of its view (:class:`View`).

The widget, its plots and panels, the status line and the metrics read a session's training
state through ``session.run`` (a :class:`Run`), never through the engine itself, as each of
livelossplot's outputs gets only the logger: a view cannot start, stop or change a run by
accident, and the engine can change its insides without touching a view. A new ``Run`` is
made with each new engine (``reset``, ``rebind``), so ``run is not last_run`` tells a view
that the history started afresh.

A session calls its view (``session.widget``: the live widget of ``nbgen/ui/widget.py``, or the
static view of ``nbgen/ui/pictures.py`` where widgets cannot render) only through :class:`View`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .engine import Engine


class Run:
    """A read-only window on one engine: where the run is, its settings and its weights."""

    __slots__ = ("_engine",)

    def __init__(self, engine: Engine):
        self._engine = engine

    @property
    def step(self) -> int:
        """Optimizer updates so far."""
        return self._engine.step

    @property
    def epoch(self) -> int:
        return self._engine.epoch

    @property
    def batch_size(self) -> int:
        return self._engine.batch_size

    @property
    def planned_steps(self) -> int:
        """The step at which the run going on (or the last one) ends as planned."""
        return int(self._engine.total_steps_planned)

    @property
    def samples_per_sec(self) -> float:
        """The training speed over the last dispatches (NaN before the first)."""
        return self._engine.samples_per_sec

    @property
    def hp(self) -> Mapping[str, Any]:
        """The hyperparameters in force (read-only)."""
        return MappingProxyType(self._engine.hp)

    @property
    def settings(self) -> dict[str, Any]:
        """The hyperparameters as the run was set up: the learning rate before the anneal drop."""
        return self._engine.settings()

    @property
    def pending(self) -> frozenset[str]:
        """The names of changes requested and not yet applied (a slider keeps the user's value)."""
        return frozenset(self._engine.pending())

    @property
    def live(self) -> frozenset[str]:
        """The live values the compiled steps read (``"update"``: a GAN's D/G alternation)."""
        return frozenset(self._engine.live)

    @property
    def params(self) -> Any:
        """The trained parameters now (JAX arrays: a new tree after each dispatch, never mutated)."""
        return self._engine.state["params"]

    @property
    def version(self) -> int:
        """Changes whenever the training state is replaced (a dispatch, a rollback, a restore)."""
        return id(self._engine.state)


class View(Protocol):
    """What a session asks of the view that shows it."""

    def draw_now(self) -> None:
        """Bring the live views up to date (after a blocking run, in the caller's thread)."""

    def refresh_snapshot(self) -> None:
        """Redraw the static picture shown beside the widget (a saved notebook shows it)."""

    def settle(self) -> None:
        """After a blocking run, in the caller's thread: the run's final draw and picture, once."""

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait for a draw in progress to end (at exit, before the process stops); True if done."""

    def close(self) -> None:
        """Close the view (``session.close()``)."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        """What IPython displays for the session: the view's own display data."""
