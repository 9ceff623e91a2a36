"""Live views for the ``model.fit`` you already call: ``callbacks=[nbgen.FitView()]``.

A Keras callback that shows, in the cell that runs ``fit``, the loss and every metric
(running means per batch, and the epoch's validation values), a learning-rate slider and a
Stop button. A slider move becomes the optimizer's learning rate at the next batch
(``view.timeline`` records it with its step); Stop sets ``model.stop_training``, so ``fit``
ends after that batch and keeps its weights and History.

The curves update while ``fit`` blocks the cell (the kernel sends them as it goes), and so do
the slider and Stop: their messages are handled on a kernel subshell (ipykernel 7; see
:mod:`nbgen.ui.subshell`) while the main shell runs ``fit``. On a kernel without subshells
(ipykernel 6) they wait for the cell to end; there, run ``fit`` through the view, which keeps the
cell waiting and the widgets live::

    history = await view.fit(model, x, y, epochs=20)     # model.fit(..., callbacks=[view]) in a thread

Outside a Jupyter kernel (a script, CI) it displays nothing. Its cost on ``fit``:
``benchmarks/keras_fit.py`` measures it.
"""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np

from . import subshell
from .arrays import downsample

POLL_HZ = 10  # the batch hook does its work (logs read, changes applied) at most this often
DRAW_EVERY = 0.5  # seconds between redraws of the curves
MAX_POINTS = 400
UNSETTABLE = "the optimizer's rate is a schedule or several optimizers' (Keras cannot set it during fit)"


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class FitView(keras.callbacks.Callback):
    """Live curves, a learning-rate slider and a Stop button for ``model.fit``.

    Args:
        display: show the view when training begins (default: in a Jupyter kernel).

    Attributes:
        timeline: the learning-rate changes made with the slider: dicts with ``step``,
            ``epoch``, ``name``, ``old``, ``new``, ``by`` (as ``Session.timeline``).
        stopped: whether Stop was pressed.
        live_while_blocked: whether the slider and Stop act while a plain ``model.fit`` blocks
            the cell (a kernel with subshells: ipykernel 7).

    Example:
        >>> model.fit(x, y, epochs=20, callbacks=[nbgen.FitView()])  # doctest: +SKIP
    """

    # Keras runs the batch-end hook in a worker thread, so fit's loop never waits for it (a hook
    # that ran on fit's thread would make Keras turn each step's logs into floats there: a device
    # sync per step, about a quarter of a small model's speed in benchmarks/keras_fit.py)
    async_safe = True

    def __init__(self, display: bool | None = None):
        super().__init__()
        self.show_view = _in_kernel() if display is None else bool(display)
        self.timeline: list[dict[str, Any]] = []
        self.stopped = False
        self.step = 0
        self.epoch = 0
        self._pending_lr: float | None = None
        self.settable = True  # whether the optimizer's rate can be set (on_train_begin reads it)
        self._batch: dict[str, list[float]] = {}
        self._batch_steps: list[int] = []
        self._epochs: dict[str, list[float]] = {}
        self._epoch_steps: list[int] = []
        self._next_poll = 0.0
        self._next_draw = 0.0
        self._build()

    # -- widgets ----------------------------------------------------------------------------
    def _build(self) -> None:
        import ipywidgets as widgets

        from .plotly_bundle import figure_widget

        self.learning_rate = widgets.FloatLogSlider(
            value=1e-3, base=10, min=-6, max=0, step=0.05, readout_format=".1e", description="learning rate"
        )
        self.learning_rate.continuous_update = False
        self.learning_rate.add_class("nbgen-lr")
        self.learning_rate.observe(self._on_lr, names="value")
        self.stop_button = widgets.Button(description="Stop", icon="stop", layout=widgets.Layout(width="100px"))
        self.stop_button.add_class("nbgen-stop")
        self.stop_button.on_click(self._on_stop)
        self.status = widgets.HTML("<span>waiting for fit()</span>")
        self.status.add_class("nbgen-status")
        self.figure = figure_widget()
        self.figure.update_layout(
            height=320, margin={"l": 40, "r": 20, "t": 30, "b": 30}, xaxis_title="step", uirevision="nbgen"
        )
        self.figure.add_class("nbgen-plot")
        self.box = widgets.VBox([widgets.HBox([self.learning_rate, self.stop_button]), self.status, self.figure])
        self.box.add_class("nbgen")
        self._syncing = False
        # their events arrive while fit blocks the cell (handled on a subshell's thread: the
        # handlers only set values that fit's own thread reads)
        self.live_while_blocked = _in_kernel() and subshell.route(self.learning_rate, self.stop_button)

    def _on_lr(self, change: dict) -> None:
        if not self._syncing:
            self._pending_lr = float(change["new"])

    def _on_stop(self, _: Any) -> None:
        self.stopped = True

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)

    async def fit(self, model: keras.Model, *args: Any, **kwargs: Any) -> keras.callbacks.History:
        """``await view.fit(model, x, y, ...)``: ``model.fit(x, y, ..., callbacks=[..., view])`` in a
        worker thread; the cell waits for it while the slider and Stop stay live. Returns fit's
        History; an error in fit is raised here."""
        import asyncio

        callbacks = [*kwargs.pop("callbacks", []), self]
        return await asyncio.get_running_loop().run_in_executor(
            None, lambda: model.fit(*args, callbacks=callbacks, **kwargs)
        )

    # -- Keras hooks ---------------------------------------------------------------------------
    def on_train_begin(self, logs: dict | None = None) -> None:
        # a rate the slider can set: a number (a variable), not a schedule nor a MultiOptimizer's several
        self.settable = isinstance(getattr(self.model.optimizer, "_learning_rate", None), keras.Variable)
        lr = getattr(self.model.optimizer, "learning_rate", None)
        if lr is not None:
            self._syncing = True
            try:
                self.learning_rate.value = float(np.asarray(lr))
            finally:
                self._syncing = False
        self.learning_rate.disabled = not self.settable
        self.learning_rate.tooltip = None if self.settable else UNSETTABLE
        self.stopped = False
        what = "the slider applies at the next batch" if self.settable else f"{UNSETTABLE}: no slider"
        self.status.value = f"<span>training: {what}; Stop ends fit after the batch</span>"
        if self.show_view:
            from IPython.display import display

            display(self.box)

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """fit's thread, before each step: a slider move becomes the optimizer's learning rate
        (touching ``self.model`` syncs Keras's JAX state: only when something changed)."""
        if self._pending_lr is not None and self.settable:
            new, self._pending_lr = self._pending_lr, None
            opt = self.model.optimizer
            old = float(np.asarray(opt.learning_rate))
            opt.learning_rate = new
            self.timeline.append(
                {"step": self.step, "epoch": self.epoch, "name": "learning_rate", "old": old, "new": new, "by": "set"}
            )

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """A worker thread (``async_safe``): record the logs and redraw, a few times a second."""
        self.step += 1
        if self.stopped:
            self._model.stop_training = True  # fit checks it after this step (no state sync needed)
        now = time.perf_counter()
        if now < self._next_poll:
            return
        self._next_poll = now + 1.0 / POLL_HZ
        if logs:
            self._batch_steps.append(self.step)
            for k, v in logs.items():
                self._batch.setdefault(k, []).append(float(np.asarray(v)))
        if now >= self._next_draw:
            self._next_draw = now + DRAW_EVERY
            self._draw()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch + 1
        self._epoch_steps.append(self.step)
        for k, v in (logs or {}).items():
            self._epochs.setdefault(k, []).append(float(np.asarray(v)))
        self._draw()

    def on_train_end(self, logs: dict | None = None) -> None:
        self._draw()
        ended = "stopped" if self.stopped else "finished"
        self.status.value = f"<span>fit {ended} after {self.epoch} epochs ({self.step} batches)</span>"

    def _draw(self) -> None:
        import plotly.graph_objects as go

        traces = []
        steps = np.asarray(self._batch_steps, dtype=float)
        for k, ys in self._batch.items():
            x, y = downsample(steps, np.asarray(ys, dtype=float), MAX_POINTS)
            traces.append(go.Scatter(x=x, y=y, mode="lines", name=k))
        ends = np.asarray(self._epoch_steps, dtype=float)
        for k, ys in self._epochs.items():
            if k.startswith("val_"):
                traces.append(go.Scatter(x=ends, y=np.asarray(ys), mode="lines+markers", name=k))
        shapes = [
            {"type": "line", "x0": r["step"], "x1": r["step"], "y0": 0, "y1": 1, "yref": "paper",
             "line": {"dash": "dot", "color": "grey"}}
            for r in self.timeline[-20:]
        ]  # fmt: skip
        self.figure.data = []
        self.figure.add_traces(traces)
        self.figure.layout.shapes = shapes
