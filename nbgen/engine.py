"""The training loop: owns the state, applies live changes, pauses, stops, emits events.

Why not ``model.fit``: a GAN needs two optimizers, live hyperparameters must be step inputs
rather than trace-time constants, and a view needs pause/stop at any step (see shared notes).
So the engine runs its own loop over Keras's stateless API:

- the training data sit on the device once;
- one dispatch runs a loop of steps on the device (no Python per step), with the live
  hyperparameters passed in as arguments, so a change never recompiles and takes effect at
  the first step of the next dispatch;
- a dispatch runs about DISPATCH_SECONDS of training (at most ``steps_per_dispatch`` steps,
  sized from the measured step time; the first is one step, so the first loss point comes right
  after compilation) and runs on across epoch boundaries of a small data set unless something is
  due there (a pending change, the anneal drop, a replayed change, the run's end, a pause); the
  epoch's validation pass runs inside the dispatch, at the step that ends it;
- each step's randomness comes from its global step number, so how steps are grouped into
  dispatches never changes a result;
- between dispatches the engine reads its mailbox (live changes, pause, stop), checks that the
  losses are finite (else it rolls back and stops) and emits events to its listeners.

Events are plain dicts with a ``"type"`` key; listeners run in the training thread and must be
cheap (views copy what they need and draw elsewhere).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .compiled import compiled_steps
from .data import Dataset
from .distributed import collective_errors
from .divergence import diverged_message
from .epochs import Epoch, cursor, epoch_rows, plan
from .events import Event
from .models.base import GenerativeModel

Listener = Callable[["Event"], None]  # nbgen.events: one typed description of the events
EVAL_ROWS = 2000  # rows of the validation split used for per-epoch metrics
DISPATCH_SECONDS = 0.1  # a dispatch runs about this long (at most steps_per_dispatch steps)


class TrainingDiverged(FloatingPointError):
    """A loss became NaN or infinite; the weights were rolled back."""


class Engine:
    def __init__(self, model: GenerativeModel, dataset: Dataset, hp: dict[str, Any]):
        self.model = model
        self.dataset = dataset
        self.hp = dict(hp)
        self.seed = int(hp["seed"])
        self.state = model.init_state()
        self.step = 0
        self.epoch = 0
        self.history: dict[str, list[float]] = {}
        self.steps: dict[str, list[float]] = {"step": [], **{m: [] for m in model.metric_names}}
        self.timeline: list[dict[str, Any]] = []
        self.epoch_ends: list[int] = []  # the step at which each epoch ended (a stop can cut one short)
        # replay: timeline records to re-apply at their steps, and each epoch's end step
        self.schedule: list[dict[str, Any]] = []
        self.planned_epoch_ends: list[int] | None = None
        self._live_rows = {n: model.table[n] for n in model.live_names}
        self.live = {name: hp[name] for name in self._live_rows if name in hp}
        self.batch_size = int(hp["batch_size"])
        self.chunk = int(hp["steps_per_dispatch"])
        self._data = (
            None if dataset.streaming else jnp.asarray(model.training_rows(dataset.model_train, dataset.targets("train")))
        )
        self.mesh = None
        self._rows_sharding = None
        if hp.get("distribution") == "data_parallel":
            self._setup_data_parallel()
        n_eval = min(EVAL_ROWS, len(dataset.model_val))
        y_val = dataset.targets("val")
        self._val = jnp.asarray(model.training_rows(dataset.model_val[:n_eval], None if y_val is None else y_val[:n_eval]))
        self._key = jax.random.key(self.seed)
        self._val_key = jax.random.key(self.seed + 1)  # folded with the epoch: each epoch's validation draw
        self._lock = threading.Lock()
        self._pending: dict[str, Any] = {}
        self._pending_by: dict[str, str] = {}  # who asked for each pending change
        self.hold_at_epoch_ends = False  # Keras callbacks: every epoch ends a dispatch (they act there)
        self.part_next = 0  # the next run only: a GAN's "update" (1: D only, 2: G only), set back after
        self.delay = 0.0  # slow motion: seconds between dispatches, each one step (0: full speed)
        self._running = threading.Event()  # set while not paused
        self._running.set()
        self._stop = threading.Event()
        self.listeners: list[Listener] = []
        # called in the training thread at each dispatch boundary, as hook(epoch cursor or None,
        # final): final when the run ends, before a stop cuts its epoch short (nbgen.checkpoint)
        self.boundary_hooks: list[Callable[[Epoch | None, bool], None]] = []
        self.target = 0  # the epoch count at which the current (or last) run ends
        self._cursor: dict[str, Any] | None = None  # a restored position inside an epoch
        self._limit: int | None = None  # the step at which a train(steps=n) run ends
        self.samples_per_sec = float("nan")
        self._step_seconds = float("nan")  # measured seconds per step, to size dispatches
        self.dispatches = 0  # compiled calls made (a dispatch may span several short epochs)
        self.total_steps_planned = 0
        self._chunk_fn, self._eval_fn, self.one_step = compiled_steps(model, hp)
        self.device: Any = None  # set by place_on

    def _setup_data_parallel(self) -> None:
        """Replicate weights and data over all JAX devices and split each batch across them.

        Only the batch's row indices are sharded; XLA's SPMD partitioner propagates the split through
        the forward and backward pass and all-reduces the gradients. On several hosts, call
        ``jax.distributed.initialize()`` first: each process then feeds the same (seeded) indices."""
        from jax.sharding import Mesh, NamedSharding, PartitionSpec

        devices = np.array(jax.devices())
        self.mesh = Mesh(devices, ("batch",))
        replicated = NamedSharding(self.mesh, PartitionSpec())
        self._rows_sharding = NamedSharding(self.mesh, PartitionSpec(None, "batch"))
        self.state = jax.device_put(self.state, replicated)
        if self._data is not None:
            self._data = jax.device_put(self._data, replicated)
        self.batch_size = self._fit_batch(self.batch_size)
        self.hp["batch_size"] = self.batch_size

    def place_on(self, device: Any) -> None:
        """Keep this run's weights and data on one JAX ``device`` (``jax.local_devices()[i]``):
        its steps then run there, beside other runs on other devices (``nbgen.sweep``)."""
        if self.mesh is not None:
            raise ValueError("a data-parallel session already spreads over every device: it cannot be placed on one")
        self.state = jax.device_put(self.state, device)
        if self._data is not None:
            self._data = jax.device_put(self._data, device)
        self._val = jax.device_put(self._val, device)
        self.device = device  # a Reset of the session builds its next engine there too

    def restore(
        self,
        state: Any,
        step: int,
        epoch: int,
        history: dict[str, list[float]],
        steps: dict[str, list[float]],
        timeline: list[dict[str, Any]],
        epoch_ends: list[int],
        cursor: dict[str, Any] | None = None,
    ) -> None:
        """Take up a saved run (``nbgen.load``): its training state (a tree shaped like this
        engine's), step and epoch, and its record, added to this new engine's. ``cursor`` (a
        checkpoint's :meth:`cursor`): the next run first finishes that epoch where it was."""
        self._cursor = cursor
        self.state = state
        self.step = int(step)
        self.epoch = int(epoch)
        self.history.update({k: list(v) for k, v in history.items()})
        self.steps.update({k: list(v) for k, v in steps.items()})
        self.timeline.extend(timeline)
        self.epoch_ends.extend(int(e) for e in epoch_ends)

    def _fit_batch(self, batch_size: int) -> int:
        """With data parallelism, round a batch down to a multiple of the device count."""
        if self.mesh is None:
            return batch_size
        n = self.mesh.size
        if batch_size % n == 0:
            return batch_size
        fitted = max(n, batch_size - batch_size % n)
        import warnings

        warnings.warn(
            f"batch_size={batch_size} does not divide over {n} devices; using batch_size={fitted}, "
            f"the nearest multiple of {n} (set batch_size to a multiple of {n} to silence this)",
            stacklevel=2,
        )
        return fitted

    def _batch_source(self, rows: np.ndarray):
        """The array the steps gather from, and the row indices into it.

        In memory: the whole training set (on the device once) and the rows as they are.
        Streaming: just this dispatch's rows, read from the source now.
        """
        if not self.dataset.streaming:
            return self._data, rows
        flat = self.dataset.model_train[rows.reshape(-1)]
        bad = ~np.isfinite(flat)
        if bad.any():
            row = int(self.dataset.model_train.rows_of(rows.reshape(-1)[np.argwhere(bad)[0][0]])[0])
            raise ValueError(f"data row {row} holds NaN or inf: remove or impute it (found while streaming)")
        return jnp.asarray(flat), np.arange(rows.size, dtype=np.int32).reshape(rows.shape)

    def _put_rows(self, rows: np.ndarray):
        if self._rows_sharding is None:
            return rows
        return jax.device_put(rows, self._rows_sharding)

    # -- mailbox ---------------------------------------------------------------
    def request(self, changes: dict[str, Any], by: str = "set") -> None:
        """Queue validated live changes; they apply at the next step (dispatch). ``by`` says who
        made them in the timeline (``"set"``: the user, ``"callback"``: a Keras callback)."""
        with self._lock:
            self._pending.update(changes)
            self._pending_by.update(dict.fromkeys(changes, by))

    def pending(self) -> dict[str, Any]:
        """Changes requested but not yet applied."""
        with self._lock:
            return dict(self._pending)

    def apply_pending(self, epoch_boundary: bool) -> None:
        with self._lock:
            if not self._pending:
                return
            pending = dict(self._pending)
            keep = {}
            for name, value in pending.items():
                if name == "batch_size" and not epoch_boundary:
                    keep[name] = value
                    continue
                old = self.hp.get(name)
                if name == "batch_size":
                    value = self._fit_batch(int(value))
                    self.batch_size = value
                    self.hp["batch_size"] = value
                elif name in ("epochs", "anneal"):  # read at epoch boundaries and by train()
                    self.hp[name] = value
                else:
                    self.live[name] = value
                    self.hp[name] = value
                if old != value:
                    self._record_change(name, old, value, self._pending_by.pop(name, "set"))
            self._pending = keep

    def follow(self, timeline: list[dict[str, Any]], epoch_ends: list[int]) -> None:
        """Replay: make this new engine's runs repeat another's, re-applying ``timeline``'s
        changes at their steps (but the anneal drop, which this engine makes itself) and ending
        each epoch at the step ``epoch_ends`` gives."""
        self.schedule = [dict(r) for r in timeline if r.get("by") != "anneal"]
        self.planned_epoch_ends = list(epoch_ends)

    def _apply_scheduled(self) -> None:
        """Replay: apply the recorded changes made at this step, one by one (as they were made)."""
        due = [r for r in self.schedule if r["step"] <= self.step]
        self.schedule = [r for r in self.schedule if r["step"] > self.step]
        for r in due:  # one at a time: two changes of one name at one step stay two records, as made
            self.request({r["name"]: r["new"]}, by=r.get("by", "set"))
            self.apply_pending(epoch_boundary=False)  # (a batch_size still waits for the epoch's end)

    def _planned_end(self) -> int | None:
        """Replay: the step at which the original run's current epoch ended."""
        if self.planned_epoch_ends is None or self.epoch >= len(self.planned_epoch_ends):
            return None
        return self.planned_epoch_ends[self.epoch]

    def _record_change(self, name: str, old: Any, new: Any, by: str) -> None:
        record = {
            "step": self.step,
            "epoch": self.epoch,
            "name": name,
            "old": old,
            "new": new,
            "by": by,
            "time": time.time(),
        }
        self.timeline.append(record)
        self.emit({"type": "change", **record})

    def _anneal_due(self, epoch: int) -> bool:
        """Whether the learning-rate drop of ``anneal`` is due at the start of epoch ``epoch``:
        once the session's epoch count reaches ``epochs - round(anneal * epochs)``, and once per
        session (also after load)."""
        fraction = self.hp.get("anneal") or 0.0
        epochs = int(self.hp["epochs"])
        if not fraction or epoch < epochs - round(fraction * epochs):
            return False
        return not any(r.get("by") == "anneal" for r in self.timeline)

    def settings(self) -> dict[str, Any]:
        """The hyperparameters as settings: the learning rate before the anneal drop, which is a
        schedule of the run (a new run makes it itself), not a setting."""
        hp = dict(self.hp)
        lr_changes = [r for r in self.timeline if r["name"] == "learning_rate"]
        if lr_changes and lr_changes[-1]["by"] == "anneal":
            hp["learning_rate"] = lr_changes[-1]["old"]
        return hp

    def _anneal_if_due(self) -> None:
        """The learning-rate drop of ``anneal`` (see ``_anneal_due``): learning_rate becomes a
        tenth of its value, recorded in the timeline (``by="anneal"``) like a change made with
        ``set``."""
        if not self._anneal_due(self.epoch):
            return
        old = self.live["learning_rate"]
        self.live["learning_rate"] = self.hp["learning_rate"] = old / 10
        self._record_change("learning_rate", old, old / 10, "anneal")

    def live_arrays(self) -> dict[str, Any]:
        """The live values as the step's inputs (arrays, so that a change never recompiles)."""
        return {
            name: (np.int32 if self._live_rows[name].type == "int" else np.float32)(value)
            for name, value in self.live.items()
        }

    # -- control ---------------------------------------------------------------
    def pause(self) -> None:
        self._running.clear()
        self.emit({"type": "status", "status": "paused", "step": self.step})

    def resume(self) -> None:
        self._running.set()
        self.emit({"type": "status", "status": "running", "step": self.step})

    def arm(self) -> None:  # forget an earlier stop request: called before each run starts
        self._stop.clear()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def emit(self, event: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a broken view must never break training
                import traceback

                traceback.print_exc()

    # -- the loop --------------------------------------------------------------
    def _new_epoch(self, index: int, start: int) -> Epoch:
        """The cursor of epoch ``index``, starting at step ``start``: its shuffled rows."""
        steps, idx = epoch_rows(self.dataset, self.batch_size, self.seed, index)
        end = steps
        planned = self._planned_end()  # replay: where the original run's epoch ended (never planned ahead)
        if planned is not None:
            end = min(end, planned - start)
        epoch = Epoch(index=index, steps=steps, end=end, idx=idx)
        epoch.sums = {m: 0.0 for m in self.model.metric_names}
        return epoch

    @property
    def restored_cursor(self) -> dict[str, Any] | None:
        """The cursor that ``restore`` took and the next run has not used yet, or None."""
        return self._cursor

    def _resumed_epoch(self) -> Epoch | None:
        """The epoch a restored cursor was inside, with its steps done and sums (once)."""
        c, self._cursor = self._cursor, None
        if c is None or int(c["epoch"]) != self.epoch:
            return None
        cur = self._new_epoch(self.epoch, self.step - int(c["done"]))
        cur.done, cur.sums = int(c["done"]), {m: float(c["sums"][m]) for m in cur.sums}
        return cur

    def _at_boundary(self, cur: Epoch | None, final: bool = False) -> None:
        for hook in list(self.boundary_hooks):
            hook(cur, final)

    def _boundary_is_free(self, epoch: int, target: int) -> bool:
        """May a dispatch run on into epoch ``epoch``? Not when the run ends there, nor when
        something must happen at that boundary: a pending change (batch_size waits for one),
        the anneal drop, a replayed change, a pause or a stop."""
        if epoch >= target or self._stop.is_set() or self.paused or self.pending() or self.hold_at_epoch_ends:
            return False
        if self._anneal_due(epoch):
            return False
        return self.planned_epoch_ends is None and not self.schedule

    def dispatch_size(self) -> int:
        """How many steps the next dispatch runs: about DISPATCH_SECONDS of training, at most
        ``steps_per_dispatch``. Processes of a multi-host run must all run the same steps:
        they always take ``steps_per_dispatch``."""
        if self.one_step or self.delay > 0:
            return 1
        if jax.process_count() > 1 or not np.isfinite(self._step_seconds):
            return self.chunk if jax.process_count() > 1 else 1
        return int(np.clip(DISPATCH_SECONDS / self._step_seconds, 1, self.chunk))

    def run(self, epochs: int, steps: int | None = None) -> str:
        """Train for ``epochs`` more epochs, or exactly ``steps`` more optimizer steps (then the
        run may end inside an epoch: the next run takes it up where it is, as after a
        checkpoint); returns "finished" or "stopped".

        Raises TrainingDiverged (after rolling back) when a loss is not finite.
        """
        n = len(self.dataset.x_train)
        limit = None if steps is None else self.step + int(steps)
        if limit is not None:  # enough epochs to hold the steps (each has one at least); the limit ends the run
            epochs = int(steps) + 2
        target = self.target = self.epoch + epochs
        cur = self._resumed_epoch() if epochs else None  # a checkpoint's or a step's epoch, where it was
        self.total_steps_planned = self.step - (cur.done if cur else 0) + epochs * (n // self.batch_size)
        if limit is not None:
            self.total_steps_planned = limit
        self._limit = limit
        self.emit({"type": "status", "status": "running", "step": self.step})
        part, self.part_next = self.part_next, 0
        if part:  # recorded like a set(): replay updates the same networks at the same steps
            self.request({"update": part}, by="step")
            self.apply_pending(epoch_boundary=False)
        try:
            return self._run_loop(cur, target, limit)
        finally:
            if part:
                self.request({"update": 0}, by="step")
                self.apply_pending(epoch_boundary=False)

    def _run_loop(self, cur: Epoch | None, target: int, limit: int | None) -> str:
        while True:
            if cur is None:  # a run of n steps that ends at an epoch's end begins no new one (nor its anneal)
                if self.epoch >= target or (limit is not None and self.step >= limit):
                    break
                self._apply_scheduled()
                self.apply_pending(epoch_boundary=True)
                self._anneal_if_due()
                cur = self._new_epoch(self.epoch, self.step)
            if cur.done >= cur.end:  # replay: the original's epoch ended here
                self._record_epoch(cur.sums, cur.done)
                cur = None
                continue
            if limit is not None and self.step >= limit:
                break
            if self._wait_if_paused():
                break
            self._apply_scheduled()
            self.apply_pending(epoch_boundary=False)
            segments = self._plan(cur, target)
            if not self._dispatch(segments, target):
                break
            if self.delay > 0:
                self._stop.wait(self.delay)
            last = segments[-1][0]
            cur = last if last.done < last.end else None
            self._at_boundary(cur)
        self._at_boundary(cur, final=True)
        self._limit = None
        if cur is not None and limit is not None and self.step >= limit and not self._stop.is_set():
            self._cursor = cursor(cur)  # steps ended inside this epoch: the next run goes on in it
        elif cur is not None:  # a stop cut this epoch short: keep what it did
            self._record_epoch(cur.sums, cur.done)
        if self._stop.is_set():
            return "stopped"
        if self.planned_epoch_ends is not None and self.epoch >= len(self.planned_epoch_ends) and self.schedule:
            # replay: changes the original made after its last epoch
            self.request({r["name"]: r["new"] for r in self.schedule})
            self.schedule = []
            self.apply_pending(epoch_boundary=True)
        return "finished"

    def _plan(self, cur: Epoch, target: int) -> list[tuple[Epoch, int, int]]:
        """The next dispatch: ``(epoch, first step in it, steps)`` segments, from ``cur`` on
        into the following epochs while their boundaries are free (see _boundary_is_free)."""
        size = self.dispatch_size()
        if self._limit is not None:  # train(steps=n): no step past the n-th
            size = min(size, self._limit - self.step)
        due = [r["step"] for r in self.schedule if r["step"] > self.step]  # replay: stop where a change is due
        return plan(
            cur, size, self.step, min(due) if due else None,
            lambda index: self._boundary_is_free(index, target), self._new_epoch,
        )  # fmt: skip

    def step_arguments(self, data, rows: np.ndarray, n: int, epoch_of: np.ndarray, ends: np.ndarray) -> tuple:
        """The compiled step's arguments for ``n`` steps on ``rows`` (``(steps_per_dispatch,
        batch)`` indices into ``data``), from the current state, step and live values."""
        return (
            self.state,
            data,
            self._put_rows(rows),
            self.live_arrays(),
            np.int32(self.step),
            self._key,
            self._val,
            self._val_key,
            np.int32(n),
            epoch_of,
            ends,
        )

    def _dispatch(self, plan: list[tuple[Epoch, int, int]], target: int) -> bool:
        """Run ``plan`` in one compiled call, then record its steps and epochs. False when
        there was nothing to run."""
        n = sum(take for _, _, take in plan)
        if n == 0:
            return False
        rows = np.concatenate([ep.idx[pos : pos + take] for ep, pos, take in plan])
        epoch_of = np.concatenate([np.full(take, ep.index, np.int32) for ep, _, take in plan])
        ends = np.concatenate([np.arange(pos + 1, pos + take + 1) == ep.end for ep, pos, take in plan])
        t0 = time.perf_counter()
        data, rows_in = self._batch_source(rows)
        pad = (1 if self.one_step else self.chunk) - n
        if pad:
            rows_in = np.concatenate([rows_in, np.zeros((pad, rows_in.shape[1]), rows_in.dtype)])
            epoch_of = np.concatenate([epoch_of, np.zeros(pad, np.int32)])
            ends = np.concatenate([ends, np.zeros(pad, bool)])
        with collective_errors():
            new_state, (metrics, val) = self._chunk_fn(*self.step_arguments(data, rows_in, n, epoch_of, ends))
            metrics, val = jax.device_get((metrics, val))
        dt = time.perf_counter() - t0
        self.dispatches += 1
        metrics = {k: np.asarray(v[:n], dtype=np.float64) for k, v in metrics.items()}
        bad = [k for k, v in metrics.items() if not np.all(np.isfinite(v))]
        if bad:
            first = plan[0][0]
            self._record_epoch(first.sums, first.done)
            at = self.step + 1 + int(min(np.argmax(~np.isfinite(metrics[k])) for k in bad))
            raise TrainingDiverged(diverged_message(at, bad, self.step, self.live, self.dataset))
        self.state = new_state
        if self.dispatches > 1:  # the first dispatch's time is mostly compilation
            per_step = dt / n
            self._step_seconds = (
                per_step if not np.isfinite(self._step_seconds) else 0.7 * self._step_seconds + 0.3 * per_step
            )
            rate = n * self.batch_size / dt
            self.samples_per_sec = (
                rate if not np.isfinite(self.samples_per_sec) else 0.7 * self.samples_per_sec + 0.3 * rate
            )
        at = 0
        for ep, _pos, take in plan:
            part = {m: v[at : at + take] for m, v in metrics.items()}
            step_ids = np.arange(self.step + 1, self.step + take + 1)
            self.step += take
            ep.done += take
            for m, v in part.items():
                ep.sums[m] += float(v.sum())
                self.steps[m].extend(v.tolist())
            self.steps["step"].extend(step_ids.tolist())
            remaining = ep.end - ep.done + max(target - ep.index - 1, 0) * ep.steps
            self.total_steps_planned = self.step + remaining
            self.emit(
                {
                    "type": "steps",
                    "step": self.step,
                    "epoch": self.epoch,
                    "steps": step_ids,
                    "metrics": part,
                    "samples_per_sec": self.samples_per_sec,
                }
            )
            at += take
            if ep.done >= ep.end:
                self._record_epoch(ep.sums, ep.done, {k: float(val[k][at - 1]) for k in self.model.val_metric_names})
        return True

    def _wait_if_paused(self) -> bool:
        """Block while paused; True when a stop was requested."""
        while not self._running.wait(0.05):
            if self._stop.is_set():
                break
        return self._stop.is_set()

    def _record_epoch(self, sums: dict[str, float], done: int, val: dict[str, float] | None = None) -> None:
        if done == 0:
            return
        entry = {m: s / done for m, s in sums.items()}
        entry.update(self.validation_metrics() if val is None else val)
        if "learning_rate" in self.live:
            entry["learning_rate"] = float(self.live["learning_rate"])
        for name, value in entry.items():
            self.history.setdefault(name, []).append(float(value))
        self.epoch += 1
        self.epoch_ends.append(self.step)
        self.emit({"type": "epoch", "epoch": self.epoch, "step": self.step, "metrics": entry})

    def validation_metrics(self) -> dict[str, float]:
        if not self.model.val_metric_names:
            return {}
        key = jax.random.fold_in(self._val_key, self.epoch)
        with collective_errors():
            out = self._eval_fn(self.state["params"], self._val, self.live_arrays(), key)
            out = jax.device_get(out)
        return {k: float(out[k]) for k in self.model.val_metric_names}
