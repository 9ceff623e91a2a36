"""Unit tests of the live views: throttling, downsampling, figure contents, widget controls.

These run in-process (no kernel): ipywidgets and the Plotly FigureWidget work
without a frontend, so what is checked here is what the widget would send.
The real-kernel tests are in test_widget.py.
"""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
import pytest

import nbgen
from nbgen.ui.arrays import GrowingArray, downsample, fit_projection, from_typed_array, grid_points, tile
from nbgen.ui.controls import parse_hidden
from nbgen.ui.labels import change_label, short_value
from nbgen.ui.pacing import Throttle, ThrottledDrawer
from nbgen.ui.panels import CLICK_GRID, MAX_LATENT_POINTS, MAX_LOSS_POINTS, SURFACE_GRID, decision_surface
from nbgen.ui.plots import SessionFigure
from nbgen.ui.png import png_data_uri, png_to_array
from nbgen.ui.show import show
from nbgen.ui.widget import SessionWidget

# -- pacing ---------------------------------------------------------------------------------


def test_throttle_fed_at_1000_hz_for_one_second_allows_a_few_draws():
    now = [0.0]
    throttle = Throttle(0.3, clock=lambda: now[0])
    draws = 0
    for i in range(1000):
        now[0] = i / 1000
        draws += throttle.ready()
    assert 3 <= draws <= 5


def test_throttle_wait_time():
    throttle = Throttle(0.5, clock=lambda: 10.0)
    assert throttle.wait_time() == 0
    throttle.mark()
    assert throttle.wait_time() == pytest.approx(0.5)
    assert throttle.wait_time(now=10.4) == pytest.approx(0.1)


def test_drawer_coalesces_a_flood_of_marks_and_its_thread_ends():
    drawn = []
    drawer = ThrottledDrawer(lambda: drawn.append(time.monotonic()), interval=0.3, idle_exit=0.2)
    end = time.monotonic() + 1.0
    marks = 0
    while time.monotonic() < end:  # about 1000 marks per second, like a fast training loop
        drawer.mark_dirty()
        marks += 1
        time.sleep(0.001)
    assert drawer.wait_idle(5.0)
    # at most one draw per 0.3 s (+ the final one after the flood): a slow machine only draws less
    assert 1 <= len(drawn) <= 6 < marks
    assert all(b - a >= 0.29 for a, b in itertools.pairwise(drawn))
    deadline = time.monotonic() + 5
    while drawer.thread is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert drawer.thread is None  # idle: no thread held
    drawer.mark_dirty()  # and it comes back on demand
    assert drawer.wait_idle(5.0)
    drawer.close()
    assert drawer.thread is None or not drawer.thread.is_alive()
    n = len(drawn)
    drawer.mark_dirty()  # closed: ignored
    time.sleep(0.1)
    assert len(drawn) == n


def test_drawer_survives_a_failing_draw():
    errors = []
    calls = []

    def draw():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("broken view")

    drawer = ThrottledDrawer(draw, interval=0.01, on_error=errors.append)
    drawer.mark_dirty()
    assert drawer.wait_idle(5)
    drawer.mark_dirty()
    assert drawer.wait_idle(5)
    drawer.close()
    assert len(calls) == 2 and isinstance(errors[0], RuntimeError)


# -- pure helpers -----------------------------------------------------------------------------


def test_downsample_caps_points_and_keeps_the_level():
    x = np.arange(1, 100_001, dtype=float)
    y = np.sin(x / 1000) + 5
    xs, ys = downsample(x, y, MAX_LOSS_POINTS)
    assert len(xs) <= MAX_LOSS_POINTS
    assert xs[0] <= 100_000 / MAX_LOSS_POINTS and xs[-1] > 99_000  # first and last buckets reach the ends
    assert abs(ys.mean() - y.mean()) < 0.01
    small = np.arange(10.0)
    assert np.array_equal(downsample(small, small, 1000)[1], small)
    xs, _ = downsample(np.arange(1001.0), np.arange(1001.0), 1000)  # partial last bucket
    assert len(xs) <= 1000 and xs[-1] == 1000


