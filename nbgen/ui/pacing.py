"""Pacing of the live views: allow a draw at most so often, and draw in a thread.

:class:`Throttle` decides whether an action may happen now (at most once per
``interval`` seconds); :class:`ThrottledDrawer` runs a ``draw()`` callable in a
daemon thread whenever it is marked dirty, coalescing many marks into one draw
and pacing draws with a throttle, so the training thread only pays for marking
the view dirty. Neither knows anything about sessions or Plotly.
"""

from __future__ import annotations

import math
import threading
import time
import traceback
from collections.abc import Callable

DRAW_INTERVAL = 0.3  # seconds between draws: about 3 per second


class Throttle:
    """Allow an action at most once per ``interval`` seconds.

    Example:
        >>> t = Throttle(0.25, clock=lambda: 0.0)
        >>> t.ready(), t.ready()
        (True, False)
    """

    def __init__(self, interval: float = DRAW_INTERVAL, clock: Callable[[], float] = time.monotonic):
        self.interval = float(interval)
        self._clock = clock
        self._last = -math.inf

    def wait_time(self, now: float | None = None) -> float:
        """Seconds until the action is allowed again (0 when it is allowed now)."""
        now = self._clock() if now is None else now
        return max(0.0, self._last + self.interval - now)

    def mark(self, now: float | None = None) -> None:
        """Record that the action happened at ``now``."""
        self._last = self._clock() if now is None else now

    def ready(self, now: float | None = None) -> bool:
        """True (and recorded) when the action is allowed at ``now``."""
        now = self._clock() if now is None else now
        if self.wait_time(now) > 0:
            return False
        self.mark(now)
        return True


class ThrottledDrawer:
    """Call ``draw()`` in a daemon thread when marked dirty, at most once per ``interval``.

    ``mark_dirty()`` is cheap and safe from any thread (the training thread calls
    it for every event). Many marks between two draws make one draw. The thread
    starts on demand and ends after ``idle_exit`` seconds without work, so an
    idle or forgotten view holds no thread; ``close()`` ends it at once.

    Example:
        >>> drawer = ThrottledDrawer(lambda: None, interval=0.1)
        >>> drawer.mark_dirty(); drawer.wait_idle(2.0)
        True
        >>> drawer.close()
    """

    def __init__(
        self,
        draw: Callable[[], None],
        interval: float = DRAW_INTERVAL,
        idle_exit: float = 2.0,
        name: str = "nbgen-view",
        on_error: Callable[[BaseException], None] | None = None,
    ):
        self._draw = draw
        self._throttle = Throttle(interval)
        self._idle_exit = idle_exit
        self._name = name
        self._on_error = on_error
        self._cond = threading.Condition()
        self._dirty = False
        self._drawing = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.draws = 0

    @property
    def thread(self) -> threading.Thread | None:
        """The drawing thread while one runs."""
        return self._thread

    @property
    def closed(self) -> bool:
        return self._closed

    def mark_dirty(self) -> None:
        """Ask for a draw soon (within ``interval``)."""
        with self._cond:
            if self._closed:
                return
            self._dirty = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is dirty or being drawn; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._closed or not (self._dirty or self._drawing), timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop drawing and end the thread (pending draws are dropped)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _report(self, exc: BaseException) -> None:
        try:
            if self._on_error is None:
                raise exc
            self._on_error(exc)
        except Exception:  # noqa: BLE001 - the thread must survive; the traceback goes to stderr
            traceback.print_exc()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._dirty and not self._closed:
                    self._cond.wait(self._idle_exit)
                if self._closed or not self._dirty:
                    self._thread = None
                    self._cond.notify_all()
                    return
                delay = self._throttle.wait_time()
                if delay > 0:  # sleep, but wake at once on close
                    self._cond.wait_for(lambda: self._closed, delay)
                    continue
                self._dirty = False
                self._drawing = True
            self._throttle.mark()
            try:
                self._draw()
            except Exception as exc:  # noqa: BLE001 - a broken draw must not kill the view thread
                self._report(exc)
            finally:
                with self._cond:
                    self._drawing = False
                    self.draws += 1
                    self._cond.notify_all()
