"""Stepping as a lesson needs it: exactly n steps, a GAN's discriminator-only and
generator-only steps, one dispatch, slow motion; each recorded so that replay repeats it.
The widget's buttons are driven in a real kernel as JupyterLab drives them."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import nbgen
from nbgen.ui.labels import timeline_line


def weights(s, net):
    return [np.array(v) for v in jax.device_get(s.engine.state["params"][net]["tv"])]


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_d_and_g_steps_move_only_their_network_and_replay_repeats_them(tmp_path):
    s = nbgen.Session("gan", "moons", epochs=2, batch_size=64)
    s.step_once(3)
    assert s.step == 3
    g, d = weights(s, "generator"), weights(s, "discriminator")
    s.step_once(part="d")
    assert s.step == 4 and same(g, weights(s, "generator")) and not same(d, weights(s, "discriminator"))
    g, d = weights(s, "generator"), weights(s, "discriminator")
    s.step_once(part="g")
    assert s.step == 5 and not same(g, weights(s, "generator")) and same(d, weights(s, "discriminator"))
    assert s.hyperparameters["update"] == 0  # the next run updates both again
    s.step_once(2)
    assert s.step == 7 and not same(d, weights(s, "discriminator"))
    assert [(r["step"], r["new"]) for r in s.timeline if r["name"] == "update"] == [(3, 1), (4, 0), (4, 2), (5, 0)]
    assert timeline_line(s.timeline[0]) == "step 3: update both -> D only"
    s.train(1)  # then train on: the epoch that the steps began is taken up
    path = s.save(tmp_path / "run.nbgen")
    r = nbgen.replay(path)
    assert r.step == s.step
    for net in ("generator", "discriminator"):
        assert same(weights(r, net), weights(s, net))
    np.testing.assert_array_equal(r.steps["d_loss"], s.steps["d_loss"])


def test_replay_repeats_the_timeline_as_made_and_steps_ending_an_epoch_begin_no_new_one():
    """Two changes of one name at one step (a D step's end and a G step's start) stay two records
    in the replay, not one merged change; and a run of steps that ends at an epoch's end begins no
    new epoch, whose anneal drop it would make there (the replica of a run that stopped before the
    drop made it, and its learning rate was then a tenth of the original's)."""

    def record(timeline):
        return [(r["step"], r["name"], r["old"], r["new"], r["by"]) for r in timeline]

    s = nbgen.Session("gan", "ring", epochs=2, seed=1)  # ring: anneal 1/3, the drop as epoch 1 begins
    s.step_once()
    s.step_once(part="d")
    s.step_once(part="g")
    s.step_once(2, part="d")
    s.train(1)  # to the end of epoch 0, and no further
    r = s.replay()
    assert record(r.timeline) == record(s.timeline)
    assert r.hyperparameters == s.hyperparameters and r.history == s.history and r.step == s.step
    per_epoch = len(s.dataset.x_train) // s.hyperparameters["batch_size"]
    a = nbgen.Session("gan", "ring", epochs=2, seed=1)
    a.step_once(per_epoch)
    assert (a.epoch, a.timeline) == (1, [])  # the drop waits for the run that trains epoch 1
    a.step_once()
    assert record(a.timeline) == [(per_epoch, "learning_rate", 5e-4, 5e-5, "anneal")]


def test_a_dispatch_runs_the_steps_it_says_and_slow_motion_paces_one_step_dispatches():
    s = nbgen.Session("autoencoder", "moons", epochs=1)
    assert s.dispatch_once() == 1  # the step time is not known yet: one step
    s.step_once(2)
    n = s.dispatch_once()
    assert s.step == 3 + n and n >= 1
    s.slow_motion = 0.05
    assert s.engine.dispatch_size() == 1
    before = s.engine.dispatches
    s.step_once(4)
    assert s.engine.dispatches - before == 4 and s.step == 7 + n
    s.reset()
    assert s.slow_motion == 0.05  # kept by a reset's new engine


def test_stepping_refuses_bad_input_naming_it_and_leaves_the_session_as_it_was():
    s = nbgen.Session("vae", "digits", epochs=1)
    with pytest.raises(ValueError, match=r"part='d' needs a model with a discriminator and a generator.*vae"):
        s.step_once(part="d")
    with pytest.raises(ValueError, match=r"part must be one of None, 'both', 'd' .*got 'x'"):
        s.step_once(part="x")
    with pytest.raises(ValueError, match="n must be"):
        s.step_once(0)
    with pytest.raises(ValueError, match=r"slow_motion must be seconds between 0 and 10, got -1"):
        s.slow_motion = -1
    assert s.step == 0 and s.slow_motion == 0 and s.timeline == []
    s.step_once()
    assert s.step == 1


jupyter_client = pytest.importorskip("jupyter_client")


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    from _kernel import module_kernel

    yield from module_kernel(tmp_path_factory, "import jax, numpy as np, nbgen")


def test_the_d_g_and_dispatch_buttons_and_the_slow_motion_slider_in_a_kernel(kernel):
    kernel.run(
        "s = nbgen.show('gan', 'ring', epochs=5); w = s.widget\n"
        "W = lambda net: [np.array(v) for v in jax.device_get(s.engine.state['params'][net]['tv'])]"
    )
    ids = kernel.value(
        "{n: getattr(w.stepping, n).model_id for n in ('d_step_button', 'g_step_button', 'dispatch_button', 'slow_motion')}"
    )
    assert kernel.value("w.stepping.d_step_button.layout.display") is None  # shown for a GAN
    kernel.run("g0 = W('generator')")
    kernel.click(ids["d_step_button"])
    kernel.wait_for("s.step == 1 and not s.running", timeout=90)
    assert kernel.value("all(np.array_equal(a, b) for a, b in zip(g0, W('generator')))")
    assert "the discriminator only" in kernel.value("w.status_line.value")
    kernel.run("d1 = W('discriminator')")
    kernel.click(ids["g_step_button"])
    kernel.wait_for("s.step == 2 and not s.running", timeout=60)
    assert kernel.value("all(np.array_equal(a, b) for a, b in zip(d1, W('discriminator')))")
    kernel.set_value(ids["slow_motion"], value=0.1)
    kernel.wait_for("s.slow_motion == 0.1", timeout=10)
    kernel.click(ids["dispatch_button"])
    kernel.wait_for("s.step == 3 and not s.running", timeout=60)  # slow motion: a dispatch is one step
    assert "One dispatch: 1 step." in kernel.value("w.status_line.value")
    kernel.run("s.close(); v = nbgen.show('vae', 'digits', epochs=1).widget")
    assert kernel.value("v.stepping.d_step_button.layout.display") == "none"
    kernel.run("v.session.close()")
