"""The diffusion model (flow matching): its loss, sampling and paths, your own denoiser, save/load."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import nbgen
from nbgen.models.diffusion import flow_matching_loss

keras = pytest.importorskip("keras")
L = keras.layers


def test_flow_matching_loss_on_a_hand_computed_case():
    v = jnp.array([[1.0, 2.0], [0.0, 0.0]])
    x1 = jnp.array([[3.0, 1.0], [1.0, -1.0]])
    x0 = jnp.array([[1.0, 0.0], [0.0, 1.0]])
    # targets x1 - x0: (2, 1) and (1, -2); squared errors (1, 1) and (1, 4); means over features
    np.testing.assert_allclose(np.asarray(flow_matching_loss(v, x1, x0)), [1.0, 2.5])


def zero_denoiser(features: int = 2) -> keras.Model:
    x, t = keras.Input((features,)), keras.Input((1,))
    h = L.Concatenate()([x, t])
    return keras.Model([x, t], L.Dense(features, kernel_initializer="zeros", name="v")(h), name="zero")


def test_the_step_s_loss_is_the_regression_on_straight_paths():
    """With a denoiser that outputs 0, the loss is mean((x1 - x0)^2): the noise and times the
    model draws from the step's key, recomputed here by hand."""
    s = nbgen.Session(nbgen.Diffusion(zero_denoiser()), "ring", epochs=1)
    model = s.generative_model
    x1 = jnp.asarray(s.dataset.model_train[:64])
    key = jax.random.key(3)
    k_noise, _ = jax.random.split(key)
    x0 = jax.random.normal(k_noise, x1.shape)
    expected = float(jnp.mean(jnp.square(x1 - x0)))
    got = float(jnp.mean(model.terms(s.engine.state["params"], x1, key)))
    assert got == pytest.approx(expected, rel=1e-5)
    # and the training times lean towards the data: t = u ** (1 / time_power)
    assert model.time_power > 1


def test_sampling_steps_paths_and_their_errors():
    s = nbgen.train("diffusion", "ring", epochs=3, progress=False)
    assert s.hyperparameters["sample_steps"] == 50
    path = s.trajectory(6, seed=4, steps=12)
    assert path.shape == (13, 6, 2)
    np.testing.assert_allclose(path[-1], s.sample(6, seed=4, steps=12), atol=1e-5)
    assert not np.allclose(s.sample(6, seed=4, steps=3), s.sample(6, seed=4, steps=12))
    s.set(sample_steps=12)  # live: what sample() draws changes at once, training is untouched
    np.testing.assert_allclose(s.sample(6, seed=4), path[-1], atol=1e-5)
    assert s.trajectory(2, seed=0).shape == (13, 2, 2)
    with pytest.raises(ValueError, match=r"sample_steps must be an int between 1 and 10000, got 0"):
        s.sample(4, steps=0)
    with pytest.raises(ValueError, match=r"sample_steps must be an int between 1 and 10000, got 0"):
        s.set(sample_steps=0)
    with pytest.raises(TypeError, match=r"sample\(\) takes no colour= for the diffusion model; it takes n, seed and steps"):
        s.sample(4, colour=3)
    with pytest.raises(ValueError, match=r"label= needs a conditional model, and this diffusion model is not: use "
                       r"Diffusion\(conditional=True\)"):  # fmt: skip
        s.sample(4, label=3)
    vae = nbgen.Session("vae", "ring", epochs=1)
    with pytest.raises(TypeError, match=r"trajectory\(\) is not available for the vae model.*'diffusion'"):
        vae.trajectory(4)
    with pytest.raises(TypeError, match=r"sample\(\) takes no steps= for the vae model"):
        vae.sample(4, steps=3)
    with pytest.raises(TypeError, match=r"'sample_steps' is not a hyperparameter of the vae model"):
        nbgen.Session("vae", "ring", sample_steps=10)


def test_image_samples_stay_in_the_data_s_range_and_the_model_is_found_by_name():
    s = nbgen.train("flow", "digits", epochs=2, progress=False)
    assert s.kind == "diffusion" and isinstance(s.generative_model, nbgen.Diffusion)
    x = s.sample(8, seed=0)
    assert x.shape == (8, 8, 8) and x.min() >= 0.0 and x.max() <= 1.0
    assert s.trajectory(3, seed=0, steps=5).shape == (6, 3, 8, 8)


def image_denoiser() -> keras.Model:
    x, t = keras.Input((8, 8, 1), name="x_t"), keras.Input((1,), name="t")
    h = L.Conv2D(8, 3, padding="same", activation="silu")(x)
    h = L.Concatenate()([L.Flatten()(h), t])
    v = L.Reshape((8, 8, 1))(L.Dense(64)(L.Dense(64, activation="silu")(h)))
    return keras.Model([x, t], v, name="my_denoiser")


