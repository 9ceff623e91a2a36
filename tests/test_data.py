from __future__ import annotations

import numpy as np
import pytest

import nbgen
from nbgen import data


def test_digits_split_is_the_anchor_split():
    ds = data.load("digits")
    assert ds.x_train.shape == (1437, 64) and ds.x_val.shape == (360, 64)
    assert ds.row_shape == (8, 8) and ds.unit_interval
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0
    # stratified: every class in the validation split, in proportion
    assert np.bincount(ds.y_val).min() >= 35


@pytest.mark.parametrize("name,k,std", [("ring", 8, 0.02), ("grid", 25, 0.05)])
def test_mixtures_have_the_published_geometry(name, k, std):
    ds = data.load(name)
    assert ds.modes.shape == (k, 2) and ds.mode_std == std
    d = np.linalg.norm(ds.x_train[:, None] - ds.modes[None], axis=-1).min(1)
    assert np.percentile(d, 99) < 4 * std  # points sit on their modes
    if name == "ring":
        np.testing.assert_allclose(np.linalg.norm(ds.modes, axis=1), 2.0)
    else:
        assert sorted(set(ds.modes[:, 0])) == [-4, -2, 0, 2, 4]


def test_user_arrays_images_and_labels():
    x = np.random.default_rng(0).random((50, 6, 6))
    y = np.arange(50) % 5
    ds = data.load((x, y))
    assert ds.row_shape == (6, 6) and ds.features == 36 and ds.has_labels
    assert len(ds.x_train) + len(ds.x_val) == 50
    assert ds.to_rows(ds.x_val).shape == (len(ds.x_val), 6, 6)


def test_real_valued_rows_get_a_gaussian_decoder():
    x = np.random.default_rng(0).normal(size=(200, 3)) * 5
    s = nbgen.Session("vae", x, epochs=1)
    assert not s.dataset.unit_interval
    s.train()
    assert s.sample(4).shape == (4, 3)


def test_mnist_loads_from_a_local_file(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "mnist.npz"
    np.savez(
        path,
        x_train=rng.integers(0, 256, (40, 28, 28), dtype=np.uint8),
        y_train=np.arange(40) % 10,
        x_test=rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        y_test=np.arange(10),
    )
    ds = data.load("mnist", path=str(path))
    assert ds.row_shape == (28, 28) and len(ds.x_train) + len(ds.x_val) == 50
    assert ds.x_train.max() <= 1.0


def test_mnist_without_network_fails_with_a_clear_message(monkeypatch, tmp_path):
    import keras

    def offline():
        raise OSError("Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    monkeypatch.delenv("NBGEN_MNIST_PATH", raising=False)
    with pytest.raises(RuntimeError, match="download.*Offline, pass a local file"):
        data.load("mnist")


def test_memmap_is_streamed_not_loaded(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "rows.npy"
    np.save(path, rng.random((6000, 16), dtype=np.float32))
    mm = np.load(path, mmap_mode="r")
    s = nbgen.Session("vae", mm, epochs=2, latent_dim=2)
    assert s.dataset.streaming and isinstance(s.dataset.x_train, data.RowSource)
    assert len(s.dataset.x_train) + len(s.dataset.x_val) == 6000
    s.train()
    assert s.step == 2 * (len(s.dataset.x_train) // s.hyperparameters["batch_size"])
    assert np.isfinite(s.history["val_loss"]).all()
    rows = s.dataset.x_train[np.array([5, 0, 3])]
    np.testing.assert_array_equal(rows, np.asarray(mm)[s.dataset.x_train.rows_of([5, 0, 3])])
    # training rows are distinct rows of the file, none of them a validation row
    train_rows = s.dataset.x_train.rows_of(np.arange(len(s.dataset.x_train)))
    assert len(set(train_rows.tolist())) == len(train_rows) and train_rows.max() < 6000
    val_rows = sorted(set(range(6000)) - set(train_rows.tolist()))
    np.testing.assert_array_equal(np.sort(np.asarray(mm)[val_rows], axis=0), np.sort(s.dataset.x_val, axis=0))


def test_feistel_shuffle_is_a_permutation():
    for n in (1, 7, 100, 1000, 4099):
        out = data.feistel_shuffle(np.arange(n), n, key=3)
        assert sorted(out.tolist()) == list(range(n))
    a, b = data.feistel_shuffle(np.arange(1000), 1000, 1), data.feistel_shuffle(np.arange(1000), 1000, 2)
    assert not np.array_equal(a, b) and not np.array_equal(a, np.arange(1000))


def test_streamed_nan_is_a_clear_error_that_keeps_the_session(tmp_path):
    path = tmp_path / "bad.npy"
    arr = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(20000, 4))
    arr[:] = 0.5
    probe = set(np.unique(np.linspace(0, 19999, 4096).astype(int)).tolist())
    bad_row = next(i for i in range(10000, 20000) if i not in probe)  # not among the rows read up front
    arr[bad_row, 1] = np.nan
    arr.flush()
    s = nbgen.Session("ae", np.load(path, mmap_mode="r"), epochs=3, batch_size=500)
    if bad_row in set(s.dataset.x_train.rows_of(np.arange(len(s.dataset.x_train))).tolist()):
        with pytest.raises(ValueError, match=f"data row {bad_row} holds NaN or inf"):
            s.train()
        assert s.status == "error"
    with pytest.raises(ValueError, match=r"data row \d+ holds NaN or inf \(found in a sample"):
        arr2 = np.lib.format.open_memmap(tmp_path / "bad2.npy", mode="w+", dtype=np.float32, shape=(100, 4))
        arr2[:] = 0.5
        arr2[0, 0] = np.inf
        arr2.flush()
        nbgen.Session("ae", np.load(tmp_path / "bad2.npy", mmap_mode="r"))
