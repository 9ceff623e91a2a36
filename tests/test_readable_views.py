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


def test_labels_given_as_names_are_named_in_the_legend_the_hover_and_a_saved_session(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-3, 1, (60, 4)), rng.normal(3, 1, (60, 4))]).astype(np.float32)
    names = np.array(["dog"] * 60 + ["cat"] * 60)  # names, in no sorted order
    s = nbgen.show("vae", (x, names), display=False, epochs=1, latent_dim=2)
    try:
        assert s.dataset.class_names == ("cat", "dog")  # ids number the sorted names
        trace = s.widget.figure.trace("latent")
        assert list(trace.marker.colorbar.ticktext) == ["cat", "dog"]
        ids = s.dataset.y_val[: len(trace.text)]
        assert list(trace.text) == [("cat", "dog")[i] for i in ids] and trace.hovertemplate.startswith("%{text}")
        path = s.save(tmp_path / "named.nbgen")
    finally:
        s.close()
    back = nbgen.load(path)
    assert back.dataset.class_names == ("cat", "dog")
    assert np.array_equal(back.dataset.y_val, s.dataset.y_val)
    digits = nbgen.Session("vae", "digits", epochs=1)
    assert digits.dataset.class_names is None  # numbers are their own names
