"""What ``nbgen.show()`` puts on screen at once, before Keras, JAX and Plotly have loaded.

In a fresh kernel the first ``show()`` spends seconds importing JAX and Keras, building the
model and loading Plotly's widget (``benchmarks/first_minute.py`` times it). Rather than an empty
cell for that long, :class:`Launcher` displays the panel's frame at once (it needs only
ipywidgets): Train, Pause, Stop and Reset, and a status line saying what is being done. When the session and its widget are ready, the widget takes the frame's place (the same
output, no second display).

A click made meanwhile is honoured: the kernel is busy running the cell, so the browser's
message waits and reaches the button when the cell ends, by then the widget's own (it adopts the
frame's buttons and status line). A failure while building (bad input) is written in the frame's
status line as well as raised in the cell.
"""

from __future__ import annotations

import html
from typing import Any

BUTTONS = (
    ("Train", "play", "train"),
    ("Pause", "pause", "pause"),
    ("Stop", "stop", "stop"),
    ("Reset", "refresh", "reset"),
)
RED = "#c62828"


def _describe(model: Any, data: Any) -> str:
    name = model if isinstance(model, str) else getattr(model, "name", type(model).__name__)
    where = data if isinstance(data, str) else "your data"
    return f"{name} on {where}" if where else name


class Launcher:
    """The frame shown while a session is built; the session's widget then fills it, taking over
    its buttons, their row and its status line (the same widgets: nothing is drawn twice, no click
    is lost, and a notebook saved with its widget state keeps no extra models)."""

    def __init__(self, model: Any, data: Any):
        import ipywidgets as widgets

        from .lean import lean_models

        self.view: Any = None
        self._pending: list[str] = []
        self._handlers: dict[str, Any] = {}
        with lean_models():  # a notebook saved with its widget state stays small
            self.status = widgets.HTML("", _dom_classes=["nbgen-status"])
            self.buttons: dict[str, widgets.Button] = {}
            for label, icon, name in BUTTONS:
                b = widgets.Button(
                    description=label, icon=icon, layout=widgets.Layout(width="100px"), _dom_classes=[f"nbgen-{name}"]
                )
                self._handlers[name] = lambda _, name=name: self._clicked(name)
                b.on_click(self._handlers[name])
                self.buttons[name] = b
            self.buttons["train"].button_style = "success"
            self.row = widgets.HBox(list(self.buttons.values()))
            self.box = widgets.VBox([self.row, self.status], _dom_classes=["nbgen-launch"])
        self.say(
            f"starting {_describe(model, data)}: importing JAX and Keras and building the model "
            "(a few seconds in a new kernel)"
        )

    @classmethod
    def open(cls, model: Any, data: Any) -> Launcher | None:
        """Display the frame now, where a live widget can render (a Jupyter kernel with widgets);
        None elsewhere (a script, a front end without widgets), where nothing is shown early."""
        from . import frontends

        if not (frontends.in_ipython() and frontends.widgets_available()):
            return None
        from IPython.display import display

        launcher = cls(model, data)
        display(launcher.box, metadata=frontends.display_metadata() or None)
        return launcher

    def say(self, text: str, error: bool = False) -> None:
        color = f" style='color:{RED}'" if error else ""
        self.status.value = f"<span{color}>{html.escape(text)}</span>"

    def _clicked(self, name: str) -> None:
        self._pending.append(name)
        self.say(f"{name} pressed: it applies as soon as the model is ready")

    def adopt(self, name: str) -> Any:
        """The button ``name`` ("train", "pause", "stop", "reset") for the session's widget, without
        the frame's own handler; None for a button the frame does not have."""
        button = self.buttons.get(name)
        if button is not None:
            button.on_click(self._handlers[name], remove=True)
        return button

    def hand_over(self, view: Any, above: Any = None) -> None:
        """The session's widget takes the frame's place (with ``above`` over it: a draw pad);
        clicks made before are passed on."""
        self.view = view
        self.box.children = (view,) if above is None else (above, view)
        pending, self._pending = self._pending, []
        for name in pending:
            getattr(view, f"{name}_button").click()

    def failed(self, exc: BaseException) -> None:
        """Building the session failed: say so in the frame (the error is also raised in the cell)."""
        first = str(exc).splitlines()[0] if str(exc) else ""
        self.say(f"{type(exc).__name__}: {first}", error=True)
