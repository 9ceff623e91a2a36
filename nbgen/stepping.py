"""Stepping a session, as GAN Lab and TensorFlow Playground let a student do: ``step_once``
(exactly n optimizer steps; for a GAN the discriminator only or the generator only),
``dispatch_once`` (the steps of one compiled call) and ``slow_motion`` (a pause between
dispatches of one step each).

A mixin of :class:`nbgen.Session`, built on ``train(steps=n)``: a run of n steps that may end
inside an epoch, which the next run takes up, so that stepping and training make the same run
as training alone. A GAN's ``part`` is its live ``update`` value (1: D only, 2: G only) for
that run, set and set back through the engine's mailbox: the timeline records both changes
at their steps, so ``replay()`` updates the same networks at the same steps.
"""

from __future__ import annotations

import math
from typing import Any

from . import _config

PARTS = {None: 0, "both": 0, "d": 1, "discriminator": 1, "g": 2, "generator": 2}
MAX_DELAY = 10.0  # seconds: slow motion's slowest


class Stepping:
    """``step_once``, ``dispatch_once`` and ``slow_motion``; the class using it provides
    ``engine``, ``kind``, ``running`` and ``train``."""

    engine: Any

    def _part(self, part: Any) -> int:
        if part not in PARTS:
            raise ValueError(f"part must be one of None, 'both', 'd' (discriminator), 'g' (generator); got {part!r}")
        if PARTS[part] and "update" not in self.engine.live:
            raise ValueError(
                f"part={part!r} needs a model with a discriminator and a generator (a GAN); "
                f"this session's model is {self.kind}: use part=None"
            )
        return PARTS[part]

    def step_once(self, n: int = 1, part: str | None = None, block: bool = True) -> None:
        """Exactly ``n`` optimizer steps (``session.step`` advances by ``n``).

        Args:
            n: how many steps (default one).
            part: a GAN's networks to update: ``None`` (both, as in training), ``"d"`` (the
                discriminator only: its ``d_steps`` updates, the generator unchanged) or
                ``"g"`` (the generator only). Recorded in the timeline; replay repeats it.
            block: wait for the steps (``False``: in the background, as ``train``).

        Example:
            >>> s = nbgen.Session("gan", "moons")
            >>> s.step_once(part="d")
            >>> s.step
            1
        """
        code = self._part(part)
        n = _config.check_int("n", n, 1, 10**9)
        if self.running:
            raise RuntimeError("this session is already training: pause() or stop() it, then step")
        self.engine.part_next = code
        try:
            self.train(steps=n, block=block)  # the run takes part_next (and sets it back to 0)
        except BaseException:
            if not self.running:  # a run that did not start: the next one is a plain one
                self.engine.part_next = 0
            raise

    def dispatch_once(self, part: str | None = None, block: bool = True) -> int:
        """The steps of one dispatch (one compiled call: about 0.1 s of training, one step
        until the step time is known, and in slow motion); returns how many it ran.

        Example:
            >>> s = nbgen.Session("vae", "digits")
            >>> s.dispatch_once()
            1
        """
        n = self.engine.dispatch_size()
        self.step_once(n, part=part, block=block)
        return n

    @property
    def slow_motion(self) -> float:
        """Seconds of pause after each dispatch, each dispatch then one step (0: full speed).
        Only the pace changes: a step's result does not depend on how steps are dispatched."""
        return self.engine.delay

    @slow_motion.setter
    def slow_motion(self, seconds: float) -> None:
        ok = isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and math.isfinite(seconds)
        if not ok or not 0 <= seconds <= MAX_DELAY:
            raise ValueError(f"slow_motion must be seconds between 0 and {MAX_DELAY:g}, got {seconds!r}")
        self._delay = self.engine.delay = float(seconds)
