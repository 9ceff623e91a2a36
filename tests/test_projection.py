"""The latent scatter's projection: PCA (live, the default) or t-SNE, computed on demand off the
calling thread, held while training runs, computed again when a run ends; a click on the t-SNE
picture decodes the nearest point's code; bad choices are refused by name."""

from __future__ import annotations

import base64
import json
import threading
import time
import zlib

import numpy as np
import pytest
from plotly.callbacks import Points

import nbgen
from nbgen.setup_text import PREFIX, VERSION
from nbgen.ui import embedding
from nbgen.ui.arrays import fit_projection
from nbgen.ui.embedding import MAX_TSNE_POINTS, tsne
from nbgen.ui.panels.latent import HOVER

WAIT = 300  # seconds at most for one t-SNE (about 1-3 s on a loaded 2-core machine)


@pytest.fixture(scope="module")
def shown():
    s = nbgen.show("vae", "digits", display=False, epochs=1, latent_dim=8)
    s.train()
    yield s
    s.close()


def codes_and_xy(s, n):
    """The codes of the first ``n`` validation rows now, and the latent scatter's points."""
    ds = s.dataset
    codes = s.encode(ds.to_rows(ds.model_val[:n]))
    trace = s.widget.figure.trace("latent")
    return codes, np.stack([np.asarray(trace.x), np.asarray(trace.y)], 1)


def title(figure):
    """The latent panel's subplot title."""
    return next(a.text for a in figure.widget.layout.annotations if a.text.startswith(("Latent space", "t-SNE")))


def test_pca_is_the_default_and_draws_every_encoded_row_live(shown):
    f = shown.widget.figure
    f.set_projection("pca")
    assert f.projection == "pca" and f.projections == ("pca", "tsne")
    assert shown.widget.plot_options.projection.layout.display is None  # offered: latent_dim 8
    n = len(shown.dataset.model_val)
    codes, xy = codes_and_xy(shown, n)
    np.testing.assert_allclose(xy, fit_projection(codes).project(codes), atol=1e-4)
    assert title(f) == "Latent space: click to decode"


def test_tsne_embeds_the_first_rows_codes_once_and_reproducibly(shown):
    f = shown.widget.figure
    assert f.set_projection("tsne", wait=WAIT)
    codes, xy = codes_and_xy(shown, MAX_TSNE_POINTS)
    assert len(xy) == MAX_TSNE_POINTS  # the first rows, in order: the colours and hovers stay right
    assert xy.std(0).min() > 1.0 and len(np.unique(xy.round(3), axis=0)) == len(xy)  # spread points
    np.testing.assert_allclose(xy, tsne(codes), atol=1e-4)  # the same codes: the same picture
    assert title(f) == f"t-SNE of step {shown.step} (click: nearest point's code)"
    assert shown.widget.plot_options.options()["projection"] == "tsne"
    shown.widget.draw_now()
    assert shown.widget.plot_options.projection.value == "tsne"  # the dropdown follows the API


def test_a_click_decodes_the_nearest_points_code_and_marks_that_point(shown):
    f = shown.widget.figure
    assert f.set_projection("tsne", wait=WAIT)
    codes, xy = codes_and_xy(shown, MAX_TSNE_POINTS)
    i = 17
    out = f.decode_at(float(xy[i, 0]) + 0.01, float(xy[i, 1]) - 0.01)  # beside the point
    assert f.view("latent").clicked == i
    np.testing.assert_allclose(f.last_decoded[0], codes[i], atol=1e-5)
    np.testing.assert_allclose(out, shown.decode(codes[i][None])[0], atol=1e-5)
    mark = f.trace("latent-click")
    assert (mark.x[0], mark.y[0]) == pytest.approx((xy[i, 0], xy[i, 1]))  # the point, not the click
    # the hover thumbnail still shows the hovered point's own row
    f.view("latent").hover(f, Points(point_inds=[i], xs=[xy[i, 0]], ys=[xy[i, 1]], trace_name="latent"))
    (image,) = [im for im in f.widget.layout.images if im.name == HOVER]
    assert (image.x, image.y) == pytest.approx((xy[i, 0], xy[i, 1]))
    # back to PCA: the live scatter of every row at once, the click's mark in the PCA plane
    f.set_projection("pca")
    n = len(shown.dataset.model_val)
    codes, xy = codes_and_xy(shown, n)
    np.testing.assert_allclose(xy, fit_projection(codes).project(codes), atol=1e-4)
    assert title(f) == "Latent space: click to decode"
    z = f.last_decoded[0]
    assert (mark.x[0], mark.y[0]) == pytest.approx(tuple(f.latent_projection.project(z)), abs=1e-4)


def test_live_updates_keep_the_picture_and_the_run_end_computes_it_again():
    s = nbgen.show("vae", "digits", display=False, epochs=1, latent_dim=8)
    try:
        s.train()
        f = s.widget.figure
        assert f.set_projection("tsne", wait=WAIT)
        at, (_, before) = s.step, codes_and_xy(s, MAX_TSNE_POINTS)
        s.train(200, block=False)
        while s.step <= at + 5:  # well into the run: the codes moved
            assert s.running
            time.sleep(0.05)
        f.draw(force=True)  # a live update
        _, during = codes_and_xy(s, MAX_TSNE_POINTS)
        still_running = s.running  # read after: the draw saw the run going on
        assert still_running and np.array_equal(during, before)
        assert title(f) == f"t-SNE of step {at} (click: nearest point's code)"
        s.stop()
        f.draw(force=True)  # the run's end
        assert f.view("latent").embedder.wait(WAIT)
        codes, after = codes_and_xy(s, MAX_TSNE_POINTS)
        assert title(f) == f"t-SNE of step {s.step} (click: nearest point's code)" and s.step > at
        np.testing.assert_allclose(after, tsne(codes), atol=1e-4)
        assert not np.allclose(after, before)
    finally:
        s.close()


