"""Your own compiled keras.Model trained by nbgen: compiled loss and metrics, an overridden
compute_loss with a live variable, a JAX train_step, and the errors before training."""

from __future__ import annotations

import jax
import keras
import numpy as np
import pytest
from keras import layers, ops

import nbgen
from nbgen.models import KerasModelError


def classifier(lr: float = 1e-3) -> keras.Model:
    model = keras.Sequential(
        [keras.Input((8, 8)), layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dense(10)],
        name="digit_classifier",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(lr),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


class BetaVAE(keras.Model):
    """A beta-VAE as a Keras 3 user writes it: the KL term in compute_loss, beta a variable."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.Sequential([layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dense(4)])
        self.decoder = keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(64), layers.Reshape((8, 8))])
        self.beta = keras.Variable(1.0, trainable=False, name="beta")
        self.seed_generator = keras.random.SeedGenerator(1)

    def call(self, x):
        h = self.encoder(x)
        z_mean, z_log_var = h[:, :2], h[:, 2:]
        z = z_mean + ops.exp(0.5 * z_log_var) * keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return self.decoder(z), z_mean, z_log_var

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        logits, z_mean, z_log_var = y_pred
        rec = ops.mean(ops.sum(ops.binary_crossentropy(x, logits, from_logits=True), axis=(1, 2)))
        kl = ops.mean(-0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1))
        return rec + self.beta * kl


class GuideModel(keras.Model):
    """The JAX train_step of Keras's guide "Customizing what happens in fit() with JAX"."""

    def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, training=False):
        y_pred, non_trainable_variables = self.stateless_call(
            trainable_variables, non_trainable_variables, x, training=training
        )
        loss = self.compute_loss(x, y, y_pred)
        return loss, (y_pred, non_trainable_variables)

    def train_step(self, state, data):
        trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
        x, y = data
        grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
            trainable_variables, non_trainable_variables, x, y, training=True
        )
        trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables
        )
        new_metrics_vars, logs = [], {}
        for metric in self.metrics:
            this = metrics_variables[len(new_metrics_vars) : len(new_metrics_vars) + len(metric.variables)]
            if metric.name == "loss":
                this = metric.stateless_update_state(this, loss)
            else:
                this = metric.stateless_update_state(this, y, y_pred)
            logs[metric.name] = metric.stateless_result(this)
            new_metrics_vars += this
        return logs, (trainable_variables, non_trainable_variables, optimizer_variables, new_metrics_vars)


def guide_model() -> keras.Model:
    inputs = keras.Input((8, 8))
    h = layers.Dense(32, activation="relu")(layers.Flatten()(inputs))
    model = GuideModel(inputs, layers.Dense(1)(h))
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def test_a_compiled_classifier_trains_with_its_loss_and_metrics_and_validation():
    s = nbgen.train(classifier(), "digits", epochs=5, progress=False)
    assert s.kind == "keras"
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(s.history)
    assert len(s.history["loss"]) == 5
    assert s.history["loss"][-1] < s.history["loss"][0]
    assert s.history["val_accuracy"][-1] > 0.8  # 0.91 measured (digits, 5 epochs, seed 0)
    assert s.hyperparameters["batch_size"] == 32  # Keras's default
    assert s.hyperparameters["learning_rate"] == 0.001  # read from the model's optimizer
    assert set(s.steps) >= {"step", "loss", "accuracy"}
    # the model a user holds has the trained weights
    x, y = s.dataset.x_val.reshape(-1, 8, 8), s.dataset.y_val
    accuracy = float(np.mean(np.argmax(s.model.predict(x, verbose=0), -1) == y))
    assert accuracy == pytest.approx(s.history["val_accuracy"][-1], abs=0.02)


def test_learning_rate_is_live_recorded_and_replayed_exactly():
    s = nbgen.train(classifier(), "digits", epochs=2, progress=False)
    s.set(learning_rate=1e-4)
    s.train(2)
    assert s.timeline[-1]["name"] == "learning_rate" and s.timeline[-1]["new"] == 1e-4
    assert s.history["learning_rate"] == [0.001, 0.001, 1e-4, 1e-4]
    assert float(s.model.optimizer.learning_rate.value) == pytest.approx(1e-4)
    assert s.replay().history == s.history