def one_input() -> keras.Model:
    return keras.Sequential([keras.Input((64,)), L.Dense(64)], name="one")


def wrong_time() -> keras.Model:
    x, t = keras.Input((64,)), keras.Input((2,))
    return keras.Model([x, t], L.Dense(64)(L.Concatenate()([x, t])), name="wide_t")


def wrong_rows() -> keras.Model:
    x, t = keras.Input((63,)), keras.Input((1,))
    return keras.Model([x, t], L.Dense(64)(L.Concatenate()([x, t])), name="short")


def wrong_output() -> keras.Model:
    x, t = keras.Input((64,)), keras.Input((1,))
    return keras.Model([x, t], L.Dense(10)(L.Concatenate()([x, t])), name="ten")


@pytest.mark.parametrize(
    "make, pattern",
    [
        (one_input, r"denoiser 'one' takes inputs \(None, 64\): it must take two, the noisy rows .* and the time \(None, 1\)"),
        (wrong_time, r"denoiser 'wide_t' takes inputs \(None, 64\), \(None, 2\): it must take two"),
        (wrong_rows, r"denoiser 'short' takes noisy rows of shape \(None, 63\), but the data's rows are shaped \(8, 8\)"),
        (wrong_output, r"denoiser 'ten' outputs \(None, 10\), but the data's rows are shaped \(8, 8\) \(64 features\)"),
    ],
)
def test_denoiser_mismatches_are_named_before_training(make, pattern):
    with pytest.raises(nbgen.models.NetworkError, match=pattern):
        nbgen.Session(nbgen.Diffusion(make()), "digits")


def test_your_own_denoiser_trains_saves_and_loads_with_identical_samples(tmp_path):
    s = nbgen.train(nbgen.Diffusion(image_denoiser(), sample_steps=10), "digits", epochs=3, progress=False)
    assert "hidden" not in s.hyperparameters and s.model.denoiser.name == "my_denoiser"
    assert s.history["loss"][-1] < s.history["loss"][0]
    with pytest.raises(ValueError, match="hidden cannot be given together with your own networks"):
        nbgen.Diffusion(image_denoiser(), hidden=(32,))
    path = s.save(tmp_path / "mine.nbgen")
    back = nbgen.load(path)
    np.testing.assert_array_equal(back.sample(5, seed=2), s.sample(5, seed=2))
    builtin = nbgen.train("diffusion", "ring", epochs=2, progress=False)
    again = nbgen.load(builtin.save(tmp_path / "ring.nbgen"))
    assert again.hyperparameters["sample_steps"] == 50
    np.testing.assert_array_equal(again.sample(7, seed=1), builtin.sample(7, seed=1))
    np.testing.assert_array_equal(again.trajectory(2, seed=1, steps=4), builtin.trajectory(2, seed=1, steps=4))


def test_conditional_diffusion_draws_the_mode_it_is_asked_for():
    """Classifier-free guidance on the ring: label k is the mixture's k-th Gaussian."""
    s = nbgen.train("diffusion", "ring", conditional=True, epochs=40, progress=False)
    assert s.hyperparameters["guidance"] == 2.0
    modes = s.dataset.modes
    for k in (0, 3, 6):
        x = s.sample(200, seed=k, label=k)
        nearest = np.argmin(((x[:, None, :] - modes[None]) ** 2).sum(-1), axis=1)
        assert (nearest == k).mean() >= 0.9, (k, np.bincount(nearest, minlength=8))
    mixed = s.sample(400, seed=1)  # no label: drawn in the data's proportions
    nearest = np.argmin(((mixed[:, None, :] - modes[None]) ** 2).sum(-1), axis=1)
    assert len(np.unique(nearest)) == 8
    labels = np.array([0, 1, 2, 3])
    np.testing.assert_allclose(s.trajectory(4, seed=2, steps=6, label=labels)[-1], s.sample(4, seed=2, steps=6, label=labels), atol=1e-5)
    with pytest.raises(ValueError, match=r"label=8 is not a class of the data: its labels are 0 to 7"):
        s.sample(2, label=8)
    with pytest.raises(ValueError, match=r"label must be an int or 3 ints \(one per row\)"):
        s.sample(3, label=[1, 2])
    with pytest.raises(ValueError, match=r"guidance must be <= 100, got 200"):
        s.sample(3, label=1, guidance=200)
    s.set(guidance=0.0)  # live; 0 ignores the label
    assert s.hyperparameters["guidance"] == 0.0


