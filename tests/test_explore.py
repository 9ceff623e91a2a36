"""The latent explorer's API: traversals along an axis or a principal direction, interpolation
between two rows, nearest training neighbours; and clear refusals for models without an encoder."""

from __future__ import annotations

import numpy as np
import pytest

import nbgen


@pytest.fixture(scope="module")
def vae():
    return nbgen.train("vae", "digits", epochs=5, latent_dim=4)


def test_a_traversal_moves_one_direction_and_holds_the_rest(vae):
    rows = vae.traverse(2, n=7)
    assert rows.shape == (7, 8, 8)
    codes = vae.encode(vae.dataset.x_val[:2000])
    middle = vae.decode(codes.mean(0)[None])  # n odd: the middle code is the codes' mean
    np.testing.assert_allclose(rows[3], middle[0], atol=1e-5)
    # the codes of what it decodes move along axis 2 more than along the others
    z = vae.encode(rows)
    moved = np.ptp(z, axis=0)
    assert moved.argmax() == 2
    assert vae.traverse("pc0", n=5).shape == (5, 8, 8)


def test_interpolation_runs_from_one_reconstruction_to_the_other(vae):
    a, b = vae.dataset.x_val[0].reshape(8, 8), vae.dataset.x_val[5].reshape(8, 8)
    rows = vae.interpolate(a, b, n=6)
    assert rows.shape == (6, 8, 8)
    np.testing.assert_allclose(rows[0], vae.reconstruct(a[None])[0], atol=1e-5)
    np.testing.assert_allclose(rows[-1], vae.reconstruct(b[None])[0], atol=1e-5)


def test_a_training_row_is_its_own_nearest_neighbour(vae):
    row = vae.dataset.x_train[123].reshape(8, 8)
    idx, rows = vae.neighbours(row, k=4)
    assert idx[0] == 123 and rows.shape == (4, 8, 8)
    np.testing.assert_allclose(rows[0], row, atol=1e-6)


def test_bad_requests_say_what_is_allowed(vae):
    with pytest.raises(ValueError, match=r"dim must be a latent axis 0..3 or 'pc0'..'pc3'"):
        vae.traverse(4)
    with pytest.raises(ValueError, match="at must be a latent vector of 4 values"):
        vae.traverse(0, at=[0.0, 1.0])
    with pytest.raises(TypeError, match="not available for the gan model"):
        nbgen.Session("gan", "ring").traverse(0)


def test_the_widgets_explorer_draws_a_traversal_and_the_way_between_two_latent_clicks():
    s = nbgen.show("vae", "digits", display=False, epochs=2, latent_dim=3)
    try:
        s.train()
        w = s.widget
        ex = w.explorer
        assert ex.box.layout.display is None and ex.direction is None  # closed: nothing made yet
        ex.box.selected_index = 0  # the user opens the section
        assert "data:image/png;base64," in ex.traversal.value
        assert [v for _, v in ex.direction.options][:3] == ["pc0", "pc1", "pc2"]
        assert "click two points" in ex.between.value
        w.figure.decode_at(0.1, 0.2)  # two clicks on the latent scatter
        w.figure.decode_at(-1.0, 1.0)
        assert "between your last two clicks" in ex.between.value and "data:image/png" in ex.between.value
        assert "nearest training images" in ex.nearest.value
        g = nbgen.show("gan", "ring", display=False)
        assert g.widget.explorer.box.layout.display == "none"  # no encoder: no explorer
        g.close()
    finally:
        s.close()
