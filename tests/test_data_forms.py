"""Data as users hold it: uint8 images, Keras's split tuples, DataFrames, JAX arrays, files.

Each form trains, keeps the user's units at the session's edges, and each mistake in it
gets a message naming the parameter.
"""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

import nbgen
from nbgen import data

SMALL = {"hidden": (16,), "epochs": 1}


def _images(n=60, side=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, side, side), dtype=np.uint8), np.arange(n) % 3


# -- uint8 images -------------------------------------------------------------------------


def test_uint8_images_are_scaled_to_the_unit_interval_and_given_back_in_0_255():
    x, _ = _images()
    s = nbgen.Session("vae", x, **SMALL)
    ds = s.dataset
    assert ds.scaling.kind == "pixels" and ds.unit_interval  # a Bernoulli decoder, as x / 255 would get
    assert 0.0 <= ds.model_train.min() and ds.model_train.max() <= 1.0 and ds.model_train.max() > 0.9
    assert ds.x_train.max() > 1.0  # x_train, x_val: the data's own units
    assert "divided by 255" in repr(ds) and "divided by 255" in ds.scaling.describe()
    s.train()
    rec = s.reconstruct(x[:5])
    assert rec.shape == (5, 6, 6) and rec.max() > 1.0 and 0.0 <= rec.min() and rec.max() <= 255.0
    samples = s.sample(4, seed=0)
    assert samples.max() > 1.0 and samples.max() <= 255.0
    # input in the user's dtype and scale: uint8 and the same values as floats agree
    np.testing.assert_allclose(s.encode(x[:5]), s.encode(x[:5].astype(np.float64)), rtol=1e-6)
    # evaluate(x) takes user rows; on the validation rows it equals the default evaluate()
    val_user = ds.x_val
    np.testing.assert_allclose(ds.to_rows(ds.model_val).reshape(len(val_user), -1), val_user, atol=1e-3)
    e_default, e_user = s.evaluate(n_samples=10), s.evaluate(np.round(val_user).astype(np.uint8), n_samples=10)
    assert e_user["mse"] == pytest.approx(e_default["mse"], rel=1e-4)
    assert e_default["mse"] < 0.2  # in model units ([0, 1] pixels), not 0-255


@pytest.mark.parametrize(
    "values, kind",
    [
        (np.arange(64, dtype=np.int64).reshape(8, 8) % 256 * 4, "pixels"),  # int64, 0..252
        (np.arange(64).reshape(8, 8) % 2, "none"),  # 0/1 ints: already in [0, 1]
        (np.arange(64).reshape(8, 8) * 100, "standardise"),  # beyond 255: counts, not pixels
        (np.arange(64, dtype=np.int8).reshape(8, 8) - 32, "standardise"),  # negative ints
        (np.linspace(0, 1, 64).reshape(8, 8).astype(np.float16), "none"),
    ],
)
def test_scaling_follows_dtype_and_range(values, kind):
    assert data.load(values).scaling.kind == kind


# -- the forms ----------------------------------------------------------------------------


def test_keras_load_data_tuple_uses_the_test_split_for_validation():
    (xa, ya), (xb, yb) = _images(50, seed=1), _images(12, seed=2)
    ds = data.load(((xa, ya), (xb, yb)))  # what keras.datasets.mnist.load_data() returns
    assert len(ds.x_train) == 50 and len(ds.x_val) == 12  # no second split
    np.testing.assert_array_equal(ds.y_val, yb)
    np.testing.assert_allclose(ds.model_val, xb.reshape(12, -1) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(ds.x_val, xb.reshape(12, -1))
    s = nbgen.train("vae", ((xa, ya), (xb, yb)), **SMALL)
    assert len(s.history["val_loss"]) == 1


def test_train_test_pair_without_labels():
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(40, 3)), rng.normal(size=(10, 3))
    ds = data.load((xa, xb))
    assert len(ds.x_train) == 40 and len(ds.x_val) == 10 and not ds.has_labels
    with pytest.raises(ValueError, match=r"x_test has rows shaped \(4,\) but x_train's are shaped \(3,\)"):
        data.load(((xa, np.zeros(40)), (rng.normal(size=(10, 4)), np.zeros(10))))
    with pytest.raises(ValueError, match=r"labels must be given for both x_train and x_test, or for neither"):
        data.load(((xa, np.zeros(40)), (xb, None)))
    with pytest.raises(ValueError, match=r"y_test has 9 entries but the data has 10 rows"):
        data.load(((xa, np.zeros(40)), (xb, np.zeros(9))))


