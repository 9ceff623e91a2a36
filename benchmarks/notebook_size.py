"""How big is a notebook with one shown session once a tool has executed it?

Run:  python benchmarks/notebook_size.py [--epochs 2 30]

Writes a notebook (``nbgen.show("vae", "digits", epochs=N)`` then ``session.train()``) to a
temporary folder, executes it with nbclient's defaults (what ``jupyter nbconvert --execute``
and papermill do: every widget's state is saved in the notebook's metadata), and prints the
saved .ipynb's size, what its widget state and its outputs weigh, and the size of its HTML
export (``jupyter nbconvert --to html``, which embeds the widget state). The issue-26 target:
< 200 KB per shown session (tests/test_notebook_size.py checks it for 2 epochs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)

from tests.test_notebook_size import execute  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, nargs="+", default=[2, 30])
    args = parser.parse_args()
    for epochs in args.epochs:
        with tempfile.TemporaryDirectory() as folder:
            code = f'import nbgen\nsession = nbgen.show("vae", "digits", epochs={epochs})\n\nsession.train()'
            path, nb = execute(Path(folder), code)
            state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
            models = state.get("state", {})
            biggest = max(models.values(), key=lambda m: len(json.dumps(m)), default=None)
            html = subprocess.run(
                [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(path)],
                capture_output=True,
                text=True,
            )
            page = path.with_suffix(".html")
            html_kb = f"{page.stat().st_size / 1000:,.0f} KB" if html.returncode == 0 else "failed"
            print(
                f"epochs={epochs}: executed notebook {path.stat().st_size / 1000:,.0f} KB "
                f"(widget state {len(json.dumps(state)) / 1000:,.0f} KB in {len(models)} models, the largest "
                f"{biggest['model_name'] if biggest else '-'} {len(json.dumps(biggest)) / 1000:,.0f} KB; "
                f"outputs {len(json.dumps(nb.cells)) / 1000:,.0f} KB); its HTML {html_kb}"
            )


if __name__ == "__main__":
    main()
