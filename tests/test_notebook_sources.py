"""The notebooks in the repository are what notebooks/make_notebooks.py writes.

A formatter or an editor run over the .ipynb files once moved ``import keras`` above
``import nbgen`` in notebook 07, which then failed on every fresh machine; the
generator still had the right order. These tests catch such drift in seconds.
"""

from __future__ import annotations

import importlib.util
import os
import re

import nbformat
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location("make_notebooks", os.path.join(ROOT, "notebooks", "make_notebooks.py"))
make_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_notebooks)


@pytest.mark.parametrize("name", sorted(make_notebooks.NOTEBOOKS))
def test_notebook_file_matches_its_generator(name):
    nb = nbformat.read(os.path.join(ROOT, "notebooks", name), as_version=4)
    written = [(c.cell_type, c.source) for c in nb.cells]
    generated = [(c.cell_type, c.source) for c in make_notebooks.NOTEBOOKS[name]]
    assert written == generated, f"notebooks/{name} differs from make_notebooks.py: run python notebooks/make_notebooks.py"


@pytest.mark.parametrize("name", sorted(make_notebooks.NOTEBOOKS))
def test_notebooks_import_nbgen_before_keras(name):
    code = "\n".join(c.source for c in make_notebooks.NOTEBOOKS[name] if c.cell_type == "code")
    imports = [m.group(1) for m in re.finditer(r"^\s*(?:import|from)\s+(nbgen|keras)\b", code, re.M)]
    if "keras" in imports:
        assert imports[0] == "nbgen", f"{name} imports keras before nbgen: a fresh machine's kernel then has no backend"
