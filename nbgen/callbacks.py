"""Keras callbacks in nbgen's runs: ``nbgen.train(..., callbacks=[...])``, ``nbgen.show(...,
callbacks=[...])`` and ``Session(..., callbacks=[...])``.

A run calls its callbacks as ``model.fit`` does, with Keras's ``CallbackList``:
``on_train_begin``, ``on_epoch_begin`` / ``on_epoch_end`` with the epoch's logs (the
session's history entry: the loss, the metrics, ``val_*``, ``learning_rate``), the batch
hooks with the epoch's running means (only when a callback has them, as Keras does), and
``on_train_end``. Epoch numbers count on across ``train()`` calls, as ``fit`` with
``initial_epoch`` does.

What the callbacks do reaches the run:

- ``callback.model`` is ``session.model`` with the current weights (written before each hook),
  with an ``optimizer`` whose ``learning_rate`` is the live one;
- ``model.stop_training = True`` (EarlyStopping, TerminateOnNaN) stops the run after that
  epoch (or, from a batch hook, after that dispatch: a dispatch is about 0.1 s of steps);
- a new ``model.optimizer.learning_rate`` (ReduceLROnPlateau) becomes a live change at the
  next epoch, recorded in the timeline with ``by="callback"``, shown on the slider, replayed;
  so does each sub-optimizer's of a ``MultiOptimizer`` (``learning_rate_<name>``), and each of
  a model's own optimizers' (``model.d_optimizer.learning_rate``: ``d_optimizer_learning_rate``);
- weights a callback sets (EarlyStopping's ``restore_best_weights``, BackupAndRestore's
  restore at ``on_train_begin``) become the run's weights; BackupAndRestore's epoch
  (``model._initial_epoch``) moves the run on to that epoch, as ``fit`` does.

While callbacks are attached, each epoch ends a dispatch, so that they act at its end.

Refused before the run (:func:`check_rates`): a callback that sets ``model.optimizer``'s rate
(ReduceLROnPlateau, LearningRateScheduler) on a model whose rate it cannot set (a schedule:
Keras refuses it under ``fit`` too) or that ``model.optimizer`` does not train (a model with its
own ``d_optimizer`` and ``g_optimizer``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .session import Session


def check(callbacks: Any) -> list:
    """``callbacks`` as a list of Keras callbacks, or a TypeError naming what is wrong."""
    import keras

    if callbacks is None:
        return []
    if isinstance(callbacks, keras.callbacks.Callback):
        callbacks = [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"callbacks must be a list of keras.callbacks.Callback, got {type(callbacks).__name__}")
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, keras.callbacks.Callback):
            raise TypeError(f"callbacks[{i}] must be a keras.callbacks.Callback, got {type(cb).__name__} {cb!r}")
    return list(callbacks)


def check_rates(session: Session, callbacks: list) -> None:
    """A ValueError, before the run, for a callback that would set a learning rate that does
    not exist or that trains nothing (see this module's docstring)."""
    import keras

    setters = (keras.callbacks.ReduceLROnPlateau, keras.callbacks.LearningRateScheduler)  # model.optimizer's rate
    rate_setters = [cb for cb in callbacks if isinstance(cb, setters)]
    gm = session.generative_model
    if not rate_setters or not hasattr(gm, "rates"):  # nbgen's own models: their live learning_rate
        return
    name, model = type(rate_setters[0]).__name__, gm.keras
    if gm.extra_optimizers:
        raise ValueError(
            f"callbacks: {name} sets model.optimizer's learning rate, which does not train model {model.name!r} (its "
            f"optimizers are {', '.join(gm.extra_optimizers)}): leave it out and move "
            f"{', '.join(gm.rates) or 'their rates'} with session.set(...), or write the model with "
            "keras.optimizers.MultiOptimizer, whose sub-optimizers' rates it moves"
        )
    if "learning_rate_scale" in gm.accepts:
        raise ValueError(
            f"callbacks: {name} cannot set the learning rate of model {model.name!r}: its optimizer follows a "
            "LearningRateSchedule (Keras refuses it under fit too): leave it out, and move learning_rate_scale "
            "(session.set(learning_rate_scale=0.5)), a live factor on your schedule"
        )


class _Optimizer:
    """What ``model.optimizer`` is for nbgen's own models in a callback: the live learning rate
    (read and set as a Keras optimizer's is)."""

    def __init__(self, learning_rate: float):
        self.learning_rate = learning_rate


class Bridge:
    """One run's callbacks, driven by the engine's events in the training thread."""

    def __init__(self, session: Session, callbacks: list, epochs: int):
        import keras

        self.session = session
        self.engine = session.engine
        self.model = session.model  # current weights
        gm = session.generative_model
        if hasattr(gm, "rates"):  # your Keras model: its optimizers' rates, by live control
            self.rates = {name: opt for name, (_, opt) in gm.rates.items()}
        else:  # nbgen's own models: a stand-in optimizer with the live rate
            if getattr(self.model, "optimizer", None) is None or not hasattr(self.model.optimizer, "learning_rate"):
                self.model.optimizer = _Optimizer(float(self.engine.live.get("learning_rate", 0.0)))
            self.rates = {"learning_rate": self.model.optimizer}
        self.model.stop_training = False
        steps = len(session.dataset.x_train) // self.engine.batch_size
        self.list = keras.callbacks.CallbackList(
            callbacks, add_history=False, add_progbar=False, model=self.model, verbose=0, epochs=epochs, steps=steps
        )
        hooks = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")
        base = keras.callbacks.Callback
        self._batch_hooks = any(getattr(type(cb), h) is not getattr(base, h) for cb in callbacks for h in hooks)
        self.error: BaseException | None = None  # a callback's error ends the run and is raised by it
        self._sums: dict[str, float] = {}
        self._count = 0
        self._batch = 0

    # -- weights and learning rate between the engine and the Keras model ------------------------
    def _to_model(self) -> None:
        self.session.sync_weights()
        for name, opt in self.rates.items():
            if name in self.engine.live:
                opt.learning_rate = float(self.engine.live[name])

    def _from_model(self) -> None:
        """Weights a callback set become the run's (the engine's state is read back)."""
        import jax

        state = self.session.generative_model.init_state()  # copies of the variables (see init_state)
        if any(not np.array_equal(a, b) for a, b in zip(jax.tree_util.tree_leaves(state), jax.tree_util.tree_leaves(self.engine.state))):
            self.engine.state = state

    def _after_hook(self) -> None:
        changes = {}
        for name, opt in self.rates.items():
            if name in self.engine.live:
                lr = float(np.asarray(opt.learning_rate))
                pending = self.engine.pending().get(name, self.engine.live[name])
                if not np.isclose(lr, pending, rtol=1e-6, atol=0.0):
                    changes[name] = float(str(np.float32(lr)))
        if changes:
            self.engine.request(changes, by="callback")
        if getattr(self.model, "stop_training", False):
            self.engine.stop()

    # -- the run ------------------------------------------------------------------------------------
    def run(self, epochs: int, train: Callable[[int], object]) -> None:
        """The run with its callbacks: :meth:`begin`, ``train(epochs)`` (the engine's run) while
        the bridge hears the engine's events, then :meth:`end`. A callback's error ends the run
        and is raised here."""
        try:
            epochs = self.begin(epochs)
            unsubscribe = self.session.subscribe(self.on_event)
            try:
                train(epochs)
            finally:
                unsubscribe()
            if self.error is not None:
                raise self.error
        except BaseException:
            self.engine.hold_at_epoch_ends = False  # the run ended in an error: no end() to do it
            raise
        self.end()

    def begin(self, epochs: int) -> int:
        """``on_train_begin`` and the first ``on_epoch_begin``; returns the epochs left to run."""
        self.engine.hold_at_epoch_ends = True
        self._to_model()
        self.list.on_train_begin()
        self._from_model()
        initial = getattr(self.model, "_initial_epoch", None)
        if isinstance(initial, int) and initial > self.engine.epoch:  # BackupAndRestore resumed
            skipped = initial - self.engine.epoch
            self.engine.epoch = initial
            epochs = max(epochs - skipped, 0)
        self._after_hook()
        self._target = self.engine.epoch + epochs
        if epochs and not self.engine.stop_requested:
            self.list.on_epoch_begin(self.engine.epoch)
        return epochs

    def on_event(self, event: dict[str, Any]) -> None:
        """An engine event (training thread): a callback's error stops the run, which raises it."""
        if self.error is not None:
            return
        try:
            self._on_event(event)
        except BaseException as exc:  # the engine swallows listeners' errors (views); a callback's must end the run
            self.error = exc
            self.engine.stop()

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "steps" and self._batch_hooks:
            for i in range(len(event["steps"])):
                self.list.on_train_batch_begin(self._batch)
                for name, values in event["metrics"].items():
                    self._sums[name] = self._sums.get(name, 0.0) + float(values[i])
                self._count += 1
                self.list.on_train_batch_end(self._batch, {k: v / self._count for k, v in self._sums.items()})
                self._batch += 1
            self._after_hook()
        elif kind == "epoch":
            self._sums, self._count, self._batch = {}, 0, 0
            self._to_model()
            self.list.on_epoch_end(event["epoch"] - 1, dict(event["metrics"]))
            self._from_model()
            self._after_hook()
            if event["epoch"] < self._target and not self.engine.stop_requested:
                self.list.on_epoch_begin(event["epoch"])

    def end(self) -> None:
        """``on_train_end``; weights it restores become the session's."""
        self.engine.hold_at_epoch_ends = False
        self._to_model()
        last = {k: v[-1] for k, v in self.session.history.items() if v}
        self.list.on_train_end(last)
        self._from_model()
