"""Views a student can read: the latent scatter says which colour is which class."""

from __future__ import annotations

import nbgen


def test_the_latent_scatter_has_a_class_legend_beside_its_panel():
    s = nbgen.show("vae", "digits", display=False, epochs=1)
    try:
        marker = s.widget.figure.trace("latent").marker
        assert marker.showscale and list(marker.colorbar.tickvals) == list(range(10))
        assert list(marker.colorbar.ticktext) == [str(k) for k in range(10)]
        panel = s.widget.figure.panels["latent"]
        x0, x1 = s.widget.figure.widget.layout[panel.xaxis].domain
        assert x1 < marker.colorbar.x < x1 + 0.05  # right of the latent panel, not of the whole figure
    finally:
        s.close()
