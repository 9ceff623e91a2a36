"""The live widget in a real Jupyter kernel, driven as a frontend would drive it.

A kernel (this interpreter's ``ipykernel_launcher``, no installed kernel spec
needed) runs ``nbgen.show()``; the test then acts as the frontend: it sends
``comm_msg`` messages on the shell channel to the widgets' comms (slider value
updates, button clicks, a Plotly click event) exactly like JupyterLab does,
and reads the session's state back by running code in the kernel.
"""

from __future__ import annotations

import time

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

from _kernel import Kernel  # noqa: E402  (after the importorskip lines)

RED = "#c62828"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    k = Kernel(tmp_path_factory.mktemp("kernel"))
    k.run("import json, threading, time, numpy as np, nbgen")
    yield k
    k.run("time.sleep(0.5)")  # collect late output of background threads
    k.close()
    assert "Traceback" not in "".join(k.stderr), "".join(k.stderr)


CONTROLS = ("learning_rate", "train_button", "pause_button", "stop_button", "reset_button", "hidden")


def ids(kernel: Kernel) -> dict:
    """The comm ids of the widget ``w``'s controls and figure in the kernel."""
    return kernel.value(f"{{n: getattr(w, n).model_id for n in {CONTROLS!r}}} | {{'figure': w.figure.widget.model_id}}")


def test_slider_pause_and_stop_reach_a_running_session(kernel):
    kernel.run("s = nbgen.show('vae', 'digits', epochs=3000); w = s.widget")
    m = ids(kernel)
    kernel.click(m["train_button"])
    kernel.wait_for("s.step > 30")
    sent_at = kernel.value("s.step")
    kernel.set_value(m["learning_rate"], value=3e-4)  # the slider, moved in the browser
    change = kernel.wait_for("[r for r in s.timeline if r['name'] == 'learning_rate']")[-1]
    assert change["old"] == pytest.approx(1e-3) and change["new"] == pytest.approx(3e-4)
    assert change["step"] >= sent_at  # applied at a later step of the running session
    kernel.wait_for(f"s.step > {change['step']} + 20")
    assert kernel.value("s.engine.live['learning_rate']") == pytest.approx(3e-4)
    kernel.wait_for("w.flush() and 'learning_rate 0.001 -&gt; 0.0003' in w.timeline_view.value")
    assert kernel.value("len(w.figure.change_markers())") == 1
    assert kernel.value("len(w.figure.trace('loss').x) > 0 and len(w.figure.trace('kl').x) > 0")
    assert "samples/s" in kernel.value("w.progress_text.value")

    kernel.click(m["pause_button"])
    kernel.wait_for("s.status == 'paused'")
    kernel.wait_for("w.flush() and w.pause_button.description == 'Resume'")
    paused_at = kernel.value("s.step")
    time.sleep(0.5)
    assert kernel.value("s.step") == paused_at
    kernel.click(m["pause_button"])  # Resume
    kernel.wait_for(f"s.status == 'running' and s.step > {paused_at}")

    kernel.click(m["stop_button"])
    kernel.wait_for("not s.running")
    assert kernel.value("s.status") == "stopped"
    kernel.wait_for("w.flush() and 'Stopped' in w.status_line.value")
    assert kernel.value("w.summary_view.value").count("stopped after") == 1
    kernel.run("s.close()")


def test_bad_values_show_in_red_and_the_running_session_is_unharmed(kernel):
    kernel.run("s = nbgen.show('autoencoder', 'moons', epochs=3000, autostart=True); w = s.widget")
    m = ids(kernel)
    kernel.wait_for("s.step > 0")
    kernel.set_value(m["hidden"], value="256,lots")
    kernel.click(m["reset_button"])
    status = kernel.wait_for(f"'{RED}' in w.status_line.value and w.status_line.value")
    assert "hidden" in status
    step = kernel.value("s.step")
    kernel.wait_for(f"s.running and s.status == 'running' and s.step > {step}")  # still training
    kernel.run("s.close()")
    assert kernel.value("s.widget is None and not s.running")


