"""What the notebook front end can show: live widgets, or a static picture and a text line.

- JupyterLab, Notebook 7 and Voila render the widget as it is.
- Google Colab renders third-party widgets only after its custom widget manager is
  enabled; nbgen enables it itself (what anywidget does) and adds the manager's URL to
  the display's metadata. If that fails, ``show()`` falls back to :class:`StaticView`.
- ``NBGEN_DISPLAY=static`` forces the fallback anywhere (a front end without widgets).
"""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import Any

from ..progress import ProgressLine, headline

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def in_colab() -> bool:
    return "google.colab.output" in sys.modules


@cache
def _enable_colab_widgets() -> bool:
    try:
        sys.modules["google.colab.output"].enable_custom_widget_manager()
    except Exception:  # noqa: BLE001 - any failure means: no live widgets here
        return False
    return True


def widgets_available() -> bool:
    """False when the live widget cannot render here (then show() uses a StaticView)."""
    if os.environ.get("NBGEN_DISPLAY", "").lower() == "static":
        return False
    if in_colab():
        return _enable_colab_widgets()
    return True


def in_ipython() -> bool:
    """True under IPython (a Jupyter kernel, the IPython shell); False in a plain ``python``
    script, where IPython's ``display()`` would print every picture's text."""
    if "IPython" not in sys.modules:  # never imported: no shell can be running
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    return get_ipython() is not None


def display_metadata() -> dict[str, Any]:
    """Metadata for the widget's display: Colab's custom widget manager, when in Colab."""
    if not in_colab() or not _enable_colab_widgets():
        return {}
    widgets = getattr(sys.modules["google.colab.output"], "_widgets", None)
    url = getattr(widgets, "_installed_url", None)
    return {WIDGET_MIME: {"colab": {"custom_widget_manager": {"url": url}}}} if url else {}


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
        self._displayed = False
        self._closed = False
        self._line: ProgressLine | None = None
        self._unsubscribe = session.subscribe(self._on_event)
        _OPEN.add(self)

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "status" and event.get("status") == "running" and self._line is None:
            remaining = max(int(self.session.hyperparameters["epochs"]), 1)
            names = headline(self.session.generative_model.metric_names) or None
            self._line = ProgressLine(remaining, stream=sys.stdout, metrics=names)
        elif self._line is not None:
            self._line(event)
            if event.get("type") == "status" and event.get("final"):
                self._line.close(event.get("status", "finished"))
                self._line = None
                self.refresh_snapshot()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        from . import snapshot
        from .plots import SessionFigure

        sf = SessionFigure(self.session)
        try:
            sf.draw(force=True)
            return snapshot.bundle(sf)
        finally:
            sf.widget.close()

    def draw_now(self) -> None:
        """Nothing to draw live: the snapshot is drawn on demand."""

    def refresh_snapshot(self) -> None:
        if not self._displayed or self._closed:
            return
        from IPython.display import update_display

        update_display(self._repr_mimebundle_(), display_id=self.display_id, raw=True)

    def close(self) -> None:
        self._closed = True
        self._unsubscribe()
        _OPEN.discard(self)
        if self.session.widget is self:
            self.session.widget = None


__all__ = ["StaticView", "display_metadata", "in_colab", "in_ipython", "widgets_available"]