def test_growing_array():
    g = GrowingArray(capacity=2)
    for i in range(10):
        g.extend([i, i])
    assert len(g) == 20 and g.values[-1] == 9


def test_labels_and_values():
    assert short_value(0.001) == "1e-3"
    assert short_value(3e-4) == "3e-4"
    assert short_value(0.5) == "0.5"
    assert short_value(4) == "4"
    assert change_label({"name": "learning_rate", "old": 1e-3, "new": 3e-4}) == "lr 1e-3 -> 3e-4"
    assert parse_hidden("256, 128") == (256, 128)
    with pytest.raises(ValueError, match="hidden"):
        parse_hidden("256,abc")


@pytest.mark.parametrize("dim", [1, 2, 5])
def test_projection_lifts_points_back(dim):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(500, dim)) * np.arange(1, dim + 1)
    proj = fit_projection(z)
    xy = proj.project(z)
    assert xy.shape == (500, 2)
    back = proj.lift(xy)
    if dim <= 2:
        assert np.allclose(back, z)
    else:  # lift inverts project on the PCA plane
        assert np.allclose(proj.project(back), xy)
        assert np.allclose(proj.components @ proj.components.T, np.eye(2), atol=1e-8)


def test_tile_lays_images_out_with_gaps():
    images = np.ones((5, 8, 8))
    out = tile(images, 4)
    assert out.shape == (17, 35)
    assert np.isnan(out[8]).all() and np.nansum(out) == 5 * 64


# -- figures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vae_digits():
    session = nbgen.Session("vae", "digits", epochs=1, latent_dim=5)
    yield session
    session.close()


def test_loss_traces_are_capped_and_marked_at_each_change():
    s = nbgen.Session("autoencoder", "moons", epochs=1)
    try:
        fig = SessionFigure(s)
        n = 5000  # a long run's history, without the wait
        s.engine.steps["step"].extend(range(1, n + 1))
        s.engine.steps["loss"].extend(np.linspace(1, 0, n).tolist())
        s.set(learning_rate=3e-4)
        s.set(learning_rate=1e-4)
        fig.draw()
        loss = fig.trace("loss")
        assert 0 < len(loss.x) <= MAX_LOSS_POINTS
        assert loss.x[-1] == pytest.approx(n, rel=0.01)
        markers = fig.change_markers()
        assert len(markers) == len(s.timeline) == 2
        labels = [a.text for a in fig.widget.layout.annotations]
        assert "lr 1e-3 -> 3e-4" in labels and "lr 3e-4 -> 1e-4" in labels
        s.reset()  # a reset clears the curves and the markers
        fig.draw()
        assert len(fig.trace("loss").x) == 0 and fig.change_markers() == []
    finally:
        s.close()


def test_long_loss_curves_are_sent_within_their_traffic_share_and_always_at_the_end():
    s = nbgen.Session("autoencoder", "moons", epochs=1)
    try:
        fig = SessionFigure(s)
        steps = s.engine.steps
        steps["step"].extend(range(1, 5001))
        steps["loss"].extend(np.linspace(1, 0, 5000).tolist())
        assert fig.draw() is False  # the first draw sends the curve
        steps["step"].extend(range(5001, 5101))
        steps["loss"].extend([0.0] * 100)
        # 400 points of float32 x and y are 3.2 KB: the next send waits about 0.2 s of its share
        assert fig.draw() is True, "a draw at once after a whole curve was sent should hold the curve back"
        assert fig.trace("loss").x[-1] == pytest.approx(5000, rel=0.01)
        assert fig.draw(force=True) is False  # the end of a run: drawn whatever the budget
        assert fig.trace("loss").x[-1] == pytest.approx(5100, rel=0.01)
        fig.set_loss_view(fig.loss_view.__class__(log_y=True))  # the user's change: drawn at once
        steps["step"].append(5101)
        steps["loss"].append(0.0)
        fig.draw()
        assert fig.widget.layout[fig.panels["loss"].yaxis].type == "log"
    finally:
        s.close()


