"""Each loss on a small case computed by hand."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

import nbgen
from nbgen import metrics
from nbgen.models.autoencoder import reconstruction_mse
from nbgen.models.gan import discriminator_loss, generator_loss
from nbgen.models.vae import (
    bernoulli_nll,
    continuous_bernoulli_mean,
    continuous_bernoulli_nll,
    gaussian_nll,
    kl_divergence,
)


def test_reconstruction_mse_by_hand():
    x = jnp.array([[0.0, 1.0], [1.0, 1.0]])
    x_hat = jnp.array([[0.5, 1.0], [1.0, 0.0]])
    # row 1: (0.25 + 0) / 2, row 2: (0 + 1) / 2
    np.testing.assert_allclose(reconstruction_mse(x, x_hat), [0.125, 0.5])


def test_kl_is_zero_at_the_prior_and_matches_the_formula():
    np.testing.assert_allclose(kl_divergence(jnp.zeros((1, 3)), jnp.zeros((1, 3))), [0.0], atol=1e-7)
    # one dimension, mean 1, variance e: KL = 0.5 * (e + 1 - 1 - 1) = 0.5 * (e - 1)
    np.testing.assert_allclose(kl_divergence(jnp.array([[1.0]]), jnp.array([[1.0]])), [0.5 * (math.e - 1)], rtol=1e-6)


def test_bernoulli_nll_is_binary_cross_entropy():
    x = jnp.array([[1.0, 0.0]])
    logits = jnp.array([[0.0, math.log(3.0)]])  # p = 0.5 and p = 0.75
    expected = -math.log(0.5) - math.log(0.25)
    np.testing.assert_allclose(bernoulli_nll(x, logits), [expected], rtol=1e-6)


def test_gaussian_nll_of_a_standard_normal():
    x = jnp.array([[1.0, 0.0]])
    nll = gaussian_nll(x, jnp.zeros((1, 2)), jnp.zeros((1, 2)))
    expected = 0.5 * 1.0 + math.log(2 * math.pi)  # two dims of 0.5*log(2 pi), plus 0.5 * 1^2
    np.testing.assert_allclose(nll, [expected], rtol=1e-6)


def test_gan_losses_by_hand():
    real, fake = jnp.array([0.0, 0.0]), jnp.array([0.0, 0.0])
    # D(x) = 0.5 everywhere: -log 0.5 - log(1 - 0.5)
    np.testing.assert_allclose(discriminator_loss(real, fake), 2 * math.log(2), rtol=1e-6)
    np.testing.assert_allclose(generator_loss(jnp.array([math.log(3.0)])), -math.log(0.75), rtol=1e-6)


def test_mode_coverage_counts_high_quality_and_balanced_modes():
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    samples = np.concatenate(
        [
            np.zeros((60, 2)),  # mode 0: 60 HQ samples
            np.tile([[10.0, 0.05]], (2, 1)),  # mode 1: 2 HQ samples (std 0.02 -> radius 0.06)
            np.tile([[5.0, 5.0]], (38, 1)),  # 38 samples far from every mode
        ]
    )
    out = metrics.mode_coverage(samples, centres, std=0.02)
    assert out["hq_fraction"] == pytest.approx(0.62)
    assert out["modes"] == 2
    # fair share is 100/3; 20% of it is 6.7: mode 1's 2 samples do not count
    assert out["balanced_modes"] == 1


def test_pca_mse_matches_the_anchor_on_digits():
    ds = nbgen.datasets.load("digits")
    # anchors.md: PCA held-out MSE 0.0532 (latent 2) and 0.0247 (latent 8)
    assert metrics.pca_mse(ds.x_train, ds.x_val, 2) == pytest.approx(0.0532, abs=5e-4)
    assert metrics.pca_mse(ds.x_train, ds.x_val, 8) == pytest.approx(0.0247, abs=5e-4)


def test_importance_bound_is_tighter_than_the_elbo():
    s = nbgen.Session("vae", "digits", epochs=3)
    s.train()
    out = s.evaluate(k=100)
    assert out["iw_bound"] <= out["neg_elbo"]
    assert np.isfinite(out["iw_bound"])


def test_continuous_bernoulli_is_a_density_on_the_unit_interval():
    # integrate exp(-nll) over [0, 1] for logits at both tails, near 0 and at 0 (the Taylor branch)
    x = np.linspace(0.0, 1.0, 200_001)
    for eta in (-40.0, -7.0, -1.0, -2e-4, 0.0, 3e-4, 0.5, 9.0, 35.0):
        logits = jnp.full((x.size, 1), eta)
        density = np.exp(-np.asarray(continuous_bernoulli_nll(jnp.asarray(x)[:, None], logits)))
        assert np.trapezoid(density, x) == pytest.approx(1.0, abs=2e-3), eta
        mean = float(continuous_bernoulli_mean(jnp.asarray([eta]))[0])
        assert mean == pytest.approx(np.trapezoid(x * density, x), abs=2e-4), eta
    # at logit 0 it is uniform: -log p = 0 everywhere
    assert float(continuous_bernoulli_nll(jnp.asarray([[0.3, 0.9]]), jnp.zeros((1, 2)))[0]) == pytest.approx(
        0.0, abs=1e-6
    )


def test_a_continuous_bernoulli_vae_trains_reports_a_likelihood_and_saves(tmp_path):
    s = nbgen.Session("vae", "digits", likelihood="continuous_bernoulli", latent_dim=8, epochs=30, seed=0)
    s.train()
    out = s.evaluate(k=20)
    b = nbgen.Session("vae", "digits", latent_dim=8, epochs=30, seed=0)
    b.train()
    # a density on [0, 1]^64 reaches below zero nats; the Bernoulli's cross-entropy on grey levels cannot
    assert out["iw_bound"] < 0 < b.evaluate(k=20)["iw_bound"]
    x = s.sample(16)
    assert x.min() >= 0 and x.max() <= 1
    # the reconstructions are the continuous Bernoulli's means, also in the Keras model it hands out
    ds = s.dataset
    keras_out = np.asarray(s.model.predict(ds.x_val[:8].reshape(8, -1), verbose=0))
    np.testing.assert_allclose(keras_out.reshape(8, -1), s.reconstruct(ds.x_val[:8]).reshape(8, -1), atol=1e-5)
    path = s.save(tmp_path / "cb")
    loaded = nbgen.load(path)
    assert loaded.hyperparameters["likelihood"] == "continuous_bernoulli"
    np.testing.assert_allclose(loaded.reconstruct(ds.x_val[:8]), s.reconstruct(ds.x_val[:8]), atol=1e-6)


def test_a_unit_interval_likelihood_on_real_valued_data_is_refused():
    with pytest.raises(ValueError, match=r"likelihood='continuous_bernoulli'.*real-valued.*likelihood='auto'"):
        nbgen.Session("vae", "moons", likelihood="continuous_bernoulli")
    with pytest.raises(ValueError, match=r"likelihood must be one of 'auto', 'bernoulli', 'continuous_bernoulli'"):
        nbgen.Session("vae", "digits", likelihood="gauss")