def test_bad_projections_are_refused_by_name():
    s = nbgen.show("vae", "digits", display=False, epochs=1, latent_dim=2)
    g = nbgen.show("gan", "ring", display=False)
    try:
        f = s.widget.figure
        with pytest.raises(ValueError, match=r"projection must be one of 'pca', 'tsne', got 'umap'"):
            f.set_projection("umap")
        assert f.projections == ("pca",) and s.widget.plot_options.projection.layout.display == "none"
        with pytest.raises(ValueError, match=r"projection 'tsne' needs latent_dim > 2, got latent_dim=2"):
            f.set_projection("tsne")
        assert f.projection == "pca"
        with pytest.raises(ValueError, match="the gan model has no latent space"):
            g.widget.figure.set_projection("tsne")
        g.widget.figure.set_projection("pca")  # nothing to project: nothing to do
    finally:
        s.close()
        g.close()


def _with_view(text, **view):
    """A setup text with its plot options changed (as a damaged or hand-edited text would be)."""
    body = text.partition(":")[2]
    payload = json.loads(zlib.decompress(base64.urlsafe_b64decode(body.encode())))
    payload["view"].update(view)
    payload["view"] = {k: v for k, v in payload["view"].items() if v is not None}
    raw = zlib.compress(json.dumps(payload).encode())
    return f"{PREFIX}{VERSION}:" + base64.urlsafe_b64encode(raw).decode()


def test_the_projection_travels_in_the_setup_text(shown):
    f = shown.widget.figure
    f.set_projection("tsne")
    text = shown.setup()
    again = nbgen.show(setup=text, display=False)
    try:
        assert again.widget.plot_options.projection.value == "tsne"
        assert again.widget.figure.projection == "tsne"
        assert again.widget.figure.view("latent").embedder.wait(WAIT)
        assert title(again.widget.figure) == "t-SNE of step 0 (click: nearest point's code)"
    finally:
        again.close()
    with pytest.raises(ValueError, match=r"projection must be one of 'pca', 'tsne', got 'umap'"):
        nbgen.show(setup=_with_view(text, projection="umap"), display=False)
    with pytest.raises(ValueError, match=r"needs latent_dim > 2, got latent_dim=2"):
        nbgen.show(setup=text, display=False, latent_dim=2)
    old = nbgen.show(setup=_with_view(text, projection=None), display=False)  # a text from before projections
    try:
        assert old.widget.figure.projection == "pca"
    finally:
        old.close()
    f.set_projection("pca")


def test_the_dropdown_asks_for_tsne_and_a_reset_to_2d_goes_back_to_the_plane_as_it_is():
    s = nbgen.show("vae", "digits", display=False, epochs=1, latent_dim=8)
    try:
        w, f = s.widget, s.widget.figure
        w.plot_options.projection.value = "tsne"  # the dropdown: computed in the background
        assert f.projection == "tsne" and f.view("latent").embedder.wait(WAIT)
        assert len(f.trace("latent").x) == MAX_TSNE_POINTS
        redo = w.plot_options.redo  # picking t-SNE again in the dropdown fires nothing: a button does
        assert redo.layout.display is None
        redo.click()
        assert f.view("latent").embedder.computing and f.view("latent").embedder.wait(WAIT)
        s.reset(latent_dim=2)
        assert w.flush(60)
        w.draw_now()
        assert f.projection == "pca" and w.plot_options.projection.layout.display == "none"
        assert w.plot_options.projection.value == "pca" and title(f) == "Latent space: click to decode"
        assert redo.layout.display == "none"
        n = len(s.dataset.model_val)
        codes, xy = codes_and_xy(s, n)
        np.testing.assert_allclose(xy, codes, atol=1e-4)  # 2 dimensions: drawn as they are
    finally:
        s.close()


def test_after_a_reset_the_scatter_is_the_new_models_until_its_tsne_arrives_and_the_picture_follows(monkeypatch):
    updates, release = [], threading.Event()
    monkeypatch.setattr("IPython.display.update_display", lambda bundle, display_id, raw: updates.append(bundle))
    s = nbgen.show("vae", "digits", display=False, epochs=1, latent_dim=8)
    try:
        w, f = s.widget, s.widget.figure
        w.displayed = True  # as show(display=True) marks it
        s.train()
        assert f.set_projection("tsne", wait=WAIT)
        # a t-SNE that arrives after the run ended redraws the static picture under the widget
        assert updates and f"t-SNE of step {s.step}" in updates[-1]["image/svg+xml"]
        held = embedding.tsne
        monkeypatch.setattr(embedding, "tsne", lambda codes: release.wait(WAIT) and held(codes))
        s.reset()  # the same latent size, a new model: the old picture's codes are not its codes
        f.draw(force=True)
        assert f.view("latent").embedder.computing and title(f) == "Latent space: computing t-SNE of step 0..."
        codes, xy = codes_and_xy(s, len(s.dataset.model_val))
        np.testing.assert_allclose(xy, fit_projection(codes).project(codes), atol=1e-4)  # live PCA meanwhile
        f.decode_at(float(xy[5, 0]), float(xy[5, 1]))  # a click decodes the new model's plane
        np.testing.assert_allclose(f.last_decoded[0], f.latent_projection.lift(xy[5]), atol=1e-5)
        release.set()
        assert f.view("latent").embedder.wait(WAIT) and title(f).startswith("t-SNE of step 0")
        codes, xy = codes_and_xy(s, MAX_TSNE_POINTS)
        np.testing.assert_allclose(xy, held(codes), atol=1e-4)
    finally:
        release.set()
        s.close()