def test_the_saved_state_copy_is_sent_only_when_the_figure_changed():
    s = nbgen.Session("autoencoder", "moons", epochs=1)
    try:
        s.train()
        fig = SessionFigure(s)
        fig.draw(force=True)
        sent = []
        send = fig.widget.send_state
        fig.widget.send_state = lambda key=None: (sent.append(key), send(key))[-1]
        fig.sync_state()
        fig.sync_state()  # a run's end asks for it from several places
        assert [k for k in sent if k == "_widget_data"] == ["_widget_data"]
        s.train(1)
        fig.draw(force=True)
        fig.sync_state()
        assert [k for k in sent if k == "_widget_data"] == ["_widget_data"] * 2
        assert fig.widget._widget_data[0]["x"][-1] == pytest.approx(s.step, rel=0.01)
    finally:
        s.close()


def test_latent_scatter_is_capped_and_pca_projected():
    s = nbgen.Session("vae", "ring", epochs=1, latent_dim=4)
    try:
        assert len(s.dataset.x_val) > MAX_LATENT_POINTS
        fig = SessionFigure(s)
        fig.draw()
        assert len(fig.trace("latent").x) == MAX_LATENT_POINTS
        grid = fig.trace("latent-grid")  # a clear heatmap catches clicks on empty spots
        assert len(grid.x) == len(grid.y) == CLICK_GRID and from_typed_array(grid.z).shape == (CLICK_GRID, CLICK_GRID)
        assert grid.x[0] <= min(fig.trace("latent").x) and grid.x[-1] >= max(fig.trace("latent").x)
        assert fig.latent_projection is not None and fig.latent_projection.components.shape == (2, 4)
        out = fig.decode_at(0.5, -0.5)  # a 2-D click lifted to the 4-D latent space
        assert out.shape == (2,)
        assert list(fig.trace("decoded").x) == pytest.approx([fig.data_projection.project(out[None])[0, 0]])
        assert list(fig.trace("latent-click").x) == [0.5]
    finally:
        s.close()


def test_image_panels_hold_reconstructions_samples_and_decoded_clicks(vae_digits):
    fig = SessionFigure(vae_digits)
    fig.draw()
    recon = fig.images["reconstructions"]
    samples = fig.images["samples"]
    assert recon.shape == (35, 35)  # 4 rows of 4 images of 8 x 8, 1-pixel gaps: originals, theirs, ...
    originals = vae_digits.dataset.x_val[:8].reshape(8, 8, 8)
    np.testing.assert_allclose(recon[:8, :8], originals[0])  # row 1: originals 0-3
    np.testing.assert_allclose(recon[18:26, 9:17], originals[5])  # row 3: originals 4-7
    np.testing.assert_allclose(recon[9:17, :8], vae_digits.reconstruct(originals[:1])[0], atol=1e-5)  # row 2
    assert samples.shape == (35, 35)  # 4 x 4 samples
    assert np.isfinite(samples).sum() == 16 * 64
    grey, alpha = png_to_array(fig.trace("samples").source)  # what the browser gets
    assert grey.shape == (35, 35) and (alpha == 255).sum() == 16 * 64
    expected = np.round(255 * (1 - np.clip(np.nan_to_num(samples), 0, 1)))
    assert np.abs(grey.astype(float) - expected)[alpha == 255].max() <= 1
    latent = fig.trace("latent")
    out = fig.decode_at(float(latent.x[0]), float(latent.y[0]))  # a click on a point
    assert out.shape == (8, 8)
    assert np.allclose(fig.images["decoded"], out, atol=1e-6)
    assert fig.trace("decoded").source.startswith("data:image/png;base64,")
    # PCA of a 5-D latent: the click decodes the lifted vector
    z = fig.latent_projection.lift(np.array([latent.x[0], latent.y[0]]))
    assert np.allclose(vae_digits.decode(z[None])[0], out, atol=1e-5)