def test_conditional_needs_labels_and_a_user_denoiser_takes_the_label_third():
    with pytest.raises(ValueError, match=r"conditional=True needs labels, and the data 'array' has none"):
        nbgen.Session("diffusion", np.random.default_rng(0).normal(size=(200, 2)), conditional=True)
    x, t, y = keras.Input((2,)), keras.Input((1,)), keras.Input((8,))
    ok = keras.Model([x, t, y], L.Dense(2)(L.Concatenate()([x, t, y])), name="labelled")
    s = nbgen.train(nbgen.Diffusion(ok, conditional=True), "ring", epochs=1, progress=False)
    assert s.sample(3, seed=0, label=2).shape == (3, 2)
    with pytest.raises(nbgen.models.NetworkError, match=r"denoiser 'zero' takes inputs \(None, 2\), \(None, 1\): it "
                       r"must take three, .* and the one-hot label \(None, 8\)"):  # fmt: skip
        nbgen.Session(nbgen.Diffusion(zero_denoiser(), conditional=True), "ring")


def test_the_conv_denoiser_is_a_small_u_net_that_trains_on_images():
    s = nbgen.train("diffusion", "digits", architecture="conv", conditional=True, epochs=1, progress=False)
    names = [layer.name for layer in s.model.denoiser.layers]
    assert {"down_1", "down_2", "up_1", "up_0", "skip_0", "skip_1", "label"} <= set(names)
    assert s.sample(3, seed=0, label=4).shape == (3, 8, 8)
    assert np.isfinite(s.history["loss"][-1])


def test_sampling_integrates_the_velocity_that_training_regressed_up_to_t_1():
    """The data-prediction preconditioning divides by max(1 - t, 0.05) in the loss; sampling
    must integrate that same velocity (it divided by 1 - t: past t = 0.95 each Euler step went
    0.05 / (1 - t) times too far)."""
    import jax.numpy as jnp

    s = nbgen.Session("diffusion", "digits", epochs=1)
    m, params = s.generative_model, s.engine.state["params"]
    assert m.predicts == "data"
    x = jnp.asarray(np.random.default_rng(0).normal(size=(4, m.features)), jnp.float32)
    for t in (0.5, 0.96, 0.98, 0.999):
        tt = jnp.full((4,), t, jnp.float32)
        trained = np.asarray(m.velocity(params, x, tt, training=True))
        sampled = np.asarray(m.velocity(params, x, tt, training=False))
        np.testing.assert_allclose(sampled, trained, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("steps", [20, 50, 100])
def test_a_network_at_the_training_optimum_carries_the_noise_exactly_to_the_data(steps):
    """For data that are one point z, the velocity that minimises the training loss at (x_t, t) is
    (z - x_t) / (1 - t); a data predictor giving exactly that in training mode (the optimum of the
    preconditioned loss, which for t > 0.95 is not z itself) must make the Euler sampler land on
    z. Before the fix the sampler divided by 1 - t instead of max(1 - t, 0.05) and, at 50 steps,
    overshot by up to 0.05 / (1 - t) in the last steps."""
    s = nbgen.Session("diffusion", "digits", epochs=1)
    m, params = s.generative_model, s.engine.state["params"]
    assert m.predicts == "data" and m.unit_interval
    z = m.to_flow(jnp.asarray(s.dataset.model_train[:1], jnp.float32))  # the one data point, flow units
    sd = m.sigma_data

    def oracle(params, name, x, t, *more, training=False):
        tc = t.reshape(-1, 1)
        v_star = (z - x) / (1.0 - tc)
        x1_hat = x + jnp.maximum(1.0 - tc, m.t_clip) * v_star  # velocity(training=True) == v_star
        norm = jnp.sqrt(jnp.square(tc * sd) + jnp.square(1.0 - tc))
        return (x1_hat - tc * sd**2 / norm**2 * x) / ((1.0 - tc) * sd / norm)

    m.call = oracle  # this instance only
    x = jnp.asarray(np.random.default_rng(0).normal(size=(5, m.features)), jnp.float32)
    for t in (0.3, 0.97, 0.99):
        tt = jnp.full((5,), t, jnp.float32)
        np.testing.assert_allclose(m.velocity(params, x, tt, training=True), (z - x) / (1 - t), rtol=1e-4, atol=1e-4)
    out = np.asarray(m.sample(params, jax.random.key(0), 5, steps=steps))
    np.testing.assert_allclose(out, np.broadcast_to(np.asarray(m.from_flow(z)), out.shape), atol=1e-4)
