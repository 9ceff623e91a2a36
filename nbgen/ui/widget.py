"""The live training widget: controls, progress, status and live figures of one Session.

Data flow (see the architecture notes): the widget sends commands through the
session (``train``, ``pause``, ``set``, ``reset``...) and reads it back; it
never touches the training loop. Engine events arrive in the training thread,
where the listener only records what happened and marks the view dirty; a
:class:`~nbgen.ui.pacing.ThrottledDrawer` thread redraws a few times per second.

    import nbgen
    session = nbgen.show("vae", "digits")   # press Train, move the sliders
"""

from __future__ import annotations

import html
import threading
import uuid
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from .. import _config
from ..session import Session
from . import frontends, snapshot, teacher
from .compare_tab import CompareTab
from .controls import DATA_OPTIONS, SETUP_FIELDS, YOURS, make_control, model_options, parse_hidden, widen
from .explorer import Explorer
from .labels import timeline_line
from .lean import close_tree
from .pacing import ThrottledDrawer
from .plot_options import PlotOptions
from .plots import SessionFigure
from .status import RED, progress, span, status_text
from .stepping import StepControls

TIMELINE_LINES = 8  # most recent live changes listed under the figure


class SessionWidget(widgets.VBox):
    """The live view and controls of one :class:`~nbgen.Session`.

    Args:
        session: the session to show and control.

    Attributes worth knowing (tests and power users): ``train_button``, ``pause_button``,
    ``stop_button``, ``reset_button``, ``save_button``, ``save_path``, ``learning_rate``, ``beta``,
    ``d_steps`` (live sliders), ``model_picker``, ``data_picker``, ``latent_dim``, ``noise_dim``,
    ``hidden``, ``batch_size``, ``seed``, ``epochs`` (applied on Reset / Train), ``progress``,
    ``status_line``, ``timeline_view``, ``summary_view``, ``stepping`` (Dispatch, D/G step, slow
    motion) and ``figure`` (a :class:`~nbgen.ui.plots.SessionFigure`).

    Example:
        >>> view = SessionWidget(nbgen.Session("vae", "digits"))  # doctest: +SKIP
        >>> view.train_button.click()  # doctest: +SKIP
    """

    def __init__(self, session: Session, launcher: Any = None, controls: Any = None, view: Any = None):
        super().__init__()
        self.session = session
        self._launcher = launcher  # nbgen.ui.launch.Launcher: its buttons and status line become ours
        self._closed = False
        self._local = threading.local()  # marks observer calls caused by our own syncing
        self._lock = threading.Lock()
        self._flags: set[str] = set()
        self._control_error: str | None = None
        self._notice: str | None = None
        self._view_error: str | None = None
        self._synced: dict[str, Any] = {}
        self.shown_in_cell: int | None = None
        # the display this view was shown in: its static snapshot is refreshed there
        self.display_id = uuid.uuid4().hex
        self.displayed = False
        self._user_data = None if isinstance(session.config["data"], str) else session.config["data"]
        self._user_spec = None  # a model with the user's networks, once seen
        self._build_controls()
        self.figure = SessionFigure(session, on_error=self._show_error, on_settled=self.refresh_snapshot)
        session.frames.start()  # the step slider's pictures (nbgen.frames)
        self.figure.draw()
        self.explorer = Explorer(session, self.figure)
        self.stepping = StepControls(session, self.step_button, self.status_line, self._run_action)
        self.plot_options = PlotOptions(self.figure, lambda: self._drawer.mark_dirty(), view)
        self.controls_spec: dict[str, str] = {}
        self._drawer = ThrottledDrawer(self._draw, on_error=self._on_draw_error)
        self._unsubscribe = session.subscribe(self._on_event)
        self._sync_setup()
        self._sync_live()
        self.controls_spec = teacher.check(controls, teacher.control_names(self))  # a teacher's hides and locks
        self._update_controls()
        self.children = [
            self._setup_box,
            self._live_box,
            self._button_box,
            self.stepping.box,
            self._progress_box,
            self.status_line,
            self.plot_options.box,
            self.figure.widget,
            self.explorer.box,
            self.timeline_view,
            self.summary_view,
            self.compare_box,
            self._hide_snapshot,
        ]
        self.add_class("nbgen")
        self._open = True

    # -- construction -------------------------------------------------------------------
    def _build_controls(self) -> None:
        wide = {"description_width": "initial"}

        self.model_picker = widgets.Dropdown(
            options=model_options(), description="model", style=wide, layout=widgets.Layout(width="170px")
        )
        # a combobox: pick a built-in set or type a path to a .npy / .npz file
        self.data_picker = widgets.Combobox(
            options=DATA_OPTIONS,
            ensure_option=False,
            placeholder="name or .npy/.npz path",
            description="data",
            style=wide,
            layout=widgets.Layout(width="220px"),
        )
        for name in (*SETUP_FIELDS, *_config.LIVE):  # one control per row of the table
            setattr(self, name, make_control(_config.TABLE[name]))
        self.model_controls: dict[str, widgets.ValueWidget] = {}  # a model's own live rows
        self.model_picker.add_class("nbgen-model")
        self.data_picker.add_class("nbgen-data")
        self.model_picker.observe(lambda _: self._update_setup_visibility(), names="value")
        note = widgets.HTML("<small><i>applies on Reset / Train</i></small>")
        note.add_class("nbgen-setup-note")
        self._setup_box = widgets.HBox(
            [self.model_picker, self.data_picker, *(getattr(self, n) for n in SETUP_FIELDS), note],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
        )
        self._setup_box.add_class("nbgen-setup")

        for name, slider in self._live_sliders().items():
            slider.observe(self._live_observer(name), names="value")
        # a conditional model's samples: one row per class, or the class picked here
        self.class_picker = widgets.Dropdown(
            options=[("all (a row each)", -1)], value=-1, description="class", layout=widgets.Layout(width="190px")
        )
        self.class_picker.add_class("nbgen-class")
        self.class_picker.layout.display = "none"
        self.class_picker.observe(self._on_class, names="value")
        live_note = widgets.HTML("<small><i>live: applies at the next step</i></small>")
        self._live_box = widgets.HBox(
            [*self._live_sliders().values(), self.class_picker, live_note],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
        )

        def button(label: str, icon: str, css: str, handler: Callable[[Any], None]) -> widgets.Button:
            shown = self._launcher.adopt(css.removeprefix("nbgen-")) if self._launcher is not None else None
            b = shown or widgets.Button(description=label, icon=icon, layout=widgets.Layout(width="100px"))
            b.add_class(css)
            b.on_click(handler)
            return b

        self.train_button = button("Train", "play", "nbgen-train", self._on_train)
        # one optimizer step (train(steps=1)): the same run as training straight through
        self.step_button = button("Step", "step-forward", "nbgen-step", self._on_step)
        self.step_button.layout.width = "80px"
        self.pause_button = button("Pause", "pause", "nbgen-pause", self._on_pause)
        self.stop_button = button("Stop", "stop", "nbgen-stop", self._on_stop)
        self.reset_button = button("Reset", "refresh", "nbgen-reset", self._on_reset)
        self.save_button = button("Save", "save", "nbgen-save", self._on_save)
        self.train_button.button_style = "success"
        self.save_path = widgets.Text(
            value="nbgen-session.nbgen",
            description="to",
            style={"description_width": "20px"},
            layout=widgets.Layout(width="240px"),
        )
        self.save_path.add_class("nbgen-save-path")
        buttons = [self.train_button, self.step_button, self.pause_button, self.stop_button, self.reset_button]
        self._button_box = self._launcher.row if self._launcher is not None else widgets.HBox()
        self._button_box.children = [*buttons, self.save_button, self.save_path]

        self.progress = widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(width="320px"))
        self.progress.add_class("nbgen-progress-bar")
        self.progress_text = widgets.HTML("")
        self._progress_box = widgets.HBox(
            [self.progress, self.progress_text], layout=widgets.Layout(align_items="center")
        )
        self._progress_box.add_class("nbgen-progress")
        self.status_line = self._launcher.status if self._launcher is not None else widgets.HTML("")
        self.status_line.add_class("nbgen-status")
        self.timeline_view = widgets.HTML("")
        self.timeline_view.add_class("nbgen-timeline")
        self.summary_view = widgets.HTML("")
        self.summary_view.add_class("nbgen-summary")

        # Compare: the runs of this kernel, overlaid (drawn as SVG: no second Plotly bundle)
        self.compare = CompareTab(self.session, button, self._run_action)
        self.compare_runs, self.compare_button = self.compare.runs, self.compare.compare_button
        self.compare_view, self.compare_box = self.compare.view, self.compare.box
        self.refresh_runs = self.compare.refresh
        self._hide_snapshot = widgets.HTML(snapshot.HIDE_WHEN_LIVE, layout=widgets.Layout(display="none"))

    def _live_sliders(self) -> dict[str, widgets.ValueWidget]:
        """The live controls: one per live row of the table, and those a model adds (a Keras
        model's own variables), made when a model that has them is first shown."""
        return {**{name: getattr(self, name) for name in _config.LIVE}, **self.model_controls}

    def _add_model_controls(self) -> None:
        """Controls for the live rows of the session's model that the table does not have."""
        rows = self.session.generative_model.table
        new = [n for n in self.session.generative_model.live_names if n not in _config.TABLE and n not in self.model_controls]
        for name in new:
            control = make_control(rows[name])
            control.observe(self._live_observer(name), names="value")
            self.model_controls[name] = control
        if new:
            children = list(self._live_box.children)
            at = children.index(self.class_picker)
            self._live_box.children = (*children[:at], *(self.model_controls[n] for n in new), *children[at:])

    # -- from the session to the controls ----------------------------------------------------
    def _syncing(self) -> bool:
        return getattr(self._local, "syncing", False)

    def _set_quietly(self, widget: widgets.ValueWidget, value: Any) -> None:
        """Set a control without it sending a command back to the session."""
        self._local.syncing = True
        try:
            widget.value = value
        finally:
            self._local.syncing = False

    def _sync_setup(self) -> None:
        """Show the session's model, data and structural settings in the setup fields."""
        s = self.session
        hp = s.hyperparameters
        options = list(DATA_OPTIONS)
        if s.dataset.name not in options:
            options.append(s.dataset.name)
        if self._user_data is not None and "array" not in options:
            options.append("array")
        self._local.syncing = True
        try:
            if tuple(self.data_picker.options) != tuple(options):
                self.data_picker.options = options
            self.data_picker.value = s.dataset.name
            spec = s.config["model"]
            if not isinstance(spec, str):  # the user's networks: an entry of their own in the picker
                self._user_spec = spec
            options = model_options()
            if self._user_spec is not None:
                options.append((self._user_spec.picker_label, YOURS))
            if tuple(self.model_picker.options) != tuple(options):
                self.model_picker.options = options
            self.model_picker.value = s.kind if isinstance(spec, str) else YOURS
            for name in SETUP_FIELDS:
                if name in hp:
                    value = hp[name]
                    getattr(self, name).value = ",".join(str(w) for w in value) if name == "hidden" else value
        finally:
            self._local.syncing = False
        self._synced = self._setup_values()
        self._update_setup_visibility()

    def _setup_values(self) -> dict[str, Any]:
        values = {name: getattr(self, name).value for name in SETUP_FIELDS}
        values["hidden"] = values["hidden"].replace(" ", "")
        return values

    def _picked(self) -> Any:
        """The model the picker names: a name, or the user's model object."""
        value = self.model_picker.value
        return self._user_spec if value == YOURS else value

    def _fields(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The setup fields the picked model takes, and those its networks fix (read-only)."""
        from .. import models

        spec = models.resolve(self._picked())
        fixed = spec.fixed_by_networks if spec.user_defined else ()
        return spec.accepts, fixed

    def _sync_live(self) -> None:
        """Move the live sliders to the session's values (no command is sent back)."""
        self._add_model_controls()
        hp = self.session.hyperparameters
        pending = self.session.run.pending  # requested, not yet applied: keep the user's value
        for name, slider in self._live_sliders().items():
            if name in hp and name not in pending and slider.value != hp[name]:
                widen(slider, hp[name])  # a value set in code beyond the slider's span: widen it
                self._set_quietly(slider, hp[name])
        model = self.session.generative_model
        for name, slider in self._live_sliders().items():
            slider.layout.display = None if name in hp and model.shows(name) else "none"
        if not model.conditional:
            self.figure.shown_label = None
        if model.conditional:
            options = [("all (a row each)", -1), *((str(k), k) for k in range(model.n_classes))]
            if list(self.class_picker.options) != options:
                self._set_quietly(self.class_picker, -1)
                self.class_picker.options = options
                self.figure.shown_label = None
        self.class_picker.layout.display = None if model.conditional else "none"

    def _on_class(self, change: dict) -> None:
        """The class picker: the samples panel shows that class (or a row per class); redrawn at once."""
        if self._syncing() or self._closed:
            return
        self.figure.shown_label = None if change["new"] < 0 else int(change["new"])
        self._drawer.mark_dirty()

    def _update_setup_visibility(self) -> None:
        accepts, fixed = self._fields()
        hp = self.session.hyperparameters
        for name in SETUP_FIELDS:
            control = getattr(self, name)
            shown = name in accepts or (name in fixed and name in hp)
            control.layout.display = None if shown else "none"
            control.disabled = name in fixed
            control.tooltip = "fixed by your networks" if name in fixed else _config.TABLE[name].doc

    def _update_controls(self) -> None:
        """Buttons, progress, status line, timeline and summary (cheap; any thread)."""
        if self._closed:
            return
        s = self.session
        status = s.status
        running = s.running
        self.train_button.disabled = self.step_button.disabled = running
        self.pause_button.disabled = self.stop_button.disabled = not running
        self.pause_button.description = "Resume" if status == "paused" else "Pause"
        self.pause_button.icon = "play" if status == "paused" else "pause"
        self.model_picker.disabled = running
        self.data_picker.disabled = running
        teacher.enforce(self, self.controls_spec)
        self._update_progress()
        self.status_line.value = self._status_html()
        lines = [html.escape(timeline_line(r)) for r in s.timeline[-TIMELINE_LINES:]]
        self.timeline_view.value = (
            "<div><b>Live changes</b><br>" + "<br>".join(reversed(lines)) + "</div>" if lines else ""
        )
        if not running and s.step > 0:
            self.summary_view.value = f"<pre style='margin:0;white-space:pre-wrap;word-break:normal'>{html.escape(s.summary())}</pre>"
        elif s.step == 0:
            self.summary_view.value = ""

    def _update_progress(self) -> None:
        self.progress.value, self.progress.max, self.progress_text.value = progress(self.session)

    def _status_html(self) -> str:
        text, color = status_text(self.session)
        out = [span(text, color)]
        if getattr(self.session, "checkpoint_error", None) is not None:  # training went on in memory: say so
            out.append(span(str(self.session.checkpoint_error), RED))
        if self._notice:
            out.append(span(self._notice, None))
        if self._control_error:
            out.append(span(self._control_error, RED))
        if self._view_error:
            out.append(span(self._view_error, RED))
        return "<br>".join(out)

    # -- from the controls to the session -----------------------------------------------------
    def _run_action(self, action: Callable[[], Any], notice: str | Callable[[Any], str] | None = None) -> bool:
        """Run a command; a bad value shows in red in the status line and changes nothing."""
        try:
            result = action()
        except Exception as exc:  # noqa: BLE001 - never let a control error escape into the comm handler
            self._control_error = (
                f"{exc}" if isinstance(exc, (ValueError, TypeError)) else f"{type(exc).__name__}: {exc}"
            )
            self._notice = None
            ok = False
        else:
            self._control_error = None
            self._notice = notice(result) if callable(notice) else notice
            ok = True
        self._update_controls()
        self._drawer.mark_dirty()
        return ok

    def _live_observer(self, name: str) -> Callable[[dict], None]:
        def observer(change: dict) -> None:
            if self._syncing() or self._closed:
                return
            if name not in self.session.generative_model.accepts:
                return
            self._run_action(lambda: self.session.set(**{name: change["new"]}))

        return observer

    def _read_setup(self) -> tuple[str, Any, dict[str, Any]]:
        model = self._picked()
        choice = self.data_picker.value.strip()
        data = self._user_data if choice == "array" and self._user_data is not None else choice
        accepts, _ = self._fields()
        hp: dict[str, Any] = {}
        for name in SETUP_FIELDS:
            if name in accepts:
                value = getattr(self, name).value
                hp[name] = parse_hidden(value) if name == "hidden" else value
        return model, data, hp

    def _apply_setup(self, rebuild: bool) -> None:
        """Apply the setup fields before Train (``rebuild=False``) or on Reset (``True``).

        A new model or data set rebinds the session; a changed structural value
        resets it; ``batch_size`` and ``epochs`` alone go through ``session.set``.
        Everything is validated first, so a bad field leaves the session as it was.
        """
        s = self.session
        model, data, hp = self._read_setup()
        current = self._setup_values()
        same_model = model is s.config["model"] if not isinstance(model, str) else model == s.config["model"]
        if not same_model or self.data_picker.value.strip() != s.dataset.name:
            # only the fields the user edited carry over; the rest take the new defaults
            edited = {k: v for k, v in hp.items() if current[k] != self._synced.get(k)}
            s.rebind(model, data, **edited)
            self._sync_setup()
            return
        now = s.hyperparameters
        structural = {k: v for k, v in hp.items() if k in _config.STRUCTURAL and v != now.get(k)}
        later = {k: v for k, v in hp.items() if k in _config.EPOCH and v != now.get(k)}
        _config.validate(s.generative_model.table, s.kind, {**structural, **later}, len(s.dataset.x_train))
        if structural or rebuild:
            s.reset(**structural, **later)
        elif later:
            s.set(**later)
        self._synced = current

    def _on_train(self, _: Any = None) -> None:
        def action() -> None:
            if self.session.running:
                raise RuntimeError("already training: use Pause, Resume or Stop")
            self._apply_setup(rebuild=False)
            self.session.train(block=False)

        self._run_action(action)

    def _on_step(self, _: Any = None) -> None:
        def action() -> None:
            if self.session.running:
                raise RuntimeError("already training: Pause or Stop first, then Step")
            self._apply_setup(rebuild=False)
            self.session.train(steps=1, block=False)

        to = self.session.step + 1
        self._run_action(action, f"One optimizer step: to step {to}.")

    def _on_pause(self, _: Any = None) -> None:
        s = self.session
        self._run_action(s.resume if s.status == "paused" else s.pause)

    def _on_stop(self, _: Any = None) -> None:
        # ask and return: joining the training thread here would hold the kernel busy for
        # as long as the current dispatch (or the first compile) takes; the run's final
        # status event updates the view when it has ended
        self._run_action(lambda: self.session.stop(wait=False))

    def _on_reset(self, _: Any = None) -> None:
        self._run_action(lambda: self._apply_setup(rebuild=True), "Reset: the model was rebuilt from scratch.")

    def _on_save(self, _: Any = None) -> None:
        self._run_action(lambda: self.session.save(self.save_path.value), lambda path: f"Saved to {path}.")
        self.refresh_snapshot()

    def _show_error(self, message: str) -> None:
        self._control_error = message
        self._update_controls()

    # -- events and drawing ---------------------------------------------------------------------
    def _on_event(self, event: dict[str, Any]) -> None:
        """Engine listener (training thread): record and mark dirty, nothing more."""
        kind = event.get("type")
        flag = {"reset": "reset", "change": "change"}.get(kind)
        if kind == "status" and event.get("final"):
            flag = "final"
        if flag is not None:
            with self._lock:
                self._flags.add(flag)
        self._drawer.mark_dirty()

    def _draw(self, flags: set[str] | None = None) -> None:
        """One throttled draw (view thread), of the flags recorded since the last one."""
        if self._closed:
            return
        if flags is None:
            with self._lock:
                flags, self._flags = self._flags, set()
        if "reset" in flags:
            self._sync_setup()
            self.explorer.update_visibility()
        if flags & {"reset", "change"}:
            self._sync_live()
        self._view_error = None
        if "final" in flags:  # the status line says at once that the run ended; the views follow
            self._update_controls()
        if self.figure.draw(force="final" in flags):
            self._drawer.mark_dirty()  # a model view is behind: catch up at a later draw
        self._update_controls()
        self.plot_options.refresh(rebuilt="reset" in flags)
        if "final" in flags:
            self.figure.sync_state()
            self.refresh_snapshot()
            self.explorer.refresh()

    def _on_draw_error(self, exc: BaseException) -> None:
        self._view_error = f"The live view failed to draw ({type(exc).__name__}: {exc}); training is unaffected."
        self._update_controls()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until pending draws are done (for tests and scripts); False on timeout."""
        return self._drawer.wait_idle(timeout)

    def draw_now(self) -> None:
        """Draw at once in the calling thread (e.g. after a blocking ``train()`` in a script)."""
        self._draw()

    def settle(self, timeout: float = 30.0) -> None:
        """After a blocking run, in the caller's thread (so that a notebook being executed holds
        the final picture): the run's final draw and snapshot, once. Drawn here if the view thread
        has not taken the run's end yet, else waited for."""
        with self._lock:
            flags, self._flags = (self._flags, set()) if "final" in self._flags else (None, self._flags)
        if flags is None:
            self._drawer.wait_idle(timeout)
        else:
            self._draw(flags)

    @property
    def view_thread(self) -> threading.Thread | None:
        """The drawing thread while one runs (it ends when idle or closed)."""
        return self._drawer.thread

    # -- display and lifecycle ------------------------------------------------------------------------
    def __repr__(self) -> str:
        # stable text (the default lists every child widget, with random ids): the
        # text/plain of the display, which nbval compares
        return f"SessionWidget({self.session!r})"

    def loss_view_options(self) -> dict[str, Any]:
        """The plot options as ``show(setup=...)`` keeps them."""
        return self.plot_options.options()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        if self._closed:
            return {"text/plain": repr(self.session)}
        # nbgen.show() already displayed this widget in this very cell: when the cell also
        # ends with the returned session, show text rather than a second copy of the widget
        if self.shown_in_cell is not None and self.shown_in_cell == frontends.execution_count():
            return {"text/plain": repr(self.session)}
        self.figure.sync_state()
        data = dict(super()._repr_mimebundle_(**kwargs) or {})
        # what a front end without widgets prints: stable, and true whenever it is read
        data["text/plain"] = f"nbgen live view of {self.session.kind} on {self.session.dataset.name}"
        metadata = frontends.display_metadata()  # Colab: its custom widget manager
        return (data, metadata) if metadata else data

    def snapshot_bundle(self) -> dict[str, str]:
        """The static picture of the views, displayed under the widget by ``show()``: what a
        saved or exported notebook shows where the widget cannot render."""
        with self.figure.lock:
            return snapshot.bundle(self.figure)

    def refresh_snapshot(self) -> None:
        """Redraw the static picture under the widget with the current views (called when a run
        ends, on Stop and on Save). Only that output changes: the live widget is not re-rendered."""
        if not self.displayed or self._closed:
            return
        from IPython.display import update_display

        try:
            self.figure.sync_state()
            update_display(self.snapshot_bundle(), display_id=self.display_id, raw=True)
        except Exception as exc:  # noqa: BLE001 - a picture must never break the view
            self._view_error = f"The static snapshot failed ({type(exc).__name__}: {exc}); the live view is unaffected."

    def close(self) -> None:
        """Stop training, end the view thread and close every widget of this view."""
        if not getattr(self, "_open", False):  # closed already, or __init__ failed
            super().close()
            return
        self._open = False
        self._closed = True
        self._unsubscribe()
        s = self.session
        if s.widget is self:
            s.widget = None
        if s.running:
            s.stop()
        self._drawer.close()
        for child in self.children:
            close_tree(child)
        for name in ("layout", "style"):
            sub = getattr(self, name, None)
            if isinstance(sub, widgets.Widget):
                sub.close()
        super().close()


__all__ = ["SessionWidget"]
