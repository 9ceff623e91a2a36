"""The loss panel read as people read curves: log y, smoothing (a bias-corrected EMA, as
TensorBoard's), and the x axis in steps, epochs or seconds; the change markers follow the axis."""

from __future__ import annotations

import numpy as np
import pytest

import nbgen
from nbgen.ui.panels.loss import LossView, ema


def test_ema_is_the_bias_corrected_moving_average():
    y = np.array([4.0, 2.0, 6.0, 1.0])
    w = 0.6
    s, out = 0.0, []
    for t, v in enumerate(y, 1):
        s = w * s + (1 - w) * v
        out.append(s / (1 - w**t))
    np.testing.assert_allclose(ema(y, w), out)
    assert ema(y, 0.0) is y


def test_the_controls_redraw_the_curves_and_markers_their_way():
    s = nbgen.show("vae", "digits", display=False, epochs=6)
    try:
        s.train(3)
        s.set(learning_rate=5e-4)
        s.train(3)
        w = s.widget
        opts = w.plot_options
        opts.log_y.value, opts.smoothing.value, opts.x_axis.value = True, 0.9, "epoch"
        w.draw_now()
        layout, loss = w.figure.widget.layout, w.figure.trace("loss")
        assert layout.xaxis.title.text == "epoch" and layout.yaxis.type == "log"
        assert float(np.max(loss.x)) == pytest.approx(6.0)  # 11 steps an epoch, 66 steps
        assert loss.y[-1] == pytest.approx(ema(np.asarray(s.steps["loss"]), 0.9)[-1], rel=1e-4)
        marker = [shape for shape in layout.shapes if shape.name == "change-0"][0]
        assert marker.x0 == pytest.approx(3.0)  # the change at step 33, epoch 3
        opts.x_axis.value, opts.log_y.value = "step", False
        w.draw_now()
        assert float(np.max(w.figure.trace("loss").x)) == 66 and w.figure.widget.layout.yaxis.type == "linear"
    finally:
        s.close()


def test_bad_options_name_what_is_allowed():
    with pytest.raises(ValueError, match="x must be one of step, epoch, seconds"):
        LossView(x="minutes")
    with pytest.raises(ValueError, match=r"smoothing must be in \[0, 1\)"):
        LossView(smoothing=1.0)
