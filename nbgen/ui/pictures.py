"""``session.figure()`` and ``session.snapshot()``: static pictures of a session's views.

The session's methods ask for these functions through :mod:`nbgen._hooks` (this module is the
ui's answer; ``nbgen/__init__.py`` registers it), so that the session never imports the ui:
the views import the session's layer, not the reverse. The drawing itself is
:mod:`nbgen.ui.snapshot`'s; here a session's current views become a figure, an SVG, a PNG or
an HTML page. :class:`StaticView` shows that picture where the live widget cannot render
(see :mod:`nbgen.ui.frontends`).
"""

from __future__ import annotations

import html
import os
import sys
from typing import Any

from ..progress import ProgressLine, headline
from . import snapshot as _snapshot
from .history import show_frame
from .plots import SessionFigure


def _drawn_figure(session: Any, step: int | None = None) -> SessionFigure:
    """A drawn SessionFigure of ``session``'s current state: its shown widget's, else a static
    one (a plain Figure: a picture needs no widget, and Colab may refuse to make one). With
    ``step``: a static one whose model views show the run's frame at that step (nbgen.frames)."""
    view = session.widget
    if step is None and view is not None and hasattr(view, "figure") and view.figure.pinned is None:
        view.draw_now()
        return view.figure
    if step is not None:
        session.frames.at(step)  # no frame there: say so before drawing anything
    sf = SessionFigure(session, static=True)
    sf.draw(force=True)
    if step is not None:
        show_frame(sf, step)
    return sf


def figure(session: Any, step: int | None = None):
    """A static Plotly figure of ``session``'s current views: see ``Session.figure``."""
    # no blank cell: a panel waiting for a click is left out
    return _snapshot.static_figure(_drawn_figure(session, step))[0]


def snapshot(session: Any, path: str | os.PathLike | None = None, step: int | None = None) -> str:
    """A picture of ``session``'s current views, written to ``path`` (``.png``, ``.svg`` or
    ``.html``), or the SVG text when ``path`` is None: see ``Session.snapshot``."""
    if path is not None:
        path = os.fspath(path)
        kind = os.path.splitext(path)[1].lower()
        if kind not in (".png", ".svg", ".html"):
            raise ValueError(f"path={path!r} must end in .png, .svg or .html")
        if os.path.isdir(path):
            raise IsADirectoryError(f"path={path!r} is a folder: give a file name")
    sf = _drawn_figure(session, step)
    if path is None:
        return _snapshot.svg(sf)
    if kind == ".png":
        data = _snapshot.png(sf)
    elif kind == ".svg":
        data = _snapshot.svg(sf).encode("utf-8")
    else:
        title = html.escape(_snapshot.describe(session))
        data = (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body>{_snapshot.svg(sf)}</body></html>"
        ).encode()
    with open(path, "wb") as f:
        f.write(data)
    return path


_OPEN: set[StaticView] = set()  # sessions hold their views weakly: open static views live here


class StaticView:
    """The fallback view: the static snapshot (updated when a run ends) and a progress line.

    It stands where a SessionWidget would (``session.widget``), so that blocking runs,
    Stop and Save refresh its picture the same way.
    """

    def __init__(self, session: Any):
        import uuid

        self.session = session
        self.display_id = uuid.uuid4().hex
        self.displayed = False
        self._closed = False
        self._line: ProgressLine | None = None
        self._unsubscribe = session.subscribe(self._on_event)
        _OPEN.add(self)

    def _on_event(self, event: dict[str, Any]) -> None:
        final = event.get("type") == "status" and event.get("final")
        if event.get("type") == "status" and event.get("status") == "running" and self._line is None:
            remaining = max(int(self.session.hyperparameters["epochs"]), 1)
            names = headline(self.session.generative_model.metric_names) or None
            self._line = ProgressLine(remaining, stream=sys.stdout, metrics=names)
        elif self._line is not None:
            self._line(event)
            if final:
                self._line.close(event.get("status", "finished"))
                self._line = None
        if final:  # the picture of the run's end, drawn here, before a blocking train() returns
            self.refresh_snapshot()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        sf = SessionFigure(self.session, static=True)  # the fallback's picture: no widget to refuse
        sf.draw(force=True)
        return _snapshot.bundle(sf)

    def draw_now(self) -> None:
        """Nothing to draw live: the snapshot is drawn on demand."""

    def settle(self) -> None:
        """Nothing left: the run's final status event redrew the picture."""

    def flush(self, timeout: float = 30.0) -> bool:
        """Nothing is drawn in the background: always done."""
        return True

    def refresh_snapshot(self) -> None:
        if not self.displayed or self._closed:
            return
        from IPython.display import update_display

        update_display(self._repr_mimebundle_(), display_id=self.display_id, raw=True)

    def close(self) -> None:
        self._closed = True
        self._unsubscribe()
        _OPEN.discard(self)
        if self.session.widget is self:
            self.session.widget = None


__all__ = ["StaticView", "figure", "snapshot"]


def samples_at(comparison: Any, step: int | None = None):
    """Each run's samples at ``step``, side by side: see ``Comparison.samples_at``."""
    from .compare_frames import samples_at as draw

    return draw(comparison, step)
