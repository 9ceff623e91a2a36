"""The 2-D GAN's layers: the generator's warped grid (its manifold) and the field, each one
switchable in the view (nbgen/ui/panels/data.py, nbgen/ui/plot_options.py)."""

from __future__ import annotations

import numpy as np

import nbgen
from nbgen.ui.panels.data import MANIFOLD_LINES, MANIFOLD_POINTS, manifold_lines


def test_the_manifold_is_the_generator_on_a_grid_of_noise_and_each_layer_can_be_switched_off(tmp_path):
    s = nbgen.show("gan", "ring", display=False, epochs=2, seed=0)
    try:
        s.train()
        lines = manifold_lines(s)
        assert lines.shape == (MANIFOLD_POINTS, 2 * MANIFOLD_LINES, 2)
        # the grid's centre line crossing (noise 0, 0) is what the generator makes of zero noise
        noise = np.zeros((1, s.hyperparameters["noise_dim"]), np.float32)
        centre = s.dataset.to_rows(np.asarray(s.generative_model.manifold(s.run.params, noise)))[0]
        assert np.allclose(lines[MANIFOLD_POINTS // 2, MANIFOLD_LINES // 2], centre, atol=1e-4)
        w = s.widget
        w.draw_now()
        # the JS curve: the divergence of each kept frame's samples from the real points, falling as G learns
        kept = s.frames.divergence
        steps = sorted(kept)
        assert steps == s.frames.steps and kept[steps[-1]][1] < kept[steps[0]][1] - 0.2
        js = w.figure.trace("JS divergence (nats)")
        assert list(js.x) == steps and np.allclose(js.y, [kept[k][1] for k in steps], atol=1e-6)
        assert len(w.figure.trace("manifold").x) == 2 * MANIFOLD_LINES * (MANIFOLD_POINTS + 1)
        shown = {n: b.layout.display for n, b in w.plot_options.layers.items()}
        # a 2-D GAN has the field, the manifold and the JS curve (the FID curve is for the digits and mnist5k)
        assert shown == {"field": None, "manifold": None, "JS divergence (nats)": None, "FID": "none"}
        assert s.snapshot().count('stroke="rgba(44,160,44,0.6)"') == 1  # drawn in the picture
        w.plot_options.layers["manifold"].value = False
        assert w.figure.trace("manifold").visible is False
        svg = s.snapshot()
        assert svg.count('stroke="rgba(44,160,44,0.6)"') == 0  # the picture leaves it out too
        s.reset()
        w.draw_now()
        assert w.figure.trace("manifold").visible is False  # a reset keeps the user's choice
        w.plot_options.layers["manifold"].value = True
        assert w.figure.trace("manifold").visible is not False
    finally:
        s.close()
    v = nbgen.show("vae", "digits", display=False, epochs=1)
    try:
        shown = {n: b.layout.display for n, b in v.widget.plot_options.layers.items()}
        assert shown == {"field": "none", "manifold": "none", "JS divergence (nats)": "none", "FID": None}
    finally:
        v.close()