def test_a_models_scalar_variable_is_a_live_control():
    model = BetaVAE()
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    s = nbgen.train(model, "digits", epochs=2, progress=False)
    assert s.hyperparameters["beta"] == 1.0
    assert "beta" in s.generative_model.live_names
    assert {"loss", "val_loss"} <= set(s.history)
    before = s.history["val_loss"][-1]
    s.set(beta=4.0)
    s.train(2)
    assert s.timeline[-1]["name"] == "beta" and s.timeline[-1]["by"] == "set"
    assert float(s.model.beta.value) == 4.0  # the model's own variable holds the live value
    assert s.history["val_loss"][-1] != before
    assert s.replay().history == s.history
    with pytest.raises(TypeError, match="beta must be a number"):
        s.set(beta="high")
    with pytest.raises(TypeError, match="'latent_dim' is not a hyperparameter of the keras model; it accepts"):
        s.set(latent_dim=3)


def test_a_jax_train_step_from_keras_guide_trains():
    s = nbgen.train(guide_model(), "digits", epochs=3, progress=False)
    assert list(s.steps)[:3] == ["step", "loss", "mae"]
    assert s.history["loss"][-1] < s.history["loss"][0]
    assert "val_loss" not in s.history  # its own train_step, Keras's default test_step: no validation claimed


def test_save_load_and_resume_equal_the_run_that_never_stopped(tmp_path):
    s = nbgen.train(classifier(), "digits", epochs=2, progress=False)
    path = s.save(tmp_path / "clf.nbgen")
    s2 = nbgen.load(path)
    assert s2.kind == "keras" and s2.history == s.history and s2.step == s.step
    s.train(1)
    s2.train(1)
    assert s2.history == s.history


def test_a_sweep_and_a_comparison_take_a_keras_model():
    res = nbgen.sweep(classifier(), "digits", epochs=2, learning_rate=[1e-3, 1e-2], progress=False)
    assert len(res.sessions) == 2
    assert [r.hyperparameters["learning_rate"] for r in res.sessions] == [1e-3, 1e-2]
    assert res.sessions[0].history["loss"] != res.sessions[1].history["loss"]


def test_a_model_that_is_not_compiled_is_refused_with_what_to_do():
    model = keras.Sequential([keras.Input((8, 8)), layers.Flatten(), layers.Dense(10)], name="raw")
    with pytest.raises(KerasModelError, match=r"model 'raw' is not compiled: call model.compile\(optimizer="):
        nbgen.Session(model, "digits")


def test_a_tensorflow_train_step_is_refused_with_the_compute_loss_route():
    class TFStep(keras.Sequential):
        def train_step(self, data):
            return {}

    model = TFStep([keras.Input((8, 8)), layers.Flatten(), layers.Dense(1)], name="tf_style")
    model.compile("adam")
    with pytest.raises(KerasModelError, match=r"TensorFlow form .* override compute_loss"):
        nbgen.Session(model, "digits")


def test_a_step_without_a_loss_or_with_a_vector_loss_is_refused_before_training():
    class NoLoss(GuideModel):
        def train_step(self, state, data):
            logs, state = super().train_step(state, data)
            return {k: v for k, v in logs.items() if k != "loss"}, state

    inputs = keras.Input((8, 8))
    model = NoLoss(inputs, layers.Dense(1)(layers.Flatten()(inputs)), name="no_loss")
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    with pytest.raises(KerasModelError, match="model 'no_loss': its train_step returns mae .*needs a scalar 'loss'"):
        nbgen.Session(model, "digits")

    class VectorLoss(keras.Sequential):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return ops.sum(ops.square(y_pred), axis=-1)  # one value per row: not a loss

    model = VectorLoss([keras.Input((8, 8)), layers.Flatten(), layers.Dense(3)], name="vector_loss")
    model.compile(optimizer="adam")
    with pytest.raises(KerasModelError, match="model 'vector_loss'.*must be a scalar"):
        nbgen.Session(model, "digits")


def test_a_compiled_loss_needs_labels_and_a_clashing_variable_name_is_refused():
    x = np.random.default_rng(0).random((100, 8, 8)).astype("float32")
    with pytest.raises(KerasModelError, match="compiled with a loss.*has no labels or targets: pass \\(x, y\\)"):
        nbgen.Session(classifier(), x)

    class Clash(BetaVAE):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.epochs = keras.Variable(3, trainable=False)

    model = Clash(name="clash")
    model.compile(optimizer="adam")
    with pytest.raises(KerasModelError, match="the variable 'epochs' of model 'clash' has the name of one of nbgen's"):
        nbgen.KerasModel(model)


