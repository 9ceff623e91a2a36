"""The panel's Compare section: the sessions of this kernel that have trained, and their curves
and settings side by side (drawn as SVG: no second Plotly figure)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from . import snapshot
from .status import short

if TYPE_CHECKING:
    from ..session import Session


class CompareTab:
    """A list of this kernel's runs, Refresh and Compare buttons, and the comparison drawn below.

    ``button(label, icon, css, handler)`` makes the buttons as the panel makes its own;
    ``run_action(action)`` runs a command and writes a bad choice in the panel's status line.
    """

    def __init__(self, session: Session, button: Callable[..., widgets.Button], run_action: Callable[..., bool]):
        self.session = session
        self._run_action = run_action
        self._run_index: dict[int, Session] = {}
        self.runs = widgets.SelectMultiple(options=[], rows=5, layout=widgets.Layout(width="520px"))
        self.runs.add_class("nbgen-compare-runs")
        self.refresh_button = button("Refresh", "refresh", "nbgen-compare-refresh", lambda _: self.refresh())
        self.compare_button = button("Compare", "line-chart", "nbgen-compare", self._on_compare)
        self.view = widgets.HTML("")
        self.view.add_class("nbgen-compare-view")
        self.box = widgets.Accordion(
            children=[
                widgets.VBox(
                    [widgets.HBox([self.runs, widgets.VBox([self.refresh_button, self.compare_button])]), self.view]
                )
            ],
            selected_index=None,
        )
        self.box.set_title(0, "Compare runs of this kernel")
        self.box.add_class("nbgen-compare-box")
        self.box.observe(lambda change: self.refresh() if change["new"] == 0 else None, "selected_index")

    def refresh(self) -> None:
        """List this kernel's sessions that have trained (the panel's own included)."""
        from ..training import runs

        chosen = set(self.runs.value)
        options = []
        for i, s in enumerate(runs()):
            if s.epoch == 0 and s is not self.session:
                continue
            mark = " (this view)" if s is self.session else ""
            options.append((f"#{i + 1} {s.kind} on {s.dataset.name}: {s.status}, epoch {s.epoch}{mark}", id(s)))
        self._run_index = {id(s): s for s in runs()}
        self.runs.options = options
        self.runs.value = tuple(v for _, v in options if v in chosen)

    def _on_compare(self, _: Any = None) -> None:
        def action() -> None:
            from .._compare import compare

            chosen = [self._run_index[v] for v in self.runs.value if v in self._run_index]
            if not chosen:
                raise ValueError("choose one or more runs in the list (Ctrl-click for several)")
            result = compare(*chosen, evaluate=False)
            rows = "".join(
                "<tr>" + "".join(f"<td>{html.escape(short(row.get(k)))}</td>" for k in result.table[0]) + "</tr>"
                for row in result.table
            )
            head = "".join(f"<th>{html.escape(k)}</th>" for k in result.table[0])
            self.view.value = snapshot.compare_svg(result) + f"<table style='font-size:12px'><tr>{head}</tr>{rows}</table>"

        self._run_action(action)