def test_views_hold_data_after_training_and_the_latent_click_decodes(kernel):
    out = kernel.execute("s = nbgen.show('vae', 'digits', epochs=5); s.train(block=True); w = s.widget")
    shown = [m for m in out if m["msg_type"] == "display_data"]
    views = [m for m in shown if "application/vnd.jupyter.widget-view+json" in m["content"]["data"]]
    assert len(views) == 1
    # and the static picture under it, updated in place (display_id) when the blocking run ended
    pictures = [m for m in shown if "image/svg+xml" in m["content"]["data"]]
    assert len(pictures) == 1 and "idle after 0 epochs" in pictures[0]["content"]["data"]["text/plain"]
    updates = [m for m in out if m["msg_type"] == "update_display_data"]
    assert updates and "finished after 5 epochs" in updates[-1]["content"]["data"]["text/plain"]
    assert updates[-1]["content"]["transient"]["display_id"] == pictures[0]["content"]["transient"]["display_id"]
    kernel.wait_for("w.flush()")
    facts = kernel.value(
        "{'latent': len(w.figure.trace('latent').x), 'n_val': len(s.dataset.x_val),"
        " 'samples': int(np.isfinite(w.figure.images['samples']).sum()),"
        " 'recon': len(w.figure.trace('reconstructions').source), 'summary': w.summary_view.value,"
        " 'status': s.status, 'loss': len(w.figure.trace('loss').x), 'steps': s.step}"
    )
    assert facts["latent"] == min(2000, facts["n_val"])
    assert facts["samples"] == 16 * 64
    assert facts["recon"] > 100  # a PNG data URI
    assert facts["status"] == "finished" and "finished after 5 epochs" in facts["summary"]
    assert 0 < facts["loss"] <= facts["steps"]

    # a click on an empty spot of the latent scatter, as plotly.js reports it
    index = kernel.value("[t.name for t in w.figure.widget.data].index('latent-grid')")
    x, y = kernel.value("[float(w.figure.trace('latent-grid').x[7]), float(w.figure.trace('latent-grid').y[7])]")
    event = {
        "event_type": "plotly_click",
        "points": {"trace_indexes": [index], "point_indexes": [7], "xs": [x], "ys": [y]},
        "device_state": None,
        "selector": None,
    }
    m = ids(kernel)
    kernel.set_value(m["figure"], _js2py_pointsCallback=event)
    kernel.wait_for("w.figure.last_decoded is not None")
    decoded = kernel.value(
        f"bool(abs(w.figure.last_decoded[1] - s.decode([w.figure.latent_projection.lift([{x!r}, {y!r}])])[0]).max()"
        " < 1e-5)"
    )
    assert decoded
    assert kernel.value("list(w.figure.trace('latent-click').x)") == [x]
    kernel.run("s.close()")


def test_show_as_the_last_expression_displays_one_widget(kernel):
    out = kernel.execute("nbgen.show('autoencoder', 'moons')")
    shown = [m for m in out if m["msg_type"] == "display_data"]
    views = [m for m in shown if "application/vnd.jupyter.widget-view+json" in m["content"]["data"]]
    results = [m for m in out if m["msg_type"] == "execute_result"]
    assert len(views) == 1 and len(shown) == 2  # the widget and its static snapshot
    assert results and "application/vnd.jupyter.widget-view+json" not in results[0]["content"]["data"]
    assert "nbgen.Session" in results[0]["content"]["data"]["text/plain"]
    out = kernel.execute("_")  # displaying the session again, in a later cell, shows the widget
    results = [m for m in out if m["msg_type"] == "execute_result"]
    assert "application/vnd.jupyter.widget-view+json" in results[0]["content"]["data"]
    kernel.run("_.close()")


def test_errors_in_the_training_thread_show_in_red_and_reraise(kernel):
    kernel.run("s = nbgen.show('autoencoder', 'moons', epochs=5, learning_rate=10.0, autostart=True); w = s.widget")
    kernel.wait_for("not s.running")
    kernel.wait_for("w.flush() and 'diverged' in w.status_line.value")
    assert RED in kernel.value("w.status_line.value")
    assert (
        kernel.run(
            "try:\n    s.wait()\nexcept nbgen.TrainingDiverged as e:\n    print('reraised', type(e).__name__)"
        ).strip()
        == "reraised TrainingDiverged"
    )
    kernel.run("s.close()")


