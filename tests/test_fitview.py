"""nbgen.FitView: live views, a learning-rate slider and Stop for the model.fit a user already
calls, in a real kernel, while fit blocks the cell."""

from __future__ import annotations

import time

import pytest
from _kernel import Kernel

SETUP = """
import nbgen, keras, numpy as np
ds = nbgen.datasets.load("digits")
x, y = ds.x_train.reshape(-1, 8, 8), ds.y_train
model = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(10)])
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
view = nbgen.FitView()
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    k = Kernel(tmp_path_factory.mktemp("fitview"))
    yield k
    k.close()


def test_the_slider_and_stop_work_while_await_view_fit_keeps_the_cell_waiting(kernel):
    kernel.run(SETUP)
    ids = kernel.value("{'lr': view.learning_rate.model_id, 'stop': view.stop_button.model_id}")
    msg_id = kernel.kc.execute("history = await view.fit(model, x, y, epochs=5000, verbose=0)")
    shown = False
    deadline = time.monotonic() + 60
    while not shown and time.monotonic() < deadline:  # the view appears in the cell when fit begins
        msg = kernel.kc.get_iopub_msg(timeout=60)
        shown = msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "display_data"
    assert shown, "the view was not displayed when fit began"
    time.sleep(1.0)
    kernel.set_value(ids["lr"], value=1e-4)  # the browser's slider, while the cell is busy
    time.sleep(1.0)
    kernel.click(ids["stop"])
    kernel.until_idle(msg_id, timeout=60, what="fit, after Stop,")
    facts = kernel.value(
        "{'epochs': len(history.epoch), 'stopped': view.stopped, 'timeline': view.timeline,"
        " 'lr': float(np.asarray(model.optimizer.learning_rate)), 'traces': len(view.figure.data),"
        " 'status': view.status.value}"
    )
    assert facts["stopped"] and 0 < facts["epochs"] < 5000
    assert [(r["name"], r["new"]) for r in facts["timeline"]] == [("learning_rate", 1e-4)]
    assert facts["lr"] == pytest.approx(1e-4)
    assert facts["traces"] >= 2 and "stopped" in facts["status"]


def test_the_slider_and_stop_work_while_a_plain_model_fit_blocks_the_cell(kernel):
    """No await, no thread: model.fit(..., callbacks=[view]) as users call it; the browser's
    slider move and Stop click arrive while fit still blocks the cell (a kernel subshell)."""
    kernel.run(SETUP.replace("view = nbgen.FitView()", "view = nbgen.FitView(display=True)"))
    ids = kernel.value(
        "{'lr': view.learning_rate.model_id, 'stop': view.stop_button.model_id, 'live': view.live_while_blocked}"
    )
    assert ids["live"], "this kernel (ipykernel 7) has subshells: the view should be live while fit blocks"
    msg_id = kernel.kc.execute("history = model.fit(x, y, epochs=5000, verbose=0, callbacks=[view])")
    shown = False
    deadline = time.monotonic() + 60
    while not shown and time.monotonic() < deadline:
        msg = kernel.kc.get_iopub_msg(timeout=60)
        shown = msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "display_data"
    assert shown, "the view was not displayed when fit began"
    time.sleep(1.0)
    kernel.set_value(ids["lr"], value=3e-4)  # the browser's slider, while fit blocks the cell
    time.sleep(1.0)
    kernel.click(ids["stop"])
    kernel.until_idle(msg_id, timeout=60, what="fit, after Stop,")
    facts = kernel.value(
        "{'epochs': len(history.epoch), 'stopped': view.stopped, 'timeline': view.timeline,"
        " 'lr': float(np.asarray(model.optimizer.learning_rate))}"
    )
    assert facts["stopped"] and 0 < facts["epochs"] < 5000
    assert [(r["name"], r["new"]) for r in facts["timeline"]] == [("learning_rate", 3e-4)]
    assert facts["lr"] == pytest.approx(3e-4)


def test_a_plain_blocking_fit_draws_its_curves_and_history_is_keras_own(kernel):
    kernel.run(SETUP.replace("view = nbgen.FitView()", "view = nbgen.FitView(display=True)"))
    kernel.run("history = model.fit(x, y, epochs=3, verbose=0, validation_split=0.1, callbacks=[view])", timeout=120)
    facts = kernel.value(
        "{'epochs': len(history.epoch), 'keys': sorted(history.history), 'view_epochs': view.epoch,"
        " 'names': sorted(t.name for t in view.figure.data), 'status': view.status.value}"
    )
    assert facts["epochs"] == 3 and facts["view_epochs"] == 3
    assert facts["keys"] == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(facts["names"])
    assert "finished after 3 epochs" in facts["status"]
