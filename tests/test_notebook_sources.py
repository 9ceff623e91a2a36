"""The notebooks in the repository are what notebooks/make_notebooks.py writes.

A formatter or an editor run over the .ipynb files once moved ``import keras`` above
``import nbgen`` in notebook 07, which then failed on every fresh machine; the
generator still had the right order. These tests catch such drift in seconds.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

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


@pytest.mark.parametrize("name", sorted(make_notebooks.NOTEBOOKS))
def test_notebooks_remove_the_temporary_folders_they_make(name):
    code = "\n".join(c.source for c in make_notebooks.NOTEBOOKS[name] if c.cell_type == "code")
    assert "mkdtemp(" not in code, f"{name}: tempfile.mkdtemp() folders are never removed"
    for folder in re.findall(r"^(\w+) = tempfile\.TemporaryDirectory\(\)", code, re.M):  # not in a with block
        assert f"{folder}.cleanup()" in code, f"{name}: {folder} is not cleaned up"


def test_a_notebook_that_saves_a_session_leaves_no_folder_behind(tmp_path):
    temp = tmp_path / "tmp"  # the kernel's temporary folder: empty again once the notebook has run
    temp.mkdir()
    run = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--execute", "--to", "notebook"]
        + ["--output-dir", str(tmp_path), os.path.join(ROOT, "notebooks", "06_headless_and_ci.ipynb")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ROOT, "TMPDIR": str(temp), "CI": "true"},
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert sorted(p.name for p in temp.iterdir()) == []
