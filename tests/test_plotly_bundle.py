"""Plotly's ~5 MB widget JavaScript travels once per kernel, not once per figure."""

from __future__ import annotations

import hashlib
import json

import plotly.graph_objects as go
from ipywidgets.widgets.widget import _instances

import nbgen
from nbgen.ui.plotly_bundle import SharedFigureWidget, figure_widget


def _holder(ref: str):
    model_id, key = ref.removeprefix("IPY_MODEL_").split("#")
    return _instances[model_id], key


def test_figures_of_a_kernel_share_one_plotly_bundle():
    a, b = figure_widget(), figure_widget()
    assert isinstance(a, SharedFigureWidget) and isinstance(a, go.FigureWidget)
    assert a._nbgen_bundle and a._nbgen_bundle == b._nbgen_bundle
    holder, key = _holder(a._nbgen_bundle)
    code = str(go.FigureWidget._esm)  # Plotly's own bundle, unchanged
    assert holder._code == code.encode() and hashlib.sha1(holder._code).hexdigest() == key == holder.key
    # no widget's state carries the bundle (a notebook saved with its widget state stays small)
    assert len(json.dumps(holder.get_state())) < 10_000 < 1_000_000 < len(code)
    # what a figure's model sends when it opens: a loader of a few KB, not the bundle
    state = a.get_state()
    assert len(json.dumps(state["_esm"])) < 10_000
    assert state["_nbgen_bundle"] == a._nbgen_bundle  # in the first state, before any update
    # a closed bundle model (e.g. Widget.close_all()) is made again for the next figure
    holder.close()
    c = figure_widget()
    assert c._nbgen_bundle != a._nbgen_bundle and _holder(c._nbgen_bundle)[0].comm is not None


def test_the_bundle_travels_in_custom_messages_pushed_once_and_sent_on_request(monkeypatch):
    from nbgen.ui import plotly_bundle

    monkeypatch.setattr(plotly_bundle, "_bundle", None)
    sent = []
    monkeypatch.setattr(
        plotly_bundle.PlotlyBundle, "send", lambda self, content, buffers=None: sent.append((content, buffers))
    )
    figure_widget()  # the kernel's first figure pushes the bundle, before that figure's model opens
    holder = plotly_bundle._bundle
    assert holder.sent and len(sent) == 1
    content, buffers = sent[0]
    assert content == {"type": "nbgen-plotly-bundle", "key": holder.key} and buffers == [holder._code]
    figure_widget()  # later figures: the page has it (cached under its key)
    assert len(sent) == 1
    # a page that missed the push (opened or reloaded later) asks for it: answered with the same message
    holder._handle_msg(
        {"content": {"data": {"method": "custom", "content": {"type": "nbgen-plotly-bundle?"}}}, "buffers": []}
    )
    assert len(sent) == 2 and sent[1] == sent[0]
    holder._handle_msg(
        {"content": {"data": {"method": "custom", "content": {"type": "something else"}}}, "buffers": []}
    )
    assert len(sent) == 2


def test_a_session_figure_uses_the_shared_bundle_and_keeps_plotly_behaviour():
    view = nbgen.show("ae", "moons", display=False, hidden=(8,))
    try:
        fig = view.widget.figure.widget
        assert isinstance(fig, SharedFigureWidget)
        assert fig.data and fig.layout.annotations  # panels drawn as before, through Plotly's API
    finally:
        view.close()


def test_a_plotly_without_the_expected_bundle_gets_plain_figures(monkeypatch):
    from nbgen.ui import plotly_bundle

    monkeypatch.setattr(plotly_bundle, "_bundle", None)
    monkeypatch.setattr(go.FigureWidget, "_esm", "")  # e.g. a Plotly that loads its widget otherwise
    assert plotly_bundle._bundle_code() is None
    monkeypatch.undo()
    monkeypatch.setattr(plotly_bundle, "_bundle", None)
    monkeypatch.setattr(plotly_bundle, "_bundle_code", lambda: None)
    fig = figure_widget()
    assert not isinstance(fig, SharedFigureWidget) and type(fig).__name__ == "FigureWidget"
    monkeypatch.undo()
    monkeypatch.setenv("NBGEN_PLOTLY_BUNDLE", "0")  # turned off by the user
    fig = figure_widget()
    assert (
        not isinstance(fig, SharedFigureWidget) and type(fig).__name__ == "FigureWidget"
    )  # slower to appear, but drawn by Plotly as ever