def test_a_gan_with_a_code_draws_one_row_of_samples_per_code_value():
    s = nbgen.Session("gan", "digits", epochs=1)  # code_classes=10 by default on images
    try:
        fig = SessionFigure(s)
        fig.draw()
        assert fig.images["samples"].shape == (10 * 9 - 1, 4 * 9 - 1)  # 10 rows of 4
        drawn = s.sample(40, seed=12345, code=np.repeat(np.arange(10), 4))  # the second row: code value 1
        assert np.corrcoef(fig.images["samples"][9:17, :8].ravel(), drawn[4].ravel())[0, 1] > 0.999
        assert [t.name for t in fig.widget.data if t.name in ("d_loss", "g_loss", "code_loss")] == [
            "d_loss",
            "g_loss",
            "code_loss",
        ]
    finally:
        s.close()


def test_gan_on_ring_draws_a_decision_surface():
    s = nbgen.Session("gan", "ring", epochs=1)
    try:
        fig = SessionFigure(s)
        fig.draw()
        z = from_typed_array(fig.trace("decision").z)  # D(x) in percent, sent as uint8 bytes
        assert z.shape == (SURFACE_GRID, SURFACE_GRID) and z.dtype == np.uint8
        assert np.all(z <= 100) and fig.trace("decision").zmax == 100
        x, y = fig.trace("decision").x, fig.trace("decision").y
        grid = grid_points((x[0], x[-1]), (y[0], y[-1]), SURFACE_GRID).astype(np.float32)
        assert np.abs(z.ravel() - 100 * decision_surface(s, grid)).max() <= 0.5 + 1e-3  # whole percent
        assert len(fig.trace("generated").x) == 1000 and len(fig.trace("real").x) == 1000
        # the heatmap sits behind the points
        names = [t.name for t in fig.widget.data]
        assert names.index("decision") < names.index("real") < names.index("generated")
        p = decision_surface(s, np.zeros((3, 2), np.float32))
        assert p.shape == (3,)
        assert not fig.has_trace("latent")
        with pytest.raises(TypeError):
            fig.decode_at(0, 0)
    finally:
        s.close()


# -- the widget, in-process ----------------------------------------------------------------------


