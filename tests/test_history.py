"""Back through a run: frames kept at log-spaced steps, drawn by figure(step=), snapshot(step=)
and the live view's step slider (nbgen/frames.py, nbgen/ui/history.py)."""

from __future__ import annotations

import numpy as np
import pytest

import nbgen
from nbgen.frames import Frames


def _trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_frames_are_log_spaced_and_thinned_evenly_within_the_budget():
    f = Frames(max_frames=6)
    for step in range(1, 2001):
        if step >= f.next_due:
            f.add(step, {"samples": np.zeros((4, 2), np.float32)})
    steps = f.steps
    assert len(steps) == 6 and steps[0] == 1 and steps[-1] >= 1600  # the first kept, the last near the end
    gaps = np.diff(np.log(steps))
    assert gaps.max() < 3 * gaps.min() + 1e-9  # even in log(step): early training as visible as late
    small = Frames(budget_bytes=3 * 32)  # three frames of 32 bytes
    for step in (1, 2, 4, 8, 16):
        small.add(step, {"samples": np.zeros((4, 2), np.float32)})
    assert small.steps[0] == 1 and small.steps[-1] == 16 and small.nbytes <= 96
    with pytest.raises(ValueError, match="max_frames"):
        Frames(max_frames=1)


def test_a_kept_step_draws_the_samples_of_that_step_and_a_headless_run_keeps_none_unless_asked(tmp_path):
    s = nbgen.Session("gan", "ring", epochs=4, seed=0)
    s.train()
    with pytest.raises(ValueError, match=r"step: no frame at or before step 5.*frames.start\(\)"):
        s.figure(step=5)
    s = nbgen.Session("gan", "ring", epochs=4, seed=0)
    s.frames.start()
    s.train()
    steps = s.frames.steps
    assert steps[0] == 1 and steps[-1] == s.step and len(steps) >= 4
    early, now = s.figure(step=1), s.figure()
    a, b = _trace(early, "generated"), _trace(now, "generated")
    # the frame is the generator at step 1: its points are not today's, and they are what it drew then
    assert not np.allclose(np.asarray(a.x), np.asarray(b.x))
    at, frame = s.frames.at(1)
    assert at == 1 and np.allclose(np.asarray(a.x), frame["samples"][:, 0], atol=1e-5)
    assert len(_trace(early, "field").x) == 0  # the field is of the model now: not drawn with an old frame
    marks = [sh for sh in early.layout.shapes if sh.name == "nbgen-frame-step"]
    assert len(marks) == 1 and marks[0].x0 == 1
    assert s.snapshot(str(tmp_path / "early.png"), step=3).endswith("early.png")
    with pytest.raises(ValueError, match="no frame at or before step 0"):
        s.figure(step=0)
    s.reset()
    assert s.frames.steps == []  # a reset's run starts afresh, as its history


def test_image_frames_hold_samples_and_reconstructions_of_that_step():
    s = nbgen.Session("vae", "digits", epochs=2, seed=0)
    s.frames.start()
    s.train()
    at, frame = s.frames.at(1)
    assert at == 1 and frame["samples"].shape == (16, 8, 8) and frame["reconstructions"].shape == (8, 8, 8)
    # one step in, the reconstructions are far from the images; at the end, closer
    ds = s.dataset
    originals = ds.to_rows(ds.model_val[:8])
    last = s.frames.at(s.step)[1]["reconstructions"]
    assert np.abs(last - originals).mean() < np.abs(frame["reconstructions"] - originals).mean()
    fig = s.figure(step=1)
    assert len(_trace(fig, "latent").x) == 0


def test_compare_draws_each_runs_samples_at_the_same_step():
    runs = []
    for lr in (1e-3, 3e-3):
        s = nbgen.Session("gan", "ring", epochs=3, seed=0, learning_rate=lr)
        s.frames.start()
        s.train()
        runs.append(s)
    plain = nbgen.Session("gan", "ring", epochs=1, seed=0, learning_rate=1e-2)
    plain.train()  # headless, no frames
    c = nbgen.compare(*runs, plain, evaluate=False)
    fig = c.samples_at(10)
    titles = [a.text for a in fig.layout.annotations]
    steps = [r.frames.at(10)[0] for r in runs]
    assert titles == [
        f"{c.labels[0]}: step {steps[0]}",
        f"{c.labels[1]}: step {steps[1]}",
        f"{c.labels[2]}: no frame at step 10",
    ]
    drawn = [t for t in fig.data if t.name == "samples"]
    assert len(drawn) == 2  # the two runs with frames, in their own panels
    for run, trace in zip(runs, drawn):
        # the samples each run drew at that step (2-D data: the points themselves)
        np.testing.assert_allclose(np.asarray(trace.x), run.frames.at(10)[1]["samples"][:, 0], atol=1e-5)
    assert not np.allclose(np.asarray(drawn[0].x), np.asarray(drawn[1].x))
    last = c.samples_at()  # each run's last frame
    assert [a.text for a in last.layout.annotations][0] == f"{c.labels[0]}: step {runs[0].step:,}"
    with pytest.raises(ValueError, match=r"step: none of the 1 runs kept a frame.*frames.start\(\)"):
        nbgen.compare(plain, evaluate=False).samples_at(5)
    with pytest.raises(ValueError, match=r"step must be an int >= 0.*got 'late'"):
        c.samples_at("late")


