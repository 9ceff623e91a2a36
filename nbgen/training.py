"""Training a session: ``train`` (blocking or in a background thread), ``train_async``,
``wait``, ``pause``, ``resume``, ``stop``, the run's ``status`` and ``error``; and, at
interpreter exit, stopping the runs still in flight.

These methods are a mixin of :class:`nbgen.Session` (as Keras's ``Model`` takes ``fit`` from
``Trainer``): the session holds the model, the data and the engine; this part runs the
engine's loop in a thread and says how the run ended. The thread's state is this mixin's
(``_init_training``); the class using it provides ``engine``, ``callbacks`` (the session's
Keras callbacks), ``widget`` (its view, or None), ``subscribe`` and ``_emit``. A reset or
a loaded run sets ``_status`` and ``_error`` afresh.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
import time
import weakref
from typing import Any

from . import _config

_RUNS: list[weakref.ref] = []  # every session made in this process, in order (weakly held)


def track(session: Any) -> None:
    """Count ``session`` among this kernel's sessions (:func:`runs`; stopped at exit)."""
    _RUNS.append(weakref.ref(session))


def runs() -> list[Any]:
    """The sessions of this kernel that are still alive, oldest first (the widget's Compare tab)."""
    alive = [r() for r in _RUNS]
    _RUNS[:] = [r for r, s in zip(_RUNS, alive) if s is not None]
    return [s for s in alive if s is not None]


def _stop_runs_at_exit(timeout: float = 60.0) -> None:
    """At interpreter exit, stop background runs and wait for their threads.

    Without this, a script that ends (or raises) while a run trains in the background
    aborts: at finalization CPython ends daemon threads with ``pthread_exit``, whose
    unwinding through JAX's C++ frames is caught there and not rethrown, so glibc kills the
    process ("FATAL: exception not rethrown", status 134) instead of exiting with the
    script's status and traceback. atexit hooks run before that, while threads still run.
    """
    sessions = [s for s in runs() if s.running]
    for s in sessions:
        s.engine.stop()
    deadline = time.monotonic() + timeout
    for s in sessions:
        s._join(max(deadline - time.monotonic(), 0.0))
    for s in runs():  # a view's last draw may be sampling from the model
        if s.widget is not None:
            s.widget.flush(max(deadline - time.monotonic(), 0.0))


atexit.register(_stop_runs_at_exit)


