"""Pictures of a run kept as it trains: what the views' step slider scrubs back through, and
what ``figure(step=...)`` and ``snapshot(step=...)`` draw.

A *frame* holds the rows the views draw from the model at one step, in the data's units: the
samples from the views' fixed noise (:data:`SAMPLE_SEED`; one row of samples per class for a
conditional model, per code value for a GAN's categorical code) and, for a model that
reconstructs images, the reconstructions of the first validation images. A run takes one at
the first dispatch boundary at or after each due step (step 1, then each time the step has
grown by :data:`GROWTH`), in the training thread, and one when the run ends: so early
training, where most happens, is as well kept as late training. A shown session keeps frames
(``nbgen.show``); a headless one when asked (``session.frames.start()`` before it trains): a
frame's first draw compiles the model's sampler (up to 0.5 s of a fresh process's run on the
2-core test machine: benchmarks/frames_cost.py), which a script that never looks back should
not pay.

The frames stay within :data:`MAX_FRAMES` and :data:`BUDGET_BYTES`: past either, the frame
whose removal leaves the most even spacing in log(step) goes (never the first or the last).
A frame costs one draw of the samples (a few ms for the built-in models on the 2-core test
machine; ``benchmarks/live_view.py`` measures the run's speed with it on). ``reset`` and
``rebind`` start afresh, as the history does.
"""

from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ._blas import one_blas_thread

if TYPE_CHECKING:
    from .session import Session

SAMPLE_SEED = 12345  # fixed noise, so that frames show the model change and not the noise
SAMPLES_SIDE = 4  # image samples: a 4 x 4 grid (a row per class or code value when conditional)
POINTS = 1000  # 2-D data: generated points per frame, as the data panel draws
RECONSTRUCTIONS = 8  # the first validation images, and what the model makes of them
GROWTH = 1.25  # a frame is due when the step has grown by this factor since the last one
MAX_FRAMES = 48
BUDGET_BYTES = 16 * 2**20
FID_SHARE = 0.03  # the live FID curve takes at most this share of a run's time (nbgen.sample_quality)


def view_samples(session: Session, label: Any = None) -> tuple[np.ndarray, int]:
    """The samples the views draw (data units) and the columns of their grid: ``label`` picks a
    class of a conditional model (None: a row per class)."""
    model = session.generative_model
    n = POINTS if not session.dataset.is_image else SAMPLES_SIDE**2
    if model.conditional and label is not None:
        return session.sample(n, seed=SAMPLE_SEED, label=label), SAMPLES_SIDE
    if model.conditional and session.dataset.is_image:
        labels = np.repeat(np.arange(model.n_classes), SAMPLES_SIDE)
        return session.sample(len(labels), seed=SAMPLE_SEED, label=labels), SAMPLES_SIDE
    if "code" in model.sample_keywords and session.dataset.is_image:  # a GAN's InfoGAN code: a row per value
        codes = np.repeat(np.arange(session.hyperparameters["code_classes"]), SAMPLES_SIDE)
        return session.sample(len(codes), seed=SAMPLE_SEED, code=codes), SAMPLES_SIDE
    return session.sample(n, seed=SAMPLE_SEED), SAMPLES_SIDE


def take(session: Session) -> dict[str, np.ndarray]:
    """What the views draw from the model now: ``"samples"`` and ``"reconstructions"`` rows."""
    model, ds = session.generative_model, session.dataset
    out: dict[str, np.ndarray] = {}
    if model.can("sample"):
        out["samples"] = np.asarray(view_samples(session)[0], dtype=np.float32)
    if model.can("reconstruct") and ds.is_image and not model.conditional:
        originals = ds.to_rows(ds.model_val[:RECONSTRUCTIONS])
        out["reconstructions"] = np.asarray(session.reconstruct(originals), dtype=np.float32)
    return out