def test_labels_as_names_column_or_one_hot():
    x = np.random.default_rng(0).random((30, 4))
    names = np.array(["cat", "dog", "emu"] * 10)
    column = (np.arange(30) % 3)[:, None]  # keras.datasets.cifar10 gives labels shaped (n, 1)
    one_hot = np.eye(3)[np.arange(30) % 3]
    for labels in (names, column, one_hot):
        ds = data.load((x, labels))
        assert sorted(set(ds.y_train) | set(ds.y_val)) == [0, 1, 2]
    with pytest.raises(ValueError, match="labels holds NaN or inf"):
        data.load((x, np.where(np.arange(30) == 4, np.nan, 1.0)))


def test_pandas_frames_and_series():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=40), "b": rng.integers(0, 5, 40), "c": rng.random(40) > 0.5})
    labels = pd.Series(np.arange(40) % 2)
    ds = data.load((frame, labels))
    assert ds.row_shape == (3,) and ds.has_labels and ds.scaling.kind == "standardise"
    s = nbgen.train("ae", frame, **SMALL)
    assert s.reconstruct(frame.iloc[:3]).shape == (3, 3)
    with pytest.raises(TypeError, match=r"data as a DataFrame must have numeric columns only; these are not: 'name'"):
        data.load(frame.assign(name=["x"] * 40))
    with pytest.raises(ValueError, match=r"data holds 1 non-finite values"):
        data.load(frame.assign(a=frame["a"].where(frame.index != 3)))


def test_jax_arrays_are_taken_whole_not_streamed():
    import jax.numpy as jnp

    x = jnp.asarray(np.random.default_rng(0).random((40, 5)), dtype=jnp.float32)
    ds = data.load(x)
    assert not ds.streaming and isinstance(ds.x_train, np.ndarray) and ds.scaling.kind == "none"


def test_npy_and_npz_paths(tmp_path, monkeypatch):
    x, y = _images(40)
    np.save(tmp_path / "x.npy", x)
    ds = data.load(str(tmp_path / "x.npy"))
    assert not ds.streaming and ds.scaling.kind == "pixels" and ds.name == str(tmp_path / "x.npy")
    monkeypatch.setattr(data.files, "STREAM_BYTES", 1000)  # a "large" file is memory-mapped and streamed
    big = data.load(tmp_path / "x.npy")
    assert big.streaming and big.scaling.kind == "pixels" and big.model_train[np.arange(3)].max() <= 1.0
    monkeypatch.undo()

    np.savez(tmp_path / "xy.npz", x=x, y=y)
    assert data.load(str(tmp_path / "xy.npz")).has_labels
    (xa, ya), (xb, yb) = _images(30, seed=1), _images(10, seed=2)
    np.savez(tmp_path / "mnist.npz", x_train=xa, y_train=ya, x_test=xb, y_test=yb)  # keras's mnist.npz layout
    ds = data.load(str(tmp_path / "mnist.npz"))
    assert len(ds.x_train) == 30 and len(ds.x_val) == 10
    s = nbgen.train("vae", str(tmp_path / "mnist.npz"), **SMALL)
    assert s.dataset.name.endswith("mnist.npz")

    np.savez(tmp_path / "odd.npz", images=x)
    with pytest.raises(ValueError, match=r"the .npz file has the keys \['images'\]; nbgen needs keys x"):
        data.load(str(tmp_path / "odd.npz"))
    with pytest.raises(FileNotFoundError, match="no file at"):
        data.load(str(tmp_path / "missing.npy"))
    (tmp_path / "notes.txt").write_text("1 2 3")
    with pytest.raises(ValueError, match=r"is a file, but nbgen reads only .npy and .npz files"):
        data.load(str(tmp_path / "notes.txt"))
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}] * 5, dtype=object), allow_pickle=True)
    with pytest.raises(TypeError, match="must hold an array of numbers"):
        data.load(str(tmp_path / "objects.npy"))
    with pytest.raises(ValueError, match=r"data='cifar' is not a known data set.*or a path to a .npy or .npz file"):
        data.load("cifar")