def test_repeated_show_and_close_leaks_no_threads(kernel):
    code = (
        "s = nbgen.show('autoencoder', 'moons', epochs=100, autostart=True)\n"
        "while s.step == 0: time.sleep(0.01)\n"
        "s.close()\n"
    )
    kernel.run(code)  # warm up (jit caches, comm machinery)
    kernel.run("time.sleep(0.5); before = threading.active_count()")
    for _ in range(4):
        kernel.run(code)
    kernel.run("time.sleep(0.5)")
    after, before, nbgen_threads = kernel.value(
        "[threading.active_count(), before, [t.name for t in threading.enumerate() if t.name.startswith('nbgen')]]"
    )
    assert nbgen_threads == []
    assert after <= before


def test_product_smoke_gan_on_ring(kernel):
    """A user's session: show, train blocking, change a slider, look at the views."""
    kernel.run(
        "from nbgen.ui.arrays import from_typed_array\ns = nbgen.show('gan', 'ring', epochs=2)\nw = s.widget\nw.d_steps.value = 3\ns.train(block=True)\nw.flush()\n"
    )
    facts = kernel.value(
        "{'decision': len(from_typed_array(w.figure.trace('decision').z)), 'generated': len(w.figure.trace('generated').x),"
        " 'status': w.status_line.value, 'd_steps': s.hyperparameters['d_steps']}"
    )
    assert facts["decision"] == 40 and facts["generated"] == 1000  # SURFACE_GRID rows, MAX_DATA_POINTS
    assert "Finished" in facts["status"] and RED not in facts["status"]
    assert facts["d_steps"] == 3
    kernel.run("s.close()")


USER_VAE = """
import keras
L = keras.layers
enc = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(8, 3, strides=2, padding="same", activation="relu"),
                        L.Flatten(), L.Dense(6)], name="my_encoder")
dec = keras.Sequential([keras.Input((3,)), L.Dense(32, activation="relu"), L.Dense(64)], name="my_decoder")
s = nbgen.show(nbgen.VAE(enc, dec), 'digits', epochs=3000); w = s.widget
"""


def test_a_user_model_gets_the_same_controls_with_the_fixed_fields_read_only(kernel):
    kernel.run(USER_VAE)
    facts = kernel.value(
        "{'picked': w.model_picker.value, 'label': dict((v, k) for k, v in w.model_picker.options)['yours'],"
        " 'latent': [w.latent_dim.value, w.latent_dim.disabled, w.latent_dim.layout.display],"
        " 'hidden': w.hidden.layout.display, 'arch': w.architecture.layout.display,"
        " 'beta': [w.beta.disabled, w.beta.layout.display], 'kinds': s.generative_model.panels}"
    )
    assert facts["picked"] == "yours" and facts["label"] == "VAE (your networks)"
    assert facts["latent"] == [3, True, None]  # read from the encoder, shown, read-only
    assert facts["hidden"] == "none" and facts["arch"] == "none"  # the networks fix them: not offered
    assert facts["beta"] == [False, None]
    m = ids(kernel)
    kernel.click(m["train_button"])
    kernel.wait_for("s.step > 20")
    kernel.set_value(m["learning_rate"], value=3e-4)  # a live control reaches the user's model too
    kernel.wait_for("[r for r in s.timeline if r['name'] == 'learning_rate']")
    kernel.click(m["stop_button"])
    kernel.wait_for("not s.running")
    kernel.click(m["reset_button"])  # Reset keeps the user's networks, from their first weights
    kernel.wait_for("s.step == 0 and w.flush()")
    assert kernel.value("w.model_picker.value == 'yours' and s.model.encoder.name") == "my_encoder"
    assert kernel.value("w.figure.has_trace('samples') and len(w.figure.trace('latent').x) > 0")
    kernel.run("s.close()")


