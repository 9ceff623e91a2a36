"""The VAE's prior: N(0, I) or a learned mixture of Gaussians (``prior_components``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import nbgen
from nbgen.models.vae import kl_divergence


def test_defaults_a_mixture_for_unconditional_images_and_n01_elsewhere():
    assert nbgen.Session("vae", "digits").hyperparameters["prior_components"] == 50
    assert nbgen.Session("vae", "moons").hyperparameters["prior_components"] == 0
    assert nbgen.Session("vae", "digits", conditional=True).hyperparameters["prior_components"] == 0
    plain = nbgen.Session("vae", "digits", prior_components=0)
    assert "prior" not in plain.generative_model.networks  # the textbook VAE: nothing extra to learn


def test_a_one_component_prior_at_zero_is_n01_and_its_kl_estimate_is_unbiased():
    s = nbgen.Session("vae", "digits", prior_components=1, latent_dim=4)
    m = s.generative_model
    params = jax.tree_util.tree_map(jnp.asarray, s.engine.state["params"])
    params["prior"]["tv"] = [jnp.zeros((1, 4)), jnp.zeros((1, 4))]
    x = jnp.asarray(s.dataset.model_val[:64])
    keys = jax.random.split(jax.random.key(0), 400)
    kl_mc = np.mean([np.asarray(m.terms(params, x, k)[1]) for k in keys], axis=0)
    z_mean, z_log_var = m.encode_dist(params, x)
    np.testing.assert_allclose(kl_mc, np.asarray(kl_divergence(z_mean, z_log_var)), atol=0.15)
    z = jax.random.normal(jax.random.key(1), (5, 4))
    np.testing.assert_allclose(m.log_prior(params, z), -0.5 * np.sum(np.square(z) + np.log(2 * np.pi), -1), rtol=1e-5)


def test_the_mixture_is_learned_sampled_from_and_bounds_the_likelihood():
    s = nbgen.Session("vae", "digits", latent_dim=2, epochs=30)
    before = [np.array(v) for v in s.engine.state["params"]["prior"]["tv"]]
    s.train()
    means, log_vars = (np.asarray(v) for v in s.engine.state["params"]["prior"]["tv"])
    assert means.shape == (50, 2) and not np.allclose(means, before[0])  # trained with the networks
    m = s.evaluate(k=50)
    assert m["iw_bound"] <= m["neg_elbo"] and m["classes"] >= 8, m
    # samples come from the mixture: their codes sit near its components, not around 0
    z = np.asarray(s.generative_model.sample_prior(s.engine.state["params"], jax.random.key(0), 2000))
    nearest = np.min(np.linalg.norm(z[:, None] - means[None], axis=-1), axis=1)
    assert np.median(nearest) < np.median(np.linalg.norm(means, axis=-1)), (np.median(nearest), means)


def test_a_mixture_prior_survives_save_load_and_reset(tmp_path):
    s = nbgen.train("vae", "digits", epochs=2, progress=False)
    back = nbgen.load(s.save(tmp_path / "vae.nbgen"))
    assert back.hyperparameters["prior_components"] == 50
    np.testing.assert_array_equal(back.sample(6, seed=3), s.sample(6, seed=3))
    s.reset(prior_components=3)  # structural: rebuilt with 3 components
    assert np.asarray(s.engine.state["params"]["prior"]["tv"][0]).shape == (3, 2)


def test_bad_prior_components_are_refused_with_the_allowed_range():
    with pytest.raises(ValueError, match=r"prior_components must be an int between 0 and 1000, got -1"):
        nbgen.Session("vae", "digits", prior_components=-1)
    with pytest.raises(TypeError, match=r"'prior_components' is not a hyperparameter of the autoencoder model"):
        nbgen.Session("autoencoder", "digits", prior_components=3)


def test_the_gaussian_decoders_scale_has_a_floor_so_a_constant_feature_cannot_drive_the_loss_down():
    """A feature the decoder gets exactly (here constant) pulls its learned log-scale down; the
    floor keeps it at or above log(0.01) and the loss bounded."""
    from nbgen.models.vae import MIN_LOG_SCALE

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=(600, 3)), np.full((600, 1), 5.0)], 1).astype("float32")
    s = nbgen.train("vae", x, epochs=40, latent_dim=2, learning_rate=3e-3)
    assert s.dataset.scaling.kind == "standardise"
    log_scale = np.asarray(s.generative_model.call(s.engine.state["params"], "log_scale", np.zeros((1, 4), "float32")))
    assert log_scale.min() >= MIN_LOG_SCALE - 1e-6
    assert log_scale[0, 3] < log_scale[0, :3].min()  # the constant feature's scale went furthest down
    assert np.isfinite(s.history["loss"]).all()
    # however far its weight goes, the scale stops at the floor
    from nbgen.models.vae import GaussianLogScale

    layer = GaussianLogScale()
    layer.build((None, 4))
    layer.log_scale.assign(np.array([-50.0, -5.0, 0.0, 2.0], "float32"))
    out = np.asarray(layer(np.zeros((1, 4), "float32")))[0]
    assert out[0] == pytest.approx(MIN_LOG_SCALE, abs=1e-4) and out[1] > MIN_LOG_SCALE
    assert out[2] == pytest.approx(0.0, abs=0.02) and out[3] == pytest.approx(2.0, abs=0.01)