# -- real values of any scale -------------------------------------------------------------


@pytest.mark.parametrize("model", ["ae", "vae"])
@pytest.mark.parametrize("scale", [1e3, 1e30])
def test_large_real_values_train_in_standard_units(model, scale):
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(400, 4)) + 3.0) * scale  # before: the AE diverged at step 1
    s = nbgen.train(model, x, hidden=(32,), epochs=3)
    assert s.dataset.scaling.kind == "standardise"
    assert np.all(np.isfinite(s.history["loss"]))
    rec = s.reconstruct(x[:50])
    assert rec.shape == (50, 4) and np.all(np.isfinite(rec))
    # outputs come back in the data's units: same mean and spread as the data
    assert abs(rec.mean() / x[:50].mean() - 1) < 0.2


def test_values_beyond_float32_are_refused_with_the_reason():
    x = np.random.default_rng(0).normal(size=(20, 2)) * 1e39
    with pytest.raises(ValueError, match=r"data holds values up to .*e\+39, beyond float32's range"):
        data.load(x)


def test_divergence_message_names_the_data_when_outliers_are_the_likely_cause():
    rng = np.random.default_rng(0)
    clean = rng.normal(size=(3000, 3))
    spiky = clean.copy()
    spiky[0] = 1e6  # one extreme row: after standardising it still sits ~50 std out
    messages = {}
    for name, x in (("clean", clean), ("spiky", spiky)):
        s = nbgen.Session("vae", x, hidden=(32,), learning_rate=10.0, epochs=5)  # too fast: diverges
        with pytest.raises(nbgen.TrainingDiverged) as info:
            s.train()
        messages[name] = str(info.value)
    assert "learning_rate" in messages["clean"] and "data's scale" not in messages["clean"]
    assert "The data's scale may be the cause" in messages["spiky"] and "standardised" in messages["spiky"]


# -- saving ---------------------------------------------------------------------------------


def test_save_into_a_folder_is_refused_and_files_follow_the_umask(tmp_path):
    s = nbgen.Session("ae", "moons", hidden=(8,))
    folder = tmp_path / "runs"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match=r"path='.*runs' is a folder: give a file name, for example"):
        s.save(folder)
    assert list(folder.iterdir()) == [] and not (tmp_path / "runs.nbgen").exists()
    for umask, mode in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        old = os.umask(umask)
        try:
            path = s.save(tmp_path / f"u{umask:o}.nbgen")
        finally:
            os.umask(old)
        assert stat.S_IMODE(os.stat(path).st_mode) == mode


def test_save_load_keeps_the_users_dtype_split_and_outputs(tmp_path):
    (xa, ya), (xb, yb) = _images(40, seed=1), _images(10, seed=2)
    s = nbgen.train("vae", ((xa, ya), (xb, yb)), **SMALL)
    s2 = nbgen.load(s.save(tmp_path / "px.nbgen"))
    assert s2.dataset.scaling.kind == "pixels" and len(s2.dataset.x_val) == 10
    np.testing.assert_array_equal(s2.dataset.y_val, s.dataset.y_val)
    np.testing.assert_array_equal(s2.sample(3, seed=1), s.sample(3, seed=1))
    np.testing.assert_array_equal(s2.encode(xb), s.encode(xb))
    real = np.random.default_rng(0).normal(size=(60, 3)) * 50 + 7
    r = nbgen.train("ae", real, **SMALL)
    r2 = nbgen.load(r.save(tmp_path / "real.nbgen"))
    np.testing.assert_allclose(r2.reconstruct(real[:5]), r.reconstruct(real[:5]), rtol=1e-6)
