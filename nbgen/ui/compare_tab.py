"""The panel's Compare section: the sessions of this kernel that have trained and the runs of
earlier kernels (``nbgen.runs()``), and their curves and settings side by side (drawn as SVG: no
second Plotly figure). Its Load button is made when the section is first opened."""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from . import snapshot
from .status import short

if TYPE_CHECKING:
    from ..session import Session


class CompareTab:
    """A list of this kernel's runs and earlier kernels' (their latest checkpoints), Refresh,
    Compare and Load buttons, and the comparison drawn below.

    ``button(label, icon, css, handler)`` makes the buttons as the panel makes its own;
    ``run_action(action)`` runs a command and writes a bad choice in the panel's status line.
    An earlier run is loaded into this kernel (``nbgen.load`` of its latest checkpoint) by Load,
    or when it is compared; it is then listed with this kernel's sessions.
    """

    EARLIER = 50  # the latest runs of earlier kernels listed

    def __init__(self, session: Session, button: Callable[..., widgets.Button], run_action: Callable[..., bool]):
        self.session = session
        self._run_action = run_action
        self._run_index: dict[int, Session] = {}
        self._button = button
        self.load_button: widgets.Button | None = None  # made when the section is first opened
        self._earlier: dict[str, dict[str, Any]] = {}  # run id -> its row of nbgen.runs()
        self._loaded: dict[str, Session] = {}  # run id -> the session it was loaded into
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
        self.box.set_title(0, "Compare runs (this kernel and earlier ones)")
        self.box.add_class("nbgen-compare-box")
        self.box.observe(lambda change: self.refresh() if change["new"] == 0 else None, "selected_index")

    def refresh(self) -> None:
        """List this kernel's sessions that have trained (the panel's own included), then the
        latest runs of earlier kernels (and of other processes) that have a checkpoint."""
        from ..training import runs

        if self.load_button is None:  # the section is open: its Load button is wanted now
            self.load_button = self._button("Load", "upload", "nbgen-compare-load", self._on_load)
            buttons = self.box.children[0].children[0].children[1]
            buttons.children = (*buttons.children, self.load_button)
        chosen = set(self.runs.value)
        options: list[tuple[str, Any]] = []
        loaded = {id(s): run for run, s in self._loaded.items()}
        for i, s in enumerate(runs()):
            if s.epoch == 0 and s is not self.session:
                continue
            mark = (
                " (this view)" if s is self.session else f" (loaded run {loaded[id(s)][:8]})" if id(s) in loaded else ""
            )
            options.append((f"#{i + 1} {s.kind} on {s.dataset.name}: {s.status}, epoch {s.epoch}{mark}", id(s)))
        self._run_index = {id(s): s for s in runs()}
        self._earlier = {r["run"]: r for r in self._earlier_runs() if r["run"] not in self._loaded}
        for run, r in self._earlier.items():
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r["updated"]))
            options.append(
                (
                    f"earlier: {r['model']} on {r['data']}: {r['status']}, epoch {r['epoch']} ({when}, run {run[:8]})",
                    run,
                )
            )
        self.runs.options = options
        self.runs.value = tuple(v for _, v in options if v in chosen)

    def _earlier_runs(self) -> list[dict[str, Any]]:
        """The latest runs of ``nbgen.runs()`` with a checkpoint, but this kernel's live ones."""
        from .. import runlog
        from ..training import runs

        try:
            listed = runlog.runs()
        except Exception:  # noqa: BLE001 - a damaged run store must not break the panel
            return []
        rows = listed.to_dict("records") if hasattr(listed, "to_dict") else listed
        live = {s.checkpointer.run for s in runs() if getattr(s, "checkpointer", None) is not None}
        rows = [r for r in rows if r.get("checkpoint") and r["run"] not in live]
        return sorted(rows, key=lambda r: r["updated"], reverse=True)[: self.EARLIER]

    def _load(self, run: str) -> Session:
        """The session an earlier run is loaded into (loaded once)."""
        from ..api import load

        if run not in self._loaded:
            self._loaded[run] = load(self._earlier[run]["checkpoint"])
        return self._loaded[run]

    def _on_load(self, _: Any = None) -> None:
        def action() -> None:
            chosen = [v for v in self.runs.value if isinstance(v, str)]
            if not chosen:
                raise ValueError("choose one or more earlier runs in the list to load")
            sessions = [self._load(run) for run in chosen]
            self.refresh()
            self.runs.value = tuple(id(s) for s in sessions)

        self._run_action(action)

    def _on_compare(self, _: Any = None) -> None:
        def action() -> None:
            from .._compare import compare

            chosen = [self._load(v) if isinstance(v, str) else self._run_index.get(v) for v in self.runs.value]
            chosen = [s for s in chosen if s is not None]
            if not chosen:
                raise ValueError("choose one or more runs in the list (Ctrl-click for several)")
            result = compare(*chosen, evaluate=False)
            if any(isinstance(v, str) for v in self.runs.value):  # earlier runs were loaded: list them so
                self.refresh()
                self.runs.value = tuple(id(s) for s in chosen)
            rows = "".join(
                "<tr>" + "".join(f"<td>{html.escape(short(row.get(k)))}</td>" for k in result.table[0]) + "</tr>"
                for row in result.table
            )
            head = "".join(f"<th>{html.escape(k)}</th>" for k in result.table[0])
            self.view.value = (
                snapshot.compare_svg(result) + f"<table style='font-size:12px'><tr>{head}</tr>{rows}</table>"
            )

        self._run_action(action)