def _wait(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_widget_controls_drive_the_session_and_bad_values_show_in_red():
    s = show("autoencoder", "moons", display=False, epochs=2)
    view = s.widget
    try:
        assert isinstance(view, SessionWidget)
        classes = {c for w in _walk(view) for c in w._dom_classes}
        for css in (
            "nbgen-train",
            "nbgen-pause",
            "nbgen-stop",
            "nbgen-reset",
            "nbgen-save",
            "nbgen-lr",
            "nbgen-beta",
            "nbgen-progress",
            "nbgen-status",
            "nbgen-plot",
            "nbgen-timeline",
        ):
            assert css in classes, css
        assert view.beta.layout.display == "none"  # beta is the VAE's
        view.learning_rate.value = 3e-4  # as a frontend slider move would
        assert s.hyperparameters["learning_rate"] == pytest.approx(3e-4)
        assert s.timeline[-1]["new"] == pytest.approx(3e-4)
        view.flush()
        assert "learning_rate 0.001 -&gt; 0.0003" in view.timeline_view.value

        hidden = s.hyperparameters["hidden"]
        view.hidden.value = "256,abc"
        view.train_button.click()
        assert "#c62828" in view.status_line.value and "hidden" in view.status_line.value
        assert s.status == "idle" and not s.running and s.step == 0
        view.hidden.value = "32,32"
        view.batch_size.value = 10**9
        view.reset_button.click()
        assert "batch_size" in view.status_line.value and "#c62828" in view.status_line.value
        assert s.hyperparameters["hidden"] == hidden  # nothing changed

        view.batch_size.value = 64
        view.train_button.click()  # structural change: reset, then train
        assert "#c62828" not in view.status_line.value
        s.wait()
        assert s.hyperparameters["hidden"] == (32, 32) and s.hyperparameters["batch_size"] == 64
        assert s.status == "finished"
        view.flush()
        assert "finished" in view.summary_view.value
        assert len(view.figure.trace("loss").x) > 0
    finally:
        s.close()
    assert s.widget is None and view.comm is None
    assert view.view_thread is None


def test_widget_shows_divergence_in_red():
    s = show("autoencoder", "moons", display=False, epochs=3, learning_rate=10.0)
    view = s.widget
    try:
        view.train_button.click()
        with pytest.raises(nbgen.TrainingDiverged):
            s.wait()
        _wait(lambda: view.flush() and "diverged" in view.status_line.value)
        assert "#c62828" in view.status_line.value and "learning_rate" in view.status_line.value
    finally:
        s.close()


def test_widget_surfaces_errors_of_the_training_thread():
    s = show("autoencoder", "moons", display=False, epochs=3)
    view = s.widget
    try:

        def broken(epochs, steps=None):
            raise RuntimeError("disk on fire")

        s.engine.run = broken
        view.train_button.click()
        with pytest.raises(RuntimeError, match="disk on fire"):
            s.wait()
        _wait(lambda: view.flush() and "disk on fire" in view.status_line.value)
        assert "#c62828" in view.status_line.value and "Reset" in view.status_line.value
    finally:
        s.close()


def test_model_and_data_pickers_rebind_the_same_session():
    s = show("vae", "digits", display=False, epochs=1)
    view = s.widget
    fig_widget = view.figure.widget
    try:
        view.model_picker.value = "gan"
        view.data_picker.value = "ring"
        assert view.noise_dim.layout.display is None and view.latent_dim.layout.display == "none"
        view.reset_button.click()
        assert "#c62828" not in view.status_line.value, view.status_line.value
        assert s.kind == "gan" and s.dataset.name == "ring"
        assert s.hyperparameters["hidden"] == (128, 128, 128)  # the new defaults, not the VAE's
        view.flush()
        assert view.figure.widget is fig_widget  # same FigureWidget, panels rebuilt in place
        assert view.figure.has_trace("decision") and not view.figure.has_trace("latent")
        assert view.d_steps.layout.display is None and view.beta.layout.display == "none"
        view.d_steps.value = 3
        assert s.hyperparameters["d_steps"] == 3
    finally:
        s.close()


def test_repeated_show_and_close_leaks_no_threads():
    def nbgen_threads():
        return [t for t in threading.enumerate() if t.name.startswith("nbgen")]

    # an earlier test's checkpoint writer may still be in its idle wait (it ends by itself): not ours
    earlier = set(nbgen_threads())
    before = threading.active_count()
    for _ in range(3):
        s = show("autoencoder", "moons", display=False, autostart=True, epochs=50)
        _wait(lambda s=s: s.step > 0)
        s.close()
        assert not s.running
    assert [t for t in nbgen_threads() if t not in earlier] == []
    assert threading.active_count() <= before


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def test_stop_button_returns_at_once_during_a_long_dispatch():
    # a dispatch of 256 steps of a wide network takes a good fraction of a second here:
    # the handler must not wait for it (it would hold the kernel busy)
    s = show("vae", "digits", display=False, hidden=(1024, 1024), steps_per_dispatch=256, epochs=50)
    view = s.widget
    try:
        s.train(block=False)
        _wait(lambda: s.step > 0)  # compiled, dispatching
        t0 = time.perf_counter()
        view.stop_button.click()
        took = time.perf_counter() - t0
        assert took < 0.1, f"the Stop handler blocked for {took:.3f} s"
        s.wait()
        assert s.status == "stopped"
    finally:
        s.close()


def test_a_change_made_while_compiling_then_stopped_is_applied_everywhere():
    s = show("vae", "digits", display=False, epochs=5)
    view = s.widget
    try:
        s.train(block=False)
        view.learning_rate.value = 0.004  # before the first dispatch has returned
        view.stop_button.click()
        s.wait()
        assert s.hyperparameters["learning_rate"] == pytest.approx(0.004)
        assert [(t["name"], t["new"]) for t in s.timeline] == [("learning_rate", pytest.approx(0.004))]
        assert s.engine.pending() == {}
        view.flush()
        assert view.learning_rate.value == pytest.approx(0.004)
    finally:
        s.close()


def test_data_picker_takes_a_file_path(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (60, 6, 6), dtype=np.uint8)
    path = str(tmp_path / "pixels.npz")
    np.savez(path, x=x, y=np.arange(60) % 3)
    s = show("vae", "digits", display=False, epochs=1)
    view = s.widget
    try:
        assert "digits" in view.data_picker.options  # the built-in sets are offered
        view.data_picker.value = str(tmp_path / "missing.npy")
        view.reset_button.click()
        assert "no file at" in view.status_line.value and s.dataset.name == "digits"  # untouched
        view.data_picker.value = path
        view.reset_button.click()
        assert "#c62828" not in view.status_line.value, view.status_line.value
        assert s.dataset.name == path and s.dataset.scaling.kind == "pixels" and s.dataset.row_shape == (6, 6)
    finally:
        s.close()


def test_compare_tab_overlays_runs_of_this_kernel():
    other = nbgen.train("ae", "moons", epochs=2, hidden=(16,), progress=False)
    s = show("ae", "moons", display=False, epochs=2, hidden=(16,), learning_rate=3e-3)
    view = s.widget
    try:
        s.train()
        view.compare_box.selected_index = 0  # opening the tab lists the runs
        labels = [label for label, _ in view.compare_runs.options]
        assert any("(this view)" in label for label in labels) and len(labels) >= 2
        view.compare_button.click()
        assert "choose one or more runs" in view.status_line.value
        view.compare_runs.value = tuple(v for _, v in view.compare_runs.options if v in (id(s), id(other)))
        view.compare_button.click()
        page = view.compare_view.value
        assert "<svg" in page and "nbgen comparison of 2 runs" in page
        assert "learning_rate=0.001" in page and "learning_rate=0.003" in page  # named by what differs
        assert page.count("<polyline") >= 4  # two runs, loss, val_loss and learning_rate panels
    finally:
        s.close()


def test_live_sliders_span_the_table_and_widen_for_values_set_in_code():
    from nbgen import _config
    from nbgen.ui.widget import SessionWidget

    s = nbgen.Session("vae", "digits", beta=50.0, learning_rate=0.5)
    w = SessionWidget(s)
    try:
        assert w.d_steps.max == _config.TABLE["d_steps"].hi  # slider and validation agree (was 10 vs 20)
        assert w.beta.value == 50.0 and w.beta.max >= 50.0  # shown, not clamped to the slider's 10
        assert w.learning_rate.value == pytest.approx(0.5)
        assert w.beta.description == "beta" and "KL" in w.beta.tooltip  # from the table's row
    finally:
        w.close()
        s.close()


def test_colour_images_are_shown_in_colour():
    red = np.zeros((2, 4, 4, 3))
    red[..., 0] = 1.0
    pixels, alpha = png_to_array(png_data_uri(tile(red, 2), 0.0, 1.0))
    assert pixels.shape == (4, 9, 3) and alpha[:, 4].max() == 0  # the gap between tiles is transparent
    assert tuple(pixels[0, 0]) == (255, 0, 0)
    rng = np.random.default_rng(0)
    x = (rng.random((200, 8, 8, 3)) * 255).astype(np.uint8)
    s = nbgen.Session("vae", x, epochs=1)
    fig = SessionFigure(s)
    try:
        fig.draw(force=True)
        for name in ("samples", "reconstructions"):
            assert png_to_array(fig.trace(name).source)[0].ndim == 3, name  # RGB, not grey
    finally:
        fig.widget.close()
        s.close()


def test_the_data_panel_title_says_what_each_model_draws():
    from nbgen.ui.panels.data import data_title

    assert "shading: D(x)" in data_title(nbgen.GAN())  # the decision surface behind the samples
    title = data_title(nbgen.Diffusion())
    assert "paths from noise" in title and "the flow at t = 0.5" in title and "D(x)" not in title