class Training:
    """The training methods of :class:`nbgen.Session` (see the module's docstring)."""

    def _init_training(self) -> None:
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._done.set()  # no run in flight
        self._told = threading.Event()  # the last run's final status event has been sent to every listener
        self._told.set()
        self._error: BaseException | None = None
        self._status = "idle"

    @property
    def status(self) -> str:
        """One of "idle", "running", "paused", "stopped", "finished", "error"."""
        if self._status == "running" and self.engine.paused:
            return "paused"
        return self._status

    @property
    def error(self) -> BaseException | None:
        """The exception that ended the last run, if any."""
        return self._error

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    def train(
        self, epochs: int | None = None, block: bool = True, callbacks: Any = None, steps: int | None = None
    ) -> None:
        """Train for ``epochs`` more epochs (default: the ``epochs`` hyperparameter), or for
        exactly ``steps`` more optimizer steps (``train(steps=1)``: one step; the run may end
        inside an epoch, and the next one goes on from there, so that stepping and training
        make the same run as training alone: ``replay()`` equals it).

        With ``block=True`` the call returns when training ends and re-raises an error
        that ended it; with ``block=False`` it returns at once (training runs in a
        background thread; use ``wait()``). Ctrl-C / kernel interrupt while blocking
        stops the run cleanly. ``callbacks``: Keras callbacks for this run, besides the
        session's own ``callbacks`` (see :mod:`nbgen.callbacks`).

        On a session already training in the background (``show(autostart=True)``,
        ``train(block=False)``), ``train()`` with ``block=True`` and no ``epochs`` waits for
        that run, as ``wait()`` does; anything else raises (the run is not changed).
        """
        from .callbacks import check, check_rates

        run_callbacks = [*self.callbacks, *check(callbacks)]
        check_rates(self, run_callbacks)  # before anything runs: the session stays as it is
        if self.running:
            if block and epochs is None and self.status == "running":
                try:  # the run in flight is the run asked for: block on it
                    self.wait()
                finally:
                    self._settle_view()
                return
            asked = f"train(epochs={epochs!r}, block={block!r})"
            if self.status == "paused":
                advice = "its run is paused: resume() it, then wait() for it to end, or stop() it"
            elif epochs is not None:
                advice = f"wait() for the run to end, then train({epochs}) more; or stop() it first"
            else:
                advice = "wait() for the run to end, or pause(), resume() or stop() it"
            raise RuntimeError(f"this session is already training: {advice} ({asked} was not started)")
        if steps is not None:
            if epochs is not None:
                raise ValueError(f"give epochs or steps, not both (got epochs={epochs!r}, steps={steps!r})")
            steps = _config.check_int("steps", steps, 1, 10**9)
        epochs = self.engine.hp["epochs"] if epochs is None else _config.validate_value("epochs", epochs)
        self._error = None
        self._status = "running"
        self.engine.arm()  # a stop() from now on ends this run, even before it starts
        self._done, self._told = threading.Event(), threading.Event()
        self._thread = threading.Thread(
            target=self._worker, args=(epochs, self._done, run_callbacks, steps, self._told), daemon=True,
            name="nbgen-train",
        )  # fmt: skip
        self._thread.start()
        if block:
            try:
                self.wait()
            finally:
                self._settle_view()

    def _refresh_view(self) -> None:
        """After a blocking run (in the caller's thread, so a notebook being executed sees
        it), bring a shown widget's views and static snapshot up to date."""
        view = self.widget
        if view is None:
            return
        try:
            view.draw_now()
            view.refresh_snapshot()
        except Exception:  # noqa: BLE001 - the view must never break training's result
            pass

    def _settle_view(self) -> None:
        """After a blocking run, in the caller's thread: the view's final draw and static snapshot,
        once (the view's own thread may have begun them), before the call returns."""
        view = self.widget
        if view is None or self.running:  # interrupted: the run is still ending; its view follows
            return
        self._told.wait(30.0)  # the final status event has reached the view
        try:
            view.settle()
        except Exception:  # noqa: BLE001 - the view must never break training's result
            pass

    async def train_async(self, epochs: int | None = None) -> None:
        """``await session.train_async()``: blocks the cell, keeps widgets responsive."""
        self.train(epochs, block=False)
        await asyncio.get_running_loop().run_in_executor(None, self._join)
        if self._error is not None:
            raise self._error

    def _worker(
        self, epochs: int, done: threading.Event, callbacks: list | None, steps: int | None, told: threading.Event
    ) -> None:
        def run(epochs: int) -> None:
            self._status = self.engine.run(epochs, steps=steps)

        try:
            if callbacks:
                from .callbacks import Bridge

                Bridge(self, callbacks, self.engine.epoch + epochs).run(epochs, run)
            else:
                run(epochs)
        except BaseException as exc:  # surfaced by wait(), the widget and status
            self._error = exc
            self._status = "error"
        finally:
            # a change requested after the last dispatch (say, during the first compile,
            # then Stop) is applied now, so that sliders, hyperparameters and timeline agree
            self.engine.apply_pending(epoch_boundary=True)
            try:  # the user's Keras networks hold the trained weights when a run ends, as after fit()
                self.sync_weights()
            except Exception as exc:  # noqa: BLE001 - never hide the run's own outcome
                self._error = self._error or exc
            done.set()
            final = {"type": "status", "status": self._status, "step": self.engine.step, "error": self._error}
            try:
                self.engine.emit({**final, "final": True})
            finally:
                told.set()

    def _join(self, timeout: float | None = None) -> None:
        # Poll an Event rather than Thread.join: a KeyboardInterrupt inside join() can
        # leave CPython believing a live thread has ended (python/cpython#90882).
        done = self._done
        deadline = None if timeout is None else time.monotonic() + timeout
        while not done.wait(0.05):
            if deadline is not None and time.monotonic() >= deadline:
                return

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the background run to end; re-raise the error that ended it."""
        try:
            self._join(timeout)
        except KeyboardInterrupt:
            self.stop()
            raise
        if self._error is not None and not self.running:
            raise self._error

    def pause(self) -> None:
        """Pause after the current step; ``resume()`` continues."""
        self.engine.pause()

    def resume(self) -> None:
        self.engine.resume()

    def stop(self, wait: bool = True) -> None:
        """Stop after the current step; weights and history are kept."""
        self.engine.stop()
        if wait:
            self._join()
