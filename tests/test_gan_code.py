"""The GAN's categorical code (InfoGAN, ``code_classes``): its defaults, its training, sampling by
code value, save/load and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import nbgen

keras = pytest.importorskip("keras")  # after nbgen, which sets Keras's backend


def test_defaults_a_code_for_unconditional_images_only():
    hp = nbgen.Session("gan", "digits").hyperparameters
    assert (hp["code_classes"], hp["noise_dim"]) == (10, 32)
    assert nbgen.Session("gan", "ring").hyperparameters["code_classes"] == 0  # 2-D mixtures: noise_dim 4
    assert nbgen.Session("gan", "digits", conditional=True).hyperparameters["code_classes"] == 0
    assert nbgen.Session("gan", "digits", noise_dim=16).hyperparameters["code_classes"] == 0  # half stays Gaussian
    plain = nbgen.Session("gan", "digits", code_classes=0).generative_model
    assert "q" not in plain.networks and plain.metric_names == ("d_loss", "g_loss")


def test_the_code_is_the_last_noise_inputs_and_q_learns_with_the_generator():
    s = nbgen.Session("gan", "digits", epochs=2)
    m = s.generative_model
    assert m.metric_names == ("d_loss", "g_loss", "code_loss") and m.optimizers["generator"][1] == ["generator", "q"]
    import jax

    noise = np.asarray(m.noise(s.engine.state["params"], jax.random.key(0), 500))
    code = noise[:, -10:]
    assert set(np.unique(code)) == {0.0, 1.0} and np.all(code.sum(1) == 1)  # one-hot
    assert 30 <= np.bincount(code.argmax(1)).min()  # drawn uniformly
    q_before = [np.array(v) for v in s.engine.state["params"]["q"]["tv"]]
    s.train()
    assert not np.allclose(q_before[0], np.asarray(s.engine.state["params"]["q"]["tv"][0]))
    assert len(s.steps["code_loss"]) == len(s.steps["step"]) > 0
    assert s.steps["code_loss"][0] == pytest.approx(np.log(10), abs=0.3)  # Q starts by guessing


def test_sample_takes_a_code_value():
    s = nbgen.train("gan", "digits", epochs=1, progress=False)
    assert s.sample(4, seed=0, code=3).shape == (4, 8, 8)
    assert not np.allclose(s.sample(4, seed=0, code=3), s.sample(4, seed=0, code=4))  # the code matters
    np.testing.assert_array_equal(s.sample(4, seed=0, code=[3, 3, 3, 3]), s.sample(4, seed=0, code=3))
    with pytest.raises(ValueError, match=r"code must be an int between 0 and 9 \(code_classes=10\) or 4 such ints"):
        s.sample(4, code=10)
    with pytest.raises(ValueError, match=r"code= needs a GAN with a categorical code, and this one has code_classes=0"):
        nbgen.train("gan", "ring", epochs=1, progress=False).sample(4, code=1)


def test_bad_code_classes_are_refused_with_what_is_allowed():
    with pytest.raises(ValueError, match=r"code_classes must be 0 \(no code\) or between 2 and noise_dim - 1 = 31"):
        nbgen.Session("gan", "digits", code_classes=32)
    with pytest.raises(ValueError, match=r"between 2 and noise_dim - 1 = 31 .* got 1"):
        nbgen.Session("gan", "digits", code_classes=1)
    with pytest.raises(ValueError, match=r"code_classes must be 0 for a conditional GAN .* got code_classes=10"):
        nbgen.Session("gan", "digits", conditional=True, code_classes=10)
    with pytest.raises(ValueError, match=r"code_classes must be an int between 0 and 1000, got -2"):
        nbgen.Session("gan", "digits", code_classes=-2)
    with pytest.raises(TypeError, match=r"'code_classes' is not a hyperparameter of the vae model"):
        nbgen.Session("vae", "digits", code_classes=3)


def test_the_code_survives_save_load_and_reset(tmp_path):
    s = nbgen.train("gan", "digits", epochs=2, progress=False)
    back = nbgen.load(s.save(tmp_path / "gan.nbgen"))
    assert back.hyperparameters["code_classes"] == 10
    np.testing.assert_array_equal(back.sample(6, seed=3, code=2), s.sample(6, seed=3, code=2))
    s.reset(code_classes=4)  # structural: Q rebuilt for 4 values
    assert np.asarray(s.engine.state["params"]["q"]["tv"][-1]).shape == (4,)
    s.reset(code_classes=0)
    assert "q" not in s.engine.state["params"] and "code_loss" not in s.steps


def test_your_own_generator_keeps_gaussian_noise_unless_you_ask_for_a_code():
    def nets():
        g = keras.Sequential([keras.Input((24,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(64, activation="sigmoid")])  # fmt: skip
        d = keras.Sequential(
            [keras.Input((64,)), keras.layers.Dense(32, activation="leaky_relu"), keras.layers.Dense(1)]
        )
        return g, d

    assert nbgen.Session(nbgen.GAN(*nets()), "digits").hyperparameters["code_classes"] == 0
    s = nbgen.train(nbgen.GAN(*nets(), code_classes=8), "digits", epochs=1, progress=False)
    assert (s.hyperparameters["noise_dim"], s.hyperparameters["code_classes"]) == (24, 8)
    assert s.sample(3, seed=0, code=7).shape == (3, 8, 8)


def test_reset_to_conditional_drops_the_code_that_was_only_a_default():
    """reset() gives values left at their default the new model's default, as a new Session
    would: a conditional GAN has no code, a conditional VAE the N(0, I) prior; chosen values stay."""
    s = nbgen.Session("gan", "digits", learning_rate=3e-4)
    s.reset(conditional=True)
    hp = s.hyperparameters
    assert (hp["conditional"], hp["code_classes"], hp["learning_rate"]) == (True, 0, 3e-4)
    s.reset(conditional=False)
    assert s.hyperparameters["code_classes"] == 10
    v = nbgen.Session("vae", "digits")
    v.reset(conditional=True)
    assert v.hyperparameters["prior_components"] == 0
    with pytest.raises(ValueError, match=r"code_classes must be 0 for a conditional GAN"):
        s.reset(conditional=True, code_classes=10)  # asked for both: refused, the session unchanged
    assert s.hyperparameters["conditional"] is False
    s.reset(conditional=True)  # the refused reset did not make code_classes a choice
    assert s.hyperparameters["code_classes"] == 0


def test_the_field_is_where_the_generator_loss_pushes_a_fake_point_and_pictures_draw_it_as_lines(tmp_path):
    """GAN Lab's arrows: on 2-D data the view draws, on a grid, minus the gradient of G's loss
    softplus(-D(x)) at x (checked against finite differences); the picture draws each grid
    point's line apart (a NaN between lines is a gap, not a segment)."""
    import jax.numpy as jnp

    from nbgen.ui.panels.data import FIELD_GRID

    s = nbgen.train("gan", "ring", epochs=3)
    model, params = s.generative_model, s.engine.state["params"]
    assert "field" in model.panels
    x = np.array([[0.3, -0.2], [1.5, 1.0], [-2.0, 0.5]], np.float32)
    field = np.asarray(model.field(params, jnp.asarray(x)))
    eps = 1e-3
    for i in range(len(x)):
        for j in range(2):
            up, down = x.copy(), x.copy()
            up[i, j] += eps
            down[i, j] -= eps
            loss = [float(np.asarray(jnp.logaddexp(0.0, -model.logits(params, jnp.asarray(r))))[i]) for r in (up, down)]
            assert field[i, j] == pytest.approx(-(loss[0] - loss[1]) / (2 * eps), rel=2e-2, abs=1e-4)
    svg_text = open(s.snapshot(tmp_path / "gan.svg")).read()
    import re

    lines = sum(d.count("M") for d in re.findall(r'class="lines"[^>]*d="([^"]*)"', svg_text))
    assert lines >= FIELD_GRID**2 // 2, "the field's lines were joined into one"