def test_diffusion_on_ring_shows_paths_and_its_sampling_steps_slider_redraws_at_once(kernel):
    """The diffusion model's panel (paths from noise, the flow behind the samples) and its live
    ``sample_steps`` control: moving it while idle redraws the paths at once, no training."""
    kernel.run("s = nbgen.show('diffusion', 'ring', epochs=2)\nw = s.widget\ns.train(block=True)\nw.flush()\n")
    facts = kernel.value(
        "{'shown': w.sample_steps.layout.display, 'beta': w.beta.layout.display, 'steps': w.sample_steps.value,"
        " 'paths': len(w.figure.trace('paths').x), 'field': len(w.figure.trace('field').x),"
        " 'generated': len(w.figure.trace('generated').x), 'title': w.figure.widget.layout.annotations[1].text}"
    )
    assert facts["shown"] != "none" and facts["beta"] == "none" and facts["steps"] == 50
    assert facts["paths"] == 32 * (50 + 2)  # 32 paths of 51 states, each ended by a gap
    assert facts["field"] == 20 * 20 * 3 and facts["generated"] == 1000
    assert "paths from noise" in facts["title"] and "flow at t = 0.5" in facts["title"]
    step = kernel.value("s.step")
    kernel.set_value(kernel.value("w.sample_steps.model_id"), value=10)
    kernel.wait_for("len(w.figure.trace('paths').x) == 32 * 12", timeout=30)
    assert kernel.value("[s.step, s.hyperparameters['sample_steps']]") == [step, 10]
    kernel.run("s.close()")


def test_a_conditional_model_gets_a_class_picker_that_redraws_the_samples(kernel):
    """A row per class by default; picking class 7 redraws the samples panel with 7s only,
    at once and without training; moving guidance redraws it too."""
    kernel.run(
        "s = nbgen.show('diffusion', 'digits', conditional=True, epochs=2)\nw = s.widget\n"
        "s.train(block=True)\nw.flush()\n"
    )
    facts = kernel.value(
        "{'shown': w.class_picker.layout.display, 'options': len(w.class_picker.options),"
        " 'guidance': w.guidance.layout.display, 'grid': list(w.figure.images['samples'].shape)}"
    )
    assert facts["shown"] is None and facts["options"] == 11 and facts["guidance"] is None
    assert facts["grid"] == [10 * 9 - 1, 4 * 9 - 1]  # a row of 4 per class
    step = kernel.value("s.step")
    kernel.set_value(kernel.value("w.class_picker.model_id"), index=8)  # "7"
    kernel.wait_for("list(w.figure.images['samples'].shape) == [35, 35]", timeout=30)
    assert kernel.value("[w.figure.shown_label, s.step]") == [7, step]
    kernel.run("s.close()")
    kernel.run("p = nbgen.show('diffusion', 'ring', epochs=1)")
    assert kernel.value("p.widget.class_picker.layout.display") == "none"
    kernel.run("p.close()")


def test_the_conditional_box_rebuilds_the_model_with_labels_on_reset(kernel):
    kernel.run("s = nbgen.show('vae', 'digits', epochs=1)\nw = s.widget\n")
    assert kernel.value("[w.conditional.value, w.conditional.layout.display, w.class_picker.layout.display]") == [
        False, None, "none"
    ]
    kernel.set_value(kernel.value("w.conditional.model_id"), value=True)
    kernel.click(kernel.value("w.reset_button.model_id"))
    kernel.wait_for("s.hyperparameters['conditional'] is True and w.flush()")
    assert kernel.value("[w.class_picker.layout.display, len(w.class_picker.options)]") == [None, 11]
    kernel.run("s.close()\na = nbgen.show('autoencoder', 'digits', epochs=1)")
    assert kernel.value("a.widget.conditional.layout.display") == "none"  # the AE cannot be conditional
    kernel.run("a.close()")