class Frames:
    """A run's frames, by step (see the module's docstring); ``attach`` records a session's runs."""

    def __init__(self, max_frames: int = MAX_FRAMES, budget_bytes: int = BUDGET_BYTES):
        if max_frames < 2:
            raise ValueError(f"max_frames must be at least 2 (the first and the last), got {max_frames!r}")
        self.max_frames, self.budget_bytes = max_frames, budget_bytes
        self._frames: dict[int, dict[str, np.ndarray]] = {}
        self._lock = threading.Lock()
        self.next_due = 1
        self.recording = False
        # 2-D data: KL(real || generated) and JS (nats, grid density estimates) at each frame's step
        self.divergence: dict[int, tuple[float, float]] = {}
        # digits and mnist5k: the FID of LIVE_SAMPLES samples (fixed noise) at each frame's step, and
        # its floor (training rows against the held-out rows: nbgen.sample_quality.live_reference)
        self.fid: dict[int, float] = {}
        self.fid_floor: float | None = None
        self._reference: tuple[Any, Any] | None = None  # (the data set, live_reference of it)
        self._fid_next = 0.0  # perf_counter time before which no FID is measured (but at a run's end)

    def start(self) -> None:
        """Keep frames from now on (a shown session does already)."""
        self.recording = True

    @property
    def steps(self) -> list[int]:
        """The steps that have a frame, in order."""
        with self._lock:
            return sorted(self._frames)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return sum(a.nbytes for f in self._frames.values() for a in f.values())

    def at(self, step: int) -> tuple[int, dict[str, np.ndarray]]:
        """The frame at ``step``, or the last one before it: (its step, its rows by name)."""
        with self._lock:
            kept = [s for s in self._frames if s <= step]
            if not kept:
                first = min(self._frames, default=None)
                raise ValueError(
                    f"step: no frame at or before step {step!r}"
                    + (f"; the first is at step {first}" if first is not None else ": this run kept none (a shown "
                       "session keeps frames; headless, call session.frames.start() before training)")
                )  # fmt: skip
            s = max(kept)
            return s, dict(self._frames[s])

    def add(self, step: int, frame: dict[str, np.ndarray]) -> None:
        """Keep ``frame`` for ``step`` and thin the frames to the budget."""
        if not frame:
            return
        with self._lock:
            self._frames[int(step)] = frame
            self.next_due = max(self.next_due, math.ceil(step * GROWTH), step + 1)
            self._thin()

    def _thin(self) -> None:
        def size() -> int:
            return sum(a.nbytes for f in self._frames.values() for a in f.values())

        while len(self._frames) > 2 and (len(self._frames) > self.max_frames or size() > self.budget_bytes):
            s = sorted(self._frames)
            logs = [math.log(max(v, 1)) for v in s]
            # drop the interior frame whose neighbours are closest in log(step)
            i = min(range(1, len(s) - 1), key=lambda j: logs[j + 1] - logs[j - 1])
            del self._frames[s[i]]

    def _try(self, measure: Any) -> None:
        try:
            measure()
        except Exception:  # noqa: BLE001 - a curve must never stop training
            pass

    @one_blas_thread()  # numpy beside training: its BLAS threads spun against XLA's (nbgen._blas)
    def _measure_fid(self, session: Session, step: int, final: bool) -> None:
        """The live FID at ``step`` (digits and mnist5k; nothing for other data), within
        :data:`FID_SHARE` of the run's time (benchmarks/live_fid.py: what it adds to a run; the early
        frames come a few dispatches apart): always at a run's end."""
        from .sample_quality import LIVE_SAMPLES, live_fid, live_reference

        now = time.perf_counter()
        if not final and now < self._fid_next:  # the last one's cost, paid back at FID_SHARE
            return

        if self._reference is None or self._reference[0] is not session.dataset:
            self._reference = (session.dataset, live_reference(session))
        reference = self._reference[1]
        if reference is None:
            return
        real, self.fid_floor = reference
        # in draws of the views' size: one compiled sampler serves both (a draw of another size
        # would compile one more for every new session: most of a short run's time)
        n = SAMPLES_SIDE**2
        draws = session._sample_draws(n, [SAMPLE_SEED + i for i in range(-(-LIVE_SAMPLES // n))])
        self.fid[step] = live_fid(session, real, draws[:LIVE_SAMPLES])
        self._fid_next = now + (time.perf_counter() - now) / FID_SHARE

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self.divergence.clear()
            self.fid.clear()
            self._fid_next = 0.0
            self.next_due = 1

    def attach(self, session: Session) -> None:
        """Record ``session``'s runs at its engine's dispatch boundaries (the training thread): a
        frame at each due step and one when a run ends; none kept across a ``reset``/``rebind``."""

        def at_boundary(cur: Any, final: bool) -> None:
            step = session.run.step
            if not self.recording or step < 1 or not (final or step >= self.next_due):
                return
            with self._lock:
                kept = step in self._frames
            if kept:  # a run that ends on a kept step: its FID is due even if the time share skipped it
                if final and step not in self.fid and "samples" in self._frames.get(step, {}):
                    self._try(lambda: self._measure_fid(session, step, True))
                return
            try:
                frame = take(session)
                ds = session.dataset
                if ds.features == 2 and "samples" in frame:  # GAN Lab's divergence curve, on the same draw
                    from .sample_quality import kl_js_2d

                    self.divergence[step] = kl_js_2d(ds.x_val[:POINTS], frame["samples"].reshape(-1, 2))
                elif "samples" in frame:
                    self._measure_fid(session, step, final)
                self.add(step, frame)
            except Exception:  # noqa: BLE001 - a picture must never stop training
                self.next_due = max(self.next_due, math.ceil(step * GROWTH) + 1)

        def on_event(event: dict[str, Any]) -> None:
            if event.get("type") == "reset":  # a new engine: its runs start afresh
                self.clear()
                session.engine.boundary_hooks.append(at_boundary)

        session.engine.boundary_hooks.append(at_boundary)
        session.subscribe(on_event)
