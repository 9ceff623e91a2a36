"""Bad input: a clear error naming the parameter, the value and what is allowed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nbgen


@pytest.mark.parametrize(
    "kwargs, exc, pattern",
    [
        ({"model": "pixelcnn"}, ValueError, r"model='pixelcnn' is not a known model; choose one of autoencoder, vae, gan, diffusion"),
        ({"model": 3}, TypeError, r"model must be a model name"),
        ({"data": "cifar"}, ValueError, r"data='cifar' is not a known data set; choose one of digits, mnist5k, moons"),
        ({"data": 3.5}, TypeError, r"data must be a data set name"),
        ({"learning_rate": 0}, ValueError, r"learning_rate must be > 0, got 0"),
        ({"learning_rate": -1e-3}, ValueError, r"learning_rate must be > 0, got -0.001"),
        ({"learning_rate": math.nan}, ValueError, r"learning_rate must be a finite number, got nan"),
        ({"learning_rate": math.inf}, ValueError, r"learning_rate must be a finite number, got inf"),
        ({"learning_rate": "fast"}, TypeError, r"learning_rate must be a number, got str 'fast'"),
        ({"latent_dim": 0}, ValueError, r"latent_dim must be an int between 1 and 4096, got 0"),
        ({"latent_dim": 2.5}, TypeError, r"latent_dim must be an int, got float 2.5"),
        ({"hidden": ()}, TypeError, r"hidden must be a non-empty tuple of layer widths"),
        ({"hidden": (256, -1)}, ValueError, r"hidden must be an int between 1 and 8192, got -1"),
        ({"batch_size": 0}, ValueError, r"batch_size must be an int >= 1, got 0"),
        ({"batch_size": 5000}, ValueError, r"batch_size=5000 is larger than the 1437 training rows"),
        ({"beta": -1.0}, ValueError, r"beta must be >= 0, got -1.0"),
        ({"epochs": 0}, ValueError, r"epochs must be an int between 1 and"),
        ({"seed": -1}, ValueError, r"seed must be an int between 0 and"),
        (
            {"anneal": 1.0},
            ValueError,
            r"anneal must be < 1, got 1.0",
        ),
        ({"anneal": -0.1}, ValueError, r"anneal must be >= 0, got -0.1"),
        ({"anneal": "late"}, TypeError, r"anneal must be a number, got str 'late'"),
        ({"noise_dim": 4}, TypeError, r"'noise_dim' is not a hyperparameter of the vae model; it accepts"),
        ({"model": "gan", "beta": 1.0}, TypeError, r"'beta' is not a hyperparameter of the gan model"),
        ({"model": "gan", "d_steps": 0}, ValueError, r"d_steps must be an int between 1 and 20, got 0"),
        ({"lr": 1e-3}, TypeError, r"'lr' is not a hyperparameter of the vae model"),
    ],
)
def test_bad_hyperparameters_and_names(kwargs, exc, pattern):
    kwargs = {"model": "vae", "data": "digits", **kwargs}
    with pytest.raises(exc, match=pattern):
        nbgen.Session(**kwargs)


@pytest.mark.parametrize(
    "data, exc, pattern",
    [
        (
            np.array([[0.0, np.nan], [1.0, 2.0]] * 4),
            ValueError,
            r"data holds 4 non-finite values \(NaN or inf\), first at index \(0, 1\)",
        ),
        (np.array([[0.0, np.inf]] * 8), ValueError, r"data holds 8 non-finite values"),
        (np.zeros(10), ValueError, r"data must be an array shaped \(n, d\) or \(n, h, w\[, c\]\), got 1 dimension"),
        (np.zeros((2, 2, 2, 2, 2)), ValueError, r"got 5 dimension"),
        (np.zeros((0, 4)), ValueError, r"data is empty"),
        (np.zeros((3, 4)), ValueError, r"data has 3 rows: nbgen needs at least 4"),
        (np.array([["a", "b"]] * 5), TypeError, r"data must hold numbers, got an array of dtype <U1"),
        ((np.zeros((10, 2)), np.zeros(9)), ValueError, r"labels has 9 entries but the data has 10 rows"),
        ((np.zeros((10, 2)), np.zeros((10, 3))), ValueError, r"labels must be one-dimensional"),
        ((np.zeros((10, 2)),), ValueError, r"data as a tuple must be one of \(x, labels\), \(x_train, x_test\)"),
    ],
)
def test_bad_data(data, exc, pattern):
    with pytest.raises(exc, match=pattern):
        nbgen.Session("ae", data)


def test_batch_larger_than_user_data():
    with pytest.raises(ValueError, match=r"batch_size=64 is larger than the 16 training rows: use at most 16"):
        nbgen.Session("ae", np.random.default_rng(0).random((20, 3)), batch_size=64)


def test_bad_live_change_keeps_the_trained_session_intact():
    s = nbgen.train("vae", "digits", epochs=2)
    history = {k: list(v) for k, v in s.history.items()}
    x = s.dataset.x_val[:5]
    z = s.encode(x)
    for bad in ({"learning_rate": -1}, {"beta": math.nan}, {"batch_size": 10**6}, {"latent_dim": 3}, {"foo": 1}):
        with pytest.raises((ValueError, TypeError)):
            s.set(**bad)
    with pytest.raises((ValueError, TypeError)):
        s.reset(hidden="wide")
    with pytest.raises(ValueError):
        s.train(epochs=-3)
    assert s.history == history and s.timeline == []
    np.testing.assert_array_equal(s.encode(x), z)
    assert s.hyperparameters["learning_rate"] == 1e-3


def test_bad_method_arguments_name_the_parameter():
    s = nbgen.Session("vae", "digits")
    with pytest.raises(
        ValueError, match=r"x must have rows shaped \(8, 8\) \(or 64 flat features\), got an array of shape \(3, 5\)"
    ):
        s.encode(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"z must be a finite array shaped \(n, 2\)"):
        s.decode(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"n must be an int between 1 and"):
        s.sample(0)
    with pytest.raises(ValueError, match=r"x holds 64 non-finite"):
        s.reconstruct(np.full((1, 64), np.nan))
