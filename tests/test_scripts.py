"""nbgen in a plain ``python script.py`` (no IPython kernel), each script in a fresh process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_script(tmp_path, source: str) -> subprocess.CompletedProcess:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    env = {**os.environ, "PYTHONPATH": ROOT, "CI": "true"}
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)


def test_the_readme_tour_of_show_then_train_runs_in_a_script_and_prints_one_short_line(tmp_path):
    out = run_script(
        tmp_path,
        """
        import nbgen
        session = nbgen.show("gan", "ring", autostart=True, epochs=3)
        session.train(block=True)  # waits for the run autostart began
        print("after:", session.status, session.epoch)
        """,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    # no widget text, no 38 KB of SVG: one line saying what to do, then the script's own
    assert len(lines) == 2 and len(out.stdout) < 300, out.stdout[:500]
    assert lines[0].startswith("nbgen.show(): the live widget needs Jupyter") and "session.train()" in lines[0]
    assert lines[1] == "after: finished 3"


def test_an_error_in_the_main_thread_while_a_run_trains_exits_with_status_1_and_its_traceback(tmp_path):
    # a run training in the background at exit used to abort the process (status 134,
    # "FATAL: exception not rethrown"): nbgen stops it at exit
    out = run_script(
        tmp_path,
        """
        import time
        import nbgen
        s = nbgen.Session("vae", "digits", epochs=10_000)
        s.train(block=False)
        while s.epoch < 5:  # well into the run: its thread is in and out of JAX's dispatches
            time.sleep(0.05)
        raise ValueError("boom in the main thread")
        """,
    )
    assert out.returncode == 1, (out.returncode, out.stderr[-2000:])
    assert out.stderr.startswith("Traceback") and out.stderr.rstrip().endswith("ValueError: boom in the main thread")
    assert "FATAL" not in out.stderr and "terminate called" not in out.stderr


def test_a_script_that_ends_while_a_run_trains_exits_cleanly(tmp_path):
    out = run_script(
        tmp_path,
        """
        import time
        import nbgen
        s = nbgen.show("ae", "moons", autostart=True, epochs=10_000)  # a view drawing, too
        while s.epoch < 2:
            time.sleep(0.05)
        """,
    )
    assert out.returncode == 0, (out.returncode, out.stderr[-2000:])
    assert out.stderr == ""


def test_nbgen_metrics_is_a_public_lazy_name(tmp_path):
    out = run_script(
        tmp_path,
        """
        import sys
        import nbgen
        assert "metrics" in dir(nbgen) and "metrics" in nbgen.__all__
        print("loaded before use:", "nbgen.metrics" in sys.modules)
        print(nbgen.metrics.pca_mse.__name__, nbgen.metrics.label_accuracy.__module__)
        """,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["loaded before use: False", "pca_mse nbgen.metrics"]


@pytest.mark.slow
def test_the_readme_tour_runs_as_written(tmp_path):
    # the README promises that its tour runs as written: its first python block after "## A tour",
    # verbatim, in a fresh process (files it writes land in tmp_path)
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    tour = readme.split("\n## A tour\n", 1)[1]
    source = re.search(r"```python\n(.*?)```", tour, re.S).group(1)
    assert "nbgen.show(" in source and "nbgen.compare(" in source
    script = tmp_path / "tour.py"
    script.write_text(source + '\nprint("tour done")\n')
    env = {**os.environ, "PYTHONPATH": ROOT, "CI": "true"}
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.rstrip().endswith("tour done"), out.stdout[-2000:]
    assert (tmp_path / "vae.nbgen").exists() and (tmp_path / "run.png").exists()
