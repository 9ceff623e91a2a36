"""The live notebook view of a session: ``nbgen.show()`` builds a :class:`SessionWidget`."""

from __future__ import annotations

from .plots import SessionFigure, Throttle, ThrottledDrawer
from .widget import SessionWidget, show

__all__ = ["SessionFigure", "SessionWidget", "Throttle", "ThrottledDrawer", "show"]
