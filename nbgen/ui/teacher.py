"""A teacher's setup: which controls a student sees or may move, and the whole exercise as text.

``nbgen.show(..., controls={"beta": "locked", "architecture": "hidden"})`` shows, hides or
locks any control by name (:func:`control_names` lists them: the hyperparameters' rows, the
pickers ``model`` and ``data``, the buttons ``train``, ``step``, ``pause``, ``stop``,
``reset``, ``save``, and the sections ``plot_options``, ``stepping``, ``compare``, ``explorer``). A locked
control is shown disabled and stays so whatever the run does; a hidden one is not drawn.

``session.setup()`` writes the exercise as one line of text (nbgen/setup_text.py) and
``nbgen.show(setup=text)`` rebuilds it: model, data, hyperparameters, plot options and the
controls' states.
"""

from __future__ import annotations

from typing import Any

from .. import _config

STATES = ("shown", "hidden", "locked")
BUTTONS = ("train", "step", "pause", "stop", "reset", "save")
SECTIONS = ("plot_options", "stepping", "compare", "explorer")  # stepping: Dispatch, D/G step, slow motion


def control_names(widget: Any) -> list[str]:
    """Every name ``controls=`` takes for this widget."""
    rows = [n for n in _config.TABLE if hasattr(widget, n)] + list(getattr(widget, "model_controls", {}))
    return ["model", "data", *rows, *BUTTONS, *SECTIONS]


def check(spec: Any, names: list[str]) -> dict[str, str]:
    """``spec`` as {name: state}, or a ValueError naming the bad entry and what is allowed."""
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise TypeError(f"controls must be a dict of control name -> 'shown', 'hidden' or 'locked', got {spec!r}")
    out = {}
    for name, state in spec.items():
        if name not in names:
            raise ValueError(f"controls: no control named {name!r}; the names are: {', '.join(names)}")
        if state not in STATES:
            raise ValueError(f"controls[{name!r}] must be one of {', '.join(STATES)}, got {state!r}")
        out[name] = state
    return out


def _widgets_of(widget: Any, name: str) -> list[Any]:
    if name == "model":
        return [widget.model_picker]
    if name == "data":
        return [widget.data_picker]
    if name in BUTTONS:
        return [getattr(widget, f"{name}_button")] + ([widget.save_path] if name == "save" else [])
    if name == "plot_options":
        return [widget.plot_options.box]
    if name == "compare":
        return [widget.compare_box]
    if name == "stepping":
        return [widget.stepping.box]
    if name == "explorer":
        return [widget.explorer.box]
    control = getattr(widget, name, None)
    return [control if control is not None else widget.model_controls[name]]


def enforce(widget: Any, spec: dict[str, str]) -> None:
    """Hide and disable what ``spec`` says (after the widget's own updates, which may have
    shown or enabled them)."""
    for name, state in spec.items():
        for w in _widgets_of(widget, name):
            if state == "hidden":
                w.layout.display = "none"
            elif state == "locked":
                for part in [w, *getattr(w, "children", ())]:  # a section: each of its controls
                    if hasattr(part, "disabled"):
                        part.disabled = True
                    part.add_class("nbgen-locked")