def test_views_come_from_the_models_parts():
    model = BetaVAE(name="parts")
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    s = nbgen.train(model, "digits", epochs=3, progress=False)
    assert s.generative_model.panels == ("loss", "latent", "reconstructions", "samples")
    assert s.hyperparameters["latent_dim"] == 2  # read from the decoder's input
    z = s.encode(s.dataset.x_val[:5])
    assert z.shape == (5, 2)
    direct = ops.convert_to_numpy(s.model.encoder(s.dataset.x_val[:5].reshape(-1, 8, 8)))[:, :2]
    assert np.allclose(z, direct, atol=1e-5)  # the encoder's mean, with the trained weights
    assert s.sample(4, seed=0).shape == (4, 8, 8)
    assert s.reconstruct(s.dataset.x_val[:2]).shape == (2, 8, 8)
    assert s.replay().history == s.history
    # a classifier has none of these parts: its views are its curves and its confusion matrix
    c = nbgen.train(classifier(), "digits", epochs=1, progress=False)
    assert c.generative_model.panels == ("loss", "confusion")
    with pytest.raises(TypeError, match="sample\\(\\) is not available for the keras model"):
        c.sample(2)


def test_a_categorical_loss_gets_one_hot_targets_and_a_sparse_one_class_ids():
    model = keras.Sequential(
        [keras.Input((8, 8)), layers.Flatten(), layers.Dense(10, activation="softmax")], name="one_hot"
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    s = nbgen.train(model, "digits", epochs=10, progress=False)
    assert s.history["val_accuracy"][-1] > 0.75  # it learns from one-hot rows: 0.867-0.886 measured (inits 0-2)
    model = keras.Sequential([keras.Input((8, 8)), layers.Flatten(), layers.Dense(10)], name="wrong_loss")
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    with pytest.raises(KerasModelError, match=r"targets of shape \(None,\) \(the labels as class ids: use a sparse_"):
        nbgen.Session(model, "digits")


def test_a_classifier_gets_classify_and_a_confusion_matrix_of_its_validation_rows():
    s = nbgen.train(classifier(), "digits", epochs=5, progress=False)
    assert s.generative_model.panels == ("loss", "confusion")
    x, y = s.dataset.x_val, s.dataset.y_val
    predicted = s.classify(x)
    assert np.array_equal(predicted, np.argmax(s.model.predict(x.reshape(-1, 8, 8), verbose=0), -1))
    assert np.mean(predicted == y) == pytest.approx(s.history["val_accuracy"][-1], abs=1e-6)
    fig = s.figure()
    (heat,) = [t for t in fig.data if t.name == "confusion"]
    matrix = np.asarray(heat.z)[::-1]  # drawn bottom-up: true class 0 at the top
    assert matrix.shape == (10, 10) and np.allclose(matrix.sum(1), 1)
    per_class = [np.mean(predicted[y == k] == k) for k in range(10)]
    assert np.allclose(np.diag(matrix), per_class)
    svg = s.snapshot()
    assert svg.count("<image") >= 1  # the matrix is in the picture


def _regression(n: int = 800, k: int = 1, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    w = np.arange(5 * k, dtype="float32").reshape(5, k)
    y = x @ w + 0.1 * rng.normal(size=(n, k)).astype("float32")
    return x, (y[:, 0] if k == 1 else y)


@pytest.mark.parametrize("k", [1, 3])
def test_a_regression_trains_on_its_real_valued_targets_and_saves_them(tmp_path, k):
    """(x, y) with real y is a regression, as fit takes it: the targets reach the compiled loss as
    the user's values (not numbered as classes), and a saved session keeps them."""
    x, y = _regression(k=k)
    model = keras.Sequential([keras.Input((5,)), layers.Dense(32, activation="relu"), layers.Dense(k)])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    s = nbgen.train(model, (x, y), epochs=30)
    assert s.dataset.y_train is None and s.dataset.t_train.shape == (640, *y.shape[1:])
    assert "real-valued target" in repr(s.dataset)
    assert not s.generative_model.can("classify")
    # the noise's variance is 0.01, the targets' about 30 (k=1) to 500 (k=3): it learned the map
    assert s.history["val_loss"][-1] < 0.05 * float(np.var(y))
    pred = np.asarray(model.predict(s.dataset.x_val, verbose=0)).reshape(s.dataset.t_val.shape)
    assert np.mean((pred - s.dataset.t_val) ** 2) < 0.05 * float(np.var(y))
    path = s.save(tmp_path / "regression.nbgen")
    again = nbgen.load(path)
    assert np.array_equal(again.dataset.t_train, s.dataset.t_train)


def test_whole_float_labels_stay_class_ids_and_mixed_splits_are_refused():
    x, y = _regression()
    ds = nbgen.datasets.load((x, (y > 0).astype("float32")))  # 0.0 / 1.0: classes
    assert ds.t_train is None and set(np.unique(ds.y_train)) == {0, 1}
    with pytest.raises(ValueError, match="y_train and y_test must both be class ids"):
        nbgen.datasets.load(((x[:600], y[:600]), (x[600:], (y[600:] > 0).astype("float32"))))
