"""The public Session: one model, one data set, one engine, any number of views.

This module holds what a session is (its model, data and engine, built and rebuilt: ``reset``,
``rebind``), its state as the user reads it and its live changes (``set``). Its other jobs have
their own modules: the run's thread (:mod:`nbgen.training`), stepping (:mod:`nbgen.stepping`),
the trained model's use (:mod:`nbgen.inference`), the file (:mod:`nbgen.saving`) and pictures
(``nbgen/ui/pictures.py``, found through :mod:`nbgen._hooks`: this module never imports the ui).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import Any

from . import _config, _hooks, saving
from . import checkpoint as _checkpoint
from . import models as _models
from .data import Dataset
from .data import load as load_data
from .engine import Engine, TrainingDiverged
from .events import Event
from .frames import Frames
from .inference import Inference
from .run import Run, View
from .stepping import Stepping
from .training import Training, track


def _resolve(model: Any, data: Any, hyperparameters: dict[str, Any]) -> tuple[Any, Any, Dataset, dict[str, Any]]:
    """Validate a model (name or object), data and hyperparameters; fill in the defaults."""
    spec = _models.resolve(model)
    dataset = load_data(data)
    return spec, data, dataset, spec.resolve(dataset, hyperparameters)


class Session(Training, Stepping, Inference):
    """A generative model, its data and its training state.

    Args:
        model: ``"autoencoder"`` (or ``"ae"``), ``"vae"``, ``"gan"`` or ``"diffusion"`` (or
            ``"flow"``), or a model object with your own Keras networks:
            ``nbgen.Autoencoder(encoder, decoder)``, ``nbgen.VAE(encoder, decoder)``,
            ``nbgen.GAN(generator, discriminator)``, ``nbgen.Diffusion(denoiser)``.
        data: a data set name (``"digits"``, ``"mnist5k"``, ``"moons"``, ``"ring"``, ``"grid"``,
            ``"mnist"``, ``"fashion_mnist"``), an array ``(n, d)`` or
            ``(n, h, w[, c])``, or a tuple ``(x, labels)``.
        **hyperparameters: ``latent_dim``, ``hidden``, ``learning_rate``,
            ``batch_size``, ``epochs``, ``anneal`` (the fraction of ``epochs``, at
            the end, trained at a tenth of the learning rate; the drop is a change in
            ``timeline``), ``seed``, ``beta`` (VAE), ``noise_dim`` and ``d_steps``
            (GAN), ``sample_steps`` and ``guidance`` (diffusion), ``conditional`` (VAE,
            GAN, diffusion: the networks read each row's label), ``steps_per_dispatch``. Unset ones take defaults that suit the
            model and data (see ``session.config``).
        checkpoint: write the run to this folder as it trains, so that ``nbgen.resume(folder)``
            continues it after a crash; ``True``: a new folder in ``nbgen.config.runs_dir``
            (``~/.local/share/nbgen/runs``, or ``$NBGEN_RUNS``). See :mod:`nbgen.checkpoint`.
        checkpoint_every: seconds between checkpoints (default 60), or ``"N epochs"``; one is
            also written when a run ends or is stopped. The latest 3 are kept.

    Example:
        >>> s = Session("vae", "digits", epochs=2)
        >>> s.train()
        >>> sorted(s.history)[:3]
        ['kl', 'learning_rate', 'loss']
    """

    def __init__(
        self,
        model: Any = "vae",
        data: Any = "digits",
        *,
        callbacks: Any = None,
        checkpoint: Any = None,
        checkpoint_every: Any = _checkpoint.DEFAULT_EVERY,
        **hyperparameters: Any,
    ):
        from .callbacks import check

        self.callbacks = check(callbacks)  # Keras callbacks that every run calls (nbgen.callbacks)
        _checkpoint.parse_every(checkpoint_every)  # a bad value fails before the model is built
        self.checkpointer: _checkpoint.Checkpointer | None = None  # writes the run as it trains (checkpoint=)
        self._spec, self._data_spec, self.dataset, self._hp = _resolve(model, data, hyperparameters)
        self._chosen = set(hyperparameters)  # what the user set (reset() keeps these, re-derives the rest)
        self._init_training()
        self._listeners: list[Callable[[dict], None]] = []
        self._sample_calls = 0
        self._view: weakref.ref | None = None  # the view holds the session, not the reverse
        # held while reset/rebind swap the model, data and engine, and by views while they
        # read them, so that a view never pairs the new data with the old model
        self.lock = threading.RLock()
        self._build()
        self.frames = Frames()  # pictures of the run at log-spaced steps (nbgen.frames)
        self.frames.attach(self)
        if checkpoint is not None and checkpoint is not False:
            self.checkpointer = _checkpoint.Checkpointer(self, checkpoint, checkpoint_every)
            self.checkpointer.attach(self.engine)
        track(self)

    # -- construction ----------------------------------------------------------
    def _build(self) -> None:
        import keras

        keras.utils.set_random_seed(self._hp["seed"])
        self._model = self._spec.bind(self.dataset, self._hp)
        self._built_hp = dict(self._hp)
        placed = getattr(getattr(self, "engine", None), "device", None)  # a sweep's run keeps its device
        self.engine = Engine(self._model, self.dataset, self._hp)
        self.run = Run(self.engine)  # what views read (nbgen.run)
        if placed is not None:
            self.engine.place_on(placed)
        self.engine.listeners = self._listeners
        self.engine.delay = getattr(self, "_delay", 0.0)  # slow motion outlives a reset
        self._weights_synced_at = -1
        if getattr(self, "checkpointer", None) is not None:  # a reset's run: checkpointed too
            self.checkpointer.attach(self.engine, new_run=True)

    @property
    def widget(self) -> View | None:
        """The live view showing this session (``nbgen.show``), or None (held weakly)."""
        return None if self._view is None else self._view()

    @widget.setter
    def widget(self, view: View | None) -> None:
        self._view = None if view is None else weakref.ref(view)

    # -- read-only views of the state -------------------------------------------
    @property
    def kind(self) -> str:
        """The model's name: "autoencoder", "vae", "gan" or "diffusion" (or a registered model's)."""
        return self._spec.name

    @property
    def checkpoint_folder(self) -> str | None:
        """Where this session's checkpoints are written (``checkpoint=``), or None."""
        return None if self.checkpointer is None else self.checkpointer.folder

    @property
    def checkpoint_error(self) -> Exception | None:
        """Why the last checkpoint could not be written (training went on in memory), or None."""
        return None if self.checkpointer is None else self.checkpointer.error

    @property
    def generative_model(self) -> _models.GenerativeModel:
        """The bound model object (its ``capabilities``, ``panels``, ``networks``...)."""
        return self._model

    @property
    def history(self) -> dict[str, list[float]]:
        """Per-epoch metrics: name -> list of floats (kept on stop, error and divergence)."""
        return self.engine.history

    @property
    def steps(self) -> dict[str, list[float]]:
        """Per-step training metrics, with the step numbers under ``"step"``."""
        return self.engine.steps

    @property
    def timeline(self) -> list[dict[str, Any]]:
        """Every hyperparameter change: dicts with step, epoch, name, old, new, time."""
        return self.engine.timeline

    @property
    def step(self) -> int:
        return self.engine.step

    @property
    def epoch(self) -> int:
        return self.engine.epoch

    @property
    def hyperparameters(self) -> dict[str, Any]:
        return dict(self.engine.hp)

    @property
    def chosen(self) -> dict[str, Any]:
        """The hyperparameters the user set (not left to the defaults), with their values now."""
        hp = self.engine.hp
        return {k: hp[k] for k in self._chosen if k in hp}

    @property
    def config(self) -> dict[str, Any]:
        """Arguments such that ``nbgen.Session(**config)`` rebuilds an untrained copy."""
        hp = dict(self.engine.hp)
        if self._spec.user_defined:  # the networks fix some (latent_dim...): they are not arguments
            hp = {k: v for k, v in hp.items() if k not in self._spec.fixed_by_networks}
            return {"model": self._spec, "data": self._data_spec, **hp}
        return {"model": self._spec.name, "data": self._data_spec, **hp}

    @property
    def model(self):
        """The Keras model (AE, VAE: rows to reconstructions, with ``.encoder``/``.decoder``),
        or an object with the networks as attributes (GAN: ``.generator``, ``.discriminator``;
        diffusion: ``.denoiser``; a conditional VAE: ``.encoder``, ``.decoder``). Weights are current."""
        self.sync_weights()
        return self._model.keras_model()

    def restore(self, state: Any, **record: Any) -> None:
        """Take up a saved run in this new session (``nbgen.load`` does): the training state and the
        record that ``Engine.restore`` takes. The session is then "finished" ("idle": no step)."""
        self.engine.restore(state, **record)
        self._status = "finished" if self.engine.step else "idle"

    def sync_weights(self) -> None:
        """Write the training state into the Keras variables (what ``model`` and callbacks read)."""
        if self._weights_synced_at != self.engine.step or self.running:
            self._model.write_back(self.engine.state)
            for name, (_, opt) in getattr(self._model, "rates", {}).items():  # your optimizers: the live rates
                if name in self.engine.live:  # (the state holds the last step's: a change since is not in it)
                    opt.learning_rate = float(self.engine.live[name])
            self._weights_synced_at = self.engine.step

    # -- events ----------------------------------------------------------------------
    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``listener(event)`` for every engine event; returns an unsubscribe function.

        Events are dicts with ``"type"`` in "steps", "epoch", "change", "status", "reset";
        :mod:`nbgen.events` describes the keys of each. Listeners run in the training
        thread: keep them cheap.
        """
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # -- live changes ----------------------------------------------------------------------
    def set(self, **hyperparameters: Any) -> None:
        """Change live hyperparameters (``learning_rate``, ``beta``, ``d_steps``,
        ``sample_steps``, ``guidance``; and ``batch_size`` and ``anneal`` at the next epoch,
        ``epochs`` for the next run).

        While training the change applies at the next step; it is recorded in
        ``timeline``. Structural ones (``latent_dim``, ``hidden``, ``noise_dim``,
        ``conditional``, ``seed``) need ``reset(...)``.
        """
        for name in hyperparameters:
            if name in _config.STRUCTURAL and name in self._model.accepts:
                raise ValueError(
                    f"{name} is structural: it shapes the networks and cannot change on a built model. "
                    f"Use session.reset({name}=...) to rebuild (history starts afresh)."
                )
        changes = _config.validate(self._model.table, self.kind, hyperparameters, len(self.dataset.x_train))
        self._chosen |= set(changes)
        self.engine.request(changes)
        if not self.running:
            self.engine.apply_pending(epoch_boundary=True)

    def reset(self, **hyperparameters: Any) -> None:
        """Rebuild the networks from scratch, optionally with new hyperparameters.

        Training is stopped first; history, steps and timeline start afresh. When a structural
        value changes, the values still at their default take the new model's defaults (as in
        a new ``Session``); the ones you chose stay.
        """
        changes = _config.validate(self._model.table, self.kind, hyperparameters, len(self.dataset.x_train))
        if self.running:
            self.stop()
        with self.lock:
            hp = self.engine.settings()  # a rebuilt model starts at the rate before the anneal drop
            hp.update(changes)
            if any(k in _config.STRUCTURAL for k in changes):  # the checks and defaults of a new model
                # a value still at its default follows the new model's default, as in a new
                # Session (a conditional GAN drops the code, a conditional VAE the mixture prior)
                chosen = {
                    k: v
                    for k, v in hp.items()
                    if k in self._spec.accepts and (k in self._chosen or k in changes or v != self._built_hp.get(k))
                }
                hp = self._spec.resolve(self.dataset, chosen)
            self._spec.check_hyperparameters(hp)
            self._chosen |= set(changes)
            self._hp = hp
            self._error = None
            self._status = "idle"
            self._build()
        self.engine.emit({"type": "reset", "step": 0})

    def rebind(self, model: Any, data: Any, **hyperparameters: Any) -> None:
        """Switch model and/or data in place (the widget's pickers); history starts afresh.

        Everything is validated before anything changes, so a bad choice leaves the
        session as it was.
        """
        resolved = _resolve(model, data, hyperparameters)
        if self.running:
            self.stop()
        with self.lock:
            self._spec, self._data_spec, self.dataset, self._hp = resolved
            self._chosen = set(hyperparameters)
            self._error, self._status, self._sample_calls = None, "idle", 0
            self._build()
        self.engine.emit({"type": "reset", "step": 0})

    def close(self) -> None:
        """Stop training, free the thread, close the widget if any."""
        if self.running:
            self.stop()
        if self.checkpointer is not None:
            self.checkpointer.wait(60.0)
        view, self.widget = self.widget, None
        if view is not None:
            view.close()
        self._listeners.clear()

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> str:
        """Write weights, optimizer state, config, history and timeline to ``path``.

        The file is a zip of JSON and ``.npz`` (no pickle; see :mod:`nbgen.saving`). The write
        is atomic: a failure leaves any previous file intact.
        """
        path = saving.save(self, path)
        self._refresh_view()
        return path

    def setup(self) -> str:
        """This exercise as one line of text, for ``nbgen.show(setup=text)`` (nbgen.setup_text)."""
        from .setup_text import write

        return write(self)

    # -- pictures (drawn by the ui: nbgen/ui/pictures.py, found through nbgen._hooks) --------
    def figure(self, step: int | None = None):
        """A static Plotly figure of the current views (loss curves with change markers,
        latent space, images, data): for ``fig.write_html``, docs and papers. ``step``: the
        samples and reconstructions of the run's frame at that step (:mod:`nbgen.frames`).

        Example:
            >>> s = train("vae", "digits", epochs=2, progress=False)
            >>> len(s.figure().data) > 0
            True
        """
        return _hooks.get("pictures").figure(self, step)

    def snapshot(self, path: str | os.PathLike | None = None, step: int | None = None) -> str:
        """A picture of the current views, drawn without a browser.

        Args:
            path: where to write it: ``.png`` (rasterised, no text; the state is in the
                file's ``tEXt`` Description), ``.svg`` (with titles and labels) or
                ``.html`` (the SVG in a page). ``None``: return the SVG text.
            step: draw the run's frame at this step, as ``figure(step=...)``.

        Returns:
            The path written, or the SVG text when ``path`` is None.
        """
        return _hooks.get("pictures").snapshot(self, path, step)

    # -- replay ----------------------------------------------------------------------------
    def replay(self, block: bool = True) -> Session:
        """A new session from the same config that re-applies every timeline change at the step
        it was made, over the same epochs (including epochs a stop cut short).

        On the same machine and seed its history equals this session's exactly: a run steered
        by hand with sliders and ``set()`` becomes reproducible. The learning-rate drop of
        ``anneal`` is not replayed from the timeline: the new session makes it itself.

        Args:
            block: wait for the replay to finish (``False``: it trains in the background).

        Returns:
            The new session (trained, or training when ``block=False``).

        Example:
            >>> s = train("vae", "digits", epochs=2)
            >>> s.replay().history == s.history
            True
        """
        from .replaying import replay_of

        return replay_of(self, block)

    # -- display ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        return (
            f"<nbgen.Session {self.kind} on {self.dataset.name} {self.dataset.row_shape}: "
            f"{self.status}, epoch {self.epoch}, step {self.step}>"
        )

    def summary(self) -> str:
        """A compact, stable text summary of the last epoch's metrics."""
        parts = [f"{self.kind} on {self.dataset.name}: {self.status} after {self.epoch} epochs ({self.step} steps)"]
        for name, values in self.history.items():
            if name != "learning_rate" and values:
                parts.append(f"{name} {values[-1]:.4g}")
        return "; ".join(parts)

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.widget is not None:
            return self.widget._repr_mimebundle_(include=include, exclude=exclude)
        return {"text/plain": repr(self)}


__all__ = ["Session", "TrainingDiverged"]
