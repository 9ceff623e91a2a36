"""The public Session API: shapes, config, save/load, model-specific methods."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

import nbgen


@pytest.fixture(scope="module")
def vae():
    return nbgen.train("vae", "digits", epochs=3)


@pytest.fixture(scope="module")
def gan():
    return nbgen.train("gan", "ring", epochs=1)


def test_vae_methods_return_the_data_shapes(vae):
    x = vae.dataset.to_rows(vae.dataset.x_val[:7])
    assert x.shape == (7, 8, 8)
    z = vae.encode(x)
    assert z.shape == (7, 2)
    assert vae.decode(z).shape == (7, 8, 8)
    assert vae.reconstruct(x).shape == (7, 8, 8)
    assert vae.sample(5).shape == (5, 8, 8)
    np.testing.assert_array_equal(vae.sample(5, seed=3), vae.sample(5, seed=3))
    assert not np.array_equal(vae.sample(5), vae.sample(5))


def test_model_is_the_keras_model_with_current_weights(vae):
    import keras

    m = vae.model
    assert isinstance(m, keras.Model)
    x = vae.dataset.x_val[:4]
    np.testing.assert_allclose(np.asarray(m(x)), vae.reconstruct(x).reshape(4, -1), atol=1e-5)
    assert isinstance(m.encoder, keras.Model) and isinstance(m.decoder, keras.Model)


def test_gan_exposes_generator_and_discriminator_and_refuses_encode(gan):
    import keras

    assert isinstance(gan.model.generator, keras.Model)
    assert isinstance(gan.model.discriminator, keras.Model)
    assert gan.sample(10).shape == (10, 2)
    with pytest.raises(TypeError, match="encode\\(\\) is not available for the gan model"):
        gan.encode(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="reconstruct"):
        gan.reconstruct(np.zeros((2, 2)))


def test_autoencoder_cannot_sample():
    s = nbgen.Session("ae", "digits")
    with pytest.raises(TypeError, match="sample\\(\\) is not available for the autoencoder"):
        s.sample(3)


def test_config_recreates_an_equivalent_untrained_session(vae):
    copy = nbgen.Session(**vae.config)
    assert copy.config == vae.config
    assert copy.step == 0 and copy.history == {}
    fresh = nbgen.Session("vae", "digits", **{k: v for k, v in vae.config.items() if k not in ("model", "data")})
    x = vae.dataset.x_val[:3]
    np.testing.assert_array_equal(copy.encode(x), fresh.encode(x))  # same seed, same init


def test_save_load_round_trip_gives_identical_outputs(vae, tmp_path):
    vae.set(beta=0.7)
    path = vae.save(tmp_path / "s")
    assert path.endswith(".nbgen")
    back = nbgen.load(path)
    x = vae.dataset.x_val[:10]
    np.testing.assert_array_equal(back.encode(x), vae.encode(x))
    np.testing.assert_array_equal(back.sample(4, seed=1), vae.sample(4, seed=1))
    assert back.history == vae.history
    assert back.timeline == vae.timeline
    assert back.config == vae.config
    assert back.step == vae.step and back.epoch == vae.epoch
    back.train(1)  # optimizer state came back too: training continues
    assert back.step > vae.step


def test_save_load_user_arrays_with_labels(tmp_path):
    x = np.random.default_rng(0).random((80, 5)).astype(np.float32)
    s = nbgen.train("ae", (x, np.arange(80) % 2), epochs=2, latent_dim=3)
    back = nbgen.load(s.save(tmp_path / "user.nbgen"))
    np.testing.assert_array_equal(back.reconstruct(x[:4]), s.reconstruct(x[:4]))
    np.testing.assert_array_equal(back.dataset.y_train, s.dataset.y_train)


def test_load_refuses_files_that_are_not_sessions(tmp_path):
    bad = tmp_path / "notes.nbgen"
    bad.write_text("hello")
    with pytest.raises(ValueError, match="not an nbgen session file"):
        nbgen.load(bad)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("nbgen.json", '{"format": "something-else"}')
        z.writestr("state.npz", b"")
    with pytest.raises(ValueError, match="not an nbgen session file"):
        nbgen.load(other)
    with pytest.raises(FileNotFoundError, match="no such file"):
        nbgen.load(tmp_path / "missing.nbgen")


def test_save_failure_leaves_the_previous_file_intact(vae, tmp_path, monkeypatch):
    path = vae.save(tmp_path / "keep.nbgen")
    before = open(path, "rb").read()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("nbgen.saving.os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        vae.save(path)
    assert open(path, "rb").read() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.nbgen"]  # no temp file left


def test_structural_change_needs_reset(vae):
    with pytest.raises(ValueError, match="latent_dim is structural.*reset"):
        vae.set(latent_dim=4)
    s = nbgen.Session("vae", "digits", epochs=1)
    s.train()
    s.reset(latent_dim=4)
    assert s.step == 0 and s.history == {}
    assert s.encode(s.dataset.x_val[:2]).shape == (2, 4)


def test_training_twice_at_once_is_refused_with_what_to_do():
    s = nbgen.Session("vae", "digits", epochs=10_000)
    s.train(block=False)
    try:
        with pytest.raises(RuntimeError, match=r"already training: wait\(\) for the run to end"):
            s.train(block=False)
        with pytest.raises(RuntimeError, match=r"wait\(\) for the run to end, then train\(5\) more"):
            s.train(5)  # 5 more epochs than the run in flight: not what waiting gives
        s.pause()
        with pytest.raises(RuntimeError, match=r"paused: resume\(\) it, then wait\(\)"):
            s.train()  # waiting would block forever
        assert s.status == "paused"
    finally:
        s.stop()
    assert not s.running


def test_blocking_train_on_a_background_run_waits_for_it():
    # the README's tour: show(..., autostart=True) then session.train(block=True)
    s = nbgen.Session("gan", "ring", epochs=4)
    s.train(block=False)
    s.train(block=True)
    assert not s.running and s.status == "finished"
    assert s.epoch == 4 and len(s.history["d_loss"]) == 4  # that run, not a second one

    bad = nbgen.Session("autoencoder", "moons", epochs=3, learning_rate=10.0)
    bad.train(block=False)
    with pytest.raises(nbgen.TrainingDiverged):  # the run's error, as a blocking train raises it
        bad.train()


def test_gan_discriminate_gives_probabilities_and_others_refuse(gan, vae):
    p = gan.discriminate(gan.dataset.x_val[:20])
    assert p.shape == (20,) and np.all((p >= 0) & (p <= 1))
    with pytest.raises(TypeError, match="discriminate\\(\\) is not available for the vae model"):
        vae.discriminate(vae.dataset.x_val[:2])