def test_every_setup_row_of_the_table_gets_a_field_the_vae_prior_among_them(kernel):
    """The setup row comes from the hyperparameter table: the VAE's prior_components shows as a
    field (value 50 for images), other models hide it, and Reset applies a new value; the GAN
    shows its code_classes instead."""
    kernel.run("s = nbgen.show('vae', 'digits', epochs=1)\nw = s.widget\n")
    assert kernel.value("[w.prior_components.value, w.prior_components.layout.display]") == [50, None]
    kernel.set_value(kernel.value("w.prior_components.model_id"), value=3)
    kernel.click(kernel.value("w.reset_button.model_id"))
    kernel.wait_for("s.hyperparameters['prior_components'] == 3 and w.flush()")
    assert kernel.value("list(s.engine.state['params']['prior']['tv'][0].shape)") == [3, 2]
    kernel.run("s.close()\na = nbgen.show('autoencoder', 'digits', epochs=1)")
    assert kernel.value("[a.widget.prior_components.layout.display, a.widget.code_classes.layout.display]") == [
        "none",
        "none",
    ]
    kernel.run("a.close()\ng = nbgen.show('gan', 'digits', epochs=1)")  # the GAN's InfoGAN code
    assert kernel.value("[g.widget.code_classes.value, g.widget.code_classes.layout.display]") == [10, None]
    assert kernel.value("g.widget.prior_components.layout.display") == "none"
    kernel.run("g.close()")


KERAS_BETA_VAE = """
import keras
from keras import layers, ops

class BetaVAE(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.encoder = keras.Sequential([layers.Flatten(), layers.Dense(32, activation="relu"), layers.Dense(4)])
        self.decoder = keras.Sequential([layers.Dense(32, activation="relu"), layers.Dense(64), layers.Reshape((8, 8))])
        self.kl_weight = keras.Variable(1.0, trainable=False)
        self.seed_generator = keras.random.SeedGenerator(1)

    def call(self, x):
        h = self.encoder(x)
        m, lv = h[:, :2], h[:, 2:]
        return self.decoder(m + ops.exp(0.5 * lv) * keras.random.normal(ops.shape(m), seed=self.seed_generator)), m, lv

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        logits, m, lv = y_pred
        rec = ops.mean(ops.sum(ops.binary_crossentropy(x, logits, from_logits=True), axis=(1, 2)))
        kl = ops.mean(-0.5 * ops.sum(1 + lv - ops.square(m) - ops.exp(lv), axis=-1))
        return rec + self.kl_weight * kl

model = BetaVAE(name="my_beta_vae")
model.compile(optimizer=keras.optimizers.Adam(1e-3))
s = nbgen.show(model, "digits", epochs=3000); w = s.widget
"""


def test_a_keras_model_gets_a_slider_for_its_own_variable_that_reaches_the_timeline(kernel):
    kernel.run(KERAS_BETA_VAE)
    facts = kernel.value(
        "{'label': dict((v, k) for k, v in w.model_picker.options)['yours'],"
        " 'controls': sorted(w.model_controls), 'shown': w.model_controls['kl_weight'].layout.display,"
        " 'id': w.model_controls['kl_weight'].model_id, 'beta': w.beta.layout.display}"
    )
    assert facts["label"] == "my_beta_vae (your Keras model)"
    assert facts["controls"] == ["kl_weight"] and facts["shown"] is None
    assert facts["beta"] == "none"  # the VAE's beta is not this model's
    m = ids(kernel)
    kernel.click(m["train_button"])
    kernel.wait_for("s.step > 20")
    kernel.set_value(facts["id"], value=2.5)  # the slider, moved in the browser
    change = kernel.wait_for("[r for r in s.timeline if r['name'] == 'kl_weight']")[-1]
    assert change["old"] == 1.0 and change["new"] == 2.5
    kernel.wait_for(f"s.step > {change['step']} + 5")
    kernel.click(m["stop_button"])
    kernel.wait_for("not s.running")
    assert kernel.value("float(s.model.kl_weight.value)") == 2.5
    assert kernel.value("s.status") == "stopped"
    kernel.run("s.close()")


def test_the_step_button_makes_exactly_one_optimizer_step_each_click(kernel):
    kernel.run("s = nbgen.show('gan', 'ring', epochs=5); w = s.widget")
    step_id = kernel.value("w.step_button.model_id")
    for expected in (1, 2, 3):
        kernel.click(step_id)
        kernel.wait_for(f"s.step == {expected} and not s.running", timeout=60)
    assert kernel.value("s.step") == 3 and kernel.value("s.epoch") == 0
    assert "to step 3" in kernel.value("w.status_line.value")
    kernel.run("s.close()")
