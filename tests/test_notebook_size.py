"""A notebook executed the way CI tools and papermill do it (nbclient with its defaults, which
save every widget's state in the notebook) stays small and keeps its static snapshot.

Plotly's 5 MB widget bundle travels in a custom message, not in any widget's state
(nbgen/ui/plotly_bundle.py), and layouts and styles open without their default properties
(nbgen/ui/lean.py): nbclient stores widget state only.
"""

from __future__ import annotations

import json
import os

import nbclient
import nbformat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIMIT = 200_000  # bytes, for one shown session (issue 26)


def execute(folder, code: str, name: str = "executed.ipynb"):
    """Write a notebook of ``code``'s cells to ``folder``, execute it with nbclient's defaults, save it."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in code.split("\n\n")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbclient.NotebookClient(nb, resources={"metadata": {"path": str(folder)}}).execute()
    path = folder / name
    nbformat.write(nb, path)
    return path, nb


def test_an_executed_notebook_with_a_shown_session_is_small_and_keeps_its_snapshot(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    path, nb = execute(tmp_path, 'import nbgen\nsession = nbgen.show("vae", "digits", epochs=2)\n\nsession.train()')
    size = path.stat().st_size
    assert size < LIMIT, f"{size:,} bytes"
    # the widget state is there (nbclient's default), Plotly's bundle is not
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert any("PlotlyBundle" in str(m["state"].get("_anywidget_id")) for m in state.values())
    assert max(len(json.dumps(m)) for m in state.values()) < 100_000
    # the widget, and under it the static snapshot of the trained run (HTML with inline SVG, and SVG)
    outputs = nb.cells[0].outputs
    assert "application/vnd.jupyter.widget-view+json" in outputs[0]["data"]
    picture = outputs[1]["data"]
    assert picture["text/html"].startswith('<div class="nbgen-snapshot"><svg')
    assert "finished after 2 epochs (22 steps)" in picture["image/svg+xml"]
