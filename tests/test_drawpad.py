"""Drawing 2-D data with the mouse, in a real kernel: clicks as plotly.js reports them drop blobs
of points, erase removes them, "Use these points" makes them the session's data, and a GAN
trained on three drawn clusters puts samples on all three. Bad input leaves the session as it was."""

from __future__ import annotations

import numpy as np
import pytest
from _kernel import Kernel

import nbgen
from nbgen.ui.drawpad import GRID, SPAN

CLUSTERS = [(-3.0, -2.0), (3.0, -2.0), (0.0, 3.0)]


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    k = Kernel(tmp_path_factory.mktemp("drawpad"))
    yield k
    k.close()


def _grid_index(x: float, y: float) -> int:
    """The invisible grid point under (x, y): what plotly.js reports for a click there."""
    xs = np.linspace(-SPAN, SPAN, GRID)
    return int(np.abs(xs - y).argmin() * GRID + np.abs(xs - x).argmin())


def _click(kernel: Kernel, figure_id: str, x: float, y: float) -> None:
    i = _grid_index(x, y)
    gx, gy = np.linspace(-SPAN, SPAN, GRID)[[i % GRID, i // GRID]]
    event = {
        "event_type": "plotly_click",
        "points": {"trace_indexes": [0], "point_indexes": [i], "xs": [float(gx)], "ys": [float(gy)]},
        "device_state": None,
        "selector": None,
    }
    kernel.set_value(figure_id, _js2py_pointsCallback=event)


def test_draw_three_clusters_use_them_and_a_gan_covers_all_three(kernel):
    kernel.run('import nbgen, numpy as np\ns = nbgen.show("gan", "draw", epochs=150)\npad = s.widget.drawpad')
    ids = kernel.value(
        "{'figure': pad.figure.model_id, 'preset': pad.preset.model_id, 'use': pad.use_button.model_id,"
        " 'mode': pad.mode.model_id, 'per_click': pad.per_click.model_id, 'options': list(pad.preset.options)}"
    )
    kernel.set_value(ids["preset"], index=ids["options"].index("blank"))
    kernel.wait_for("len(pad.points) == 0")
    kernel.set_value(ids["per_click"], value=300)
    for x, y in CLUSTERS:
        _click(kernel, ids["figure"], x, y)
    kernel.wait_for("len(pad.points) == 900")
    kernel.click(ids["use"])
    kernel.wait_for("s.dataset.name == 'drawn'")
    assert kernel.value("len(s.dataset.x_train) + len(s.dataset.x_val)") == 900
    kernel.run("s.train()", timeout=300)
    counts = kernel.value(
        f"(lambda x, c: np.bincount(np.linalg.norm(x[:, None] - c[None], axis=2).argmin(1)"
        f"[np.linalg.norm(x[:, None] - c[None], axis=2).min(1) < 1.2], minlength=3).tolist())"
        f"(s.sample(1000), np.array({CLUSTERS!r}))"
    )
    assert min(counts) >= 150, f"samples per drawn cluster: {counts}"

    # erase: a click removes the points near it, nothing else
    kernel.set_value(ids["mode"], index=1)
    _click(kernel, ids["figure"], *CLUSTERS[0])
    left = kernel.wait_for("len(pad.points) < 900 and len(pad.points)")
    assert 550 <= left <= 650


def test_too_few_points_are_refused_in_the_pad_and_the_session_keeps_its_data(kernel):
    kernel.run('s2 = nbgen.show("gan", "draw", epochs=1)\npad2 = s2.widget.drawpad\nbefore = len(s2.dataset.x_train)')
    kernel.run("pad2.clear()")
    kernel.click(kernel.value("pad2.use_button.model_id"))
    status = kernel.wait_for("'at least 4' in pad2.status.value and pad2.status.value")
    assert "c62828" in status and "0 points drawn" in status
    assert kernel.value("len(s2.dataset.x_train) == before")


def test_a_pad_checks_its_arguments():
    with pytest.raises(ValueError, match="preset must be one of"):
        nbgen.DrawPad("spiral")
    with pytest.raises(ValueError, match=r"points must be an array of shape \(n, 2\)"):
        nbgen.DrawPad(points=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="the pad holds 0 points"):
        nbgen.show("gan", nbgen.DrawPad("blank"), display=False)
