"""What every panel of the live figure shares: its place in the figure, and the fixed noise.

A :class:`Panel` is one subplot's geometry: the axis references (``"x2"``,
``"y2"``) its traces are drawn against and the layout keys of its axes. The
figure (:class:`~nbgen.ui.plots.SessionFigure`) lays the subplots out and hands
each panel module its :class:`Panel` in ``add(fig, panel)``; a panel module only
ever adds traces to, and updates, the subplot it was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from ...session import Session
    from ..plots import SessionFigure

from ...frames import SAMPLE_SEED  # noqa: F401 - fixed noise: the panels show the model change


@dataclass
class Panel:
    """One subplot: its axis references (``"x2"``, ``"y2"``) and layout names."""

    name: str
    title: str
    xref: str
    yref: str

    @property
    def xaxis(self) -> str:
        return "xaxis" + self.xref[1:]

    @property
    def yaxis(self) -> str:
        return "yaxis" + self.yref[1:]

    @property
    def axes(self) -> dict[str, str]:
        """The keyword arguments that put a trace on this subplot."""
        return {"xaxis": self.xref, "yaxis": self.yref}

    def scatter(self, name: str, mode: str, x: Any = (), y: Any = (), **style: Any) -> go.Scatter:
        """A scatter trace named ``name`` on this subplot, out of the legend and silent on hover
        unless ``style`` says otherwise (``hoverinfo=...``); empty until the panel draws into it."""
        import plotly.graph_objects as go

        style = {"hoverinfo": "skip", "showlegend": False, **style}
        return go.Scatter(x=list(x) if isinstance(x, tuple) else x, y=list(y) if isinstance(y, tuple) else y,
                          mode=mode, name=name, **style, **self.axes)  # fmt: skip


class PanelView(Protocol):
    """What the figure asks of every panel module's class."""

    name: str  # the panel's name in ``panel_names``
    title: str  # its subplot title

    def add(self, fig: go.Figure, panel: Panel) -> None:
        """Add this panel's traces to ``fig`` on the subplot ``panel``, and set up its axes."""

    def update(self, session: Session, figure: SessionFigure) -> None:
        """Draw the session's current state into the figure's traces."""