def test_compare_at_a_step_draws_image_runs_as_sample_grids():
    runs = []
    for beta in (0.5, 2.0):
        s = nbgen.Session("vae", "digits", epochs=2, seed=0, beta=beta)
        s.frames.start()
        s.train()
        runs.append(s)
    c = nbgen.compare(*runs, evaluate=False)
    images = [t for t in c.samples_at(runs[0].step).data if t.type == "image"]
    assert len(images) == 2 and all(t.source.startswith("data:image/png;base64,") for t in images)
    assert images[0].source != images[1].source  # beta 0.5 and beta 2 at the same step differ
    first = [t.source for t in c.samples_at(1).data]  # one step in, from the same weights: alike
    assert first[0] == first[1] != images[0].source


def test_a_live_fid_curve_on_the_digits_falls_as_the_model_learns():
    from nbgen.ui.panels.loss import FID
    from nbgen.ui.plots import SessionFigure

    s = nbgen.Session("vae", "digits", epochs=20, seed=0)
    s.frames.start()
    s.train()
    fid = s.frames.fid
    assert 1 in fid and s.step in fid  # the first frame and the run's end, whatever the time share
    assert fid[s.step] < 0.5 * fid[1]
    assert 0 < s.frames.fid_floor < fid[s.step]  # real training rows measured alike: the floor
    # the run's last point is the FID of the views' fixed draws, as a user would take them by hand
    from nbgen.frames import SAMPLE_SEED
    from nbgen.sample_quality import LIVE_SAMPLES, live_fid, live_reference

    by_hand = np.concatenate([s.sample(16, seed=SAMPLE_SEED + i) for i in range(-(-LIVE_SAMPLES // 16))])
    assert live_fid(s, live_reference(s)[0], by_hand[:LIVE_SAMPLES]) == pytest.approx(fid[s.step], rel=1e-5)
    fig = SessionFigure(s, static=True)
    fig.draw(force=True)
    trace = fig.trace(FID)
    np.testing.assert_allclose(np.asarray(trace.y), [fid[k] for k in sorted(fid)], rtol=1e-5)
    axis = fig.widget.layout["yaxis" + trace.yaxis[1:]]
    assert axis.overlaying == fig.panels["loss"].yref and axis.side == "right"
    assert f"real data: {s.frames.fid_floor:.2f}" in trace.legendgrouptitle.text  # the floor, in the legend
    moons = nbgen.Session("gan", "moons", epochs=1)
    moons.frames.start()
    moons.train()
    assert moons.frames.fid == {} and moons.frames.divergence  # 2-D data: the JS curve instead


jupyter_client = pytest.importorskip("jupyter_client")


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    from _kernel import module_kernel

    yield from module_kernel(tmp_path_factory, "import numpy as np, nbgen")


def test_the_step_slider_shows_an_earlier_frame_and_goes_back_to_live(kernel):
    kernel.run("s = nbgen.show('vae', 'digits', epochs=3, seed=0); w = s.widget; s.train()")
    kernel.wait_for("w.plot_options.scrubber.slider.options[0] == 'step 1'", timeout=30)
    options = kernel.value("list(w.plot_options.scrubber.slider.options)")
    assert options[-1] == "live" and options[-2] == "step 33"
    slider = kernel.value("w.plot_options.scrubber.slider.model_id")
    # what the model draws now: the last frame (the run's end) as the panel tiles it
    kernel.run("from nbgen.ui.arrays import tile; live = tile(s.frames.at(s.step)[1]['samples'], 4)")
    index = options.index("step 1")
    kernel.set_value(slider, index=index)  # the browser sends the option's index
    kernel.wait_for("w.figure.pinned == 1", timeout=30)
    assert kernel.value("not np.allclose(w.figure.images['samples'], live, equal_nan=True)")
    assert kernel.value("[sh.x0 for sh in w.figure.widget.layout.shapes if sh.name == 'nbgen-frame-step']") == [1]
    kernel.set_value(slider, index=len(options) - 1)
    kernel.wait_for("w.figure.pinned is None", timeout=30)
    assert kernel.value("np.allclose(w.figure.images['samples'], live, equal_nan=True)")
    assert kernel.value("[sh for sh in w.figure.widget.layout.shapes if sh.name == 'nbgen-frame-step']") == []
    kernel.run("s.close()")
