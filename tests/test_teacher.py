"""A teacher's setup: controls shown, hidden or locked by name (and kept so while the run goes
on), and the whole exercise as a text that rebuilds it; bad names and damaged texts refused."""

from __future__ import annotations

import pytest

import nbgen


def test_controls_are_hidden_and_locked_by_name_and_stay_so_through_a_run():
    s = nbgen.show("vae", "digits", display=False, epochs=2, beta=0.5,
                   controls={"beta": "locked", "architecture": "hidden", "reset": "hidden", "plot_options": "locked"})  # fmt: skip
    try:
        w = s.widget
        assert w.beta.disabled and w.architecture.layout.display == "none" and w.reset_button.layout.display == "none"
        assert w.plot_options.log_y.disabled and w.plot_options.smoothing.disabled
        assert not w.learning_rate.disabled
        s.train()
        w.draw_now()
        assert w.beta.disabled and w.reset_button.layout.display == "none"  # the run's updates did not undo them
        assert not w.train_button.disabled
    finally:
        s.close()


def test_bad_controls_name_the_control_and_what_is_allowed():
    with pytest.raises(ValueError, match=r"controls: no control named 'betta'; the names are: model, data, .*beta"):
        nbgen.show("vae", "digits", display=False, controls={"betta": "locked"})
    with pytest.raises(ValueError, match=r"controls\['beta'\] must be one of shown, hidden, locked"):
        nbgen.show("vae", "digits", display=False, controls={"beta": "frozen"})


def test_a_setup_text_rebuilds_the_exercise():
    s = nbgen.show("gan", "ring", display=False, epochs=30, learning_rate=3e-4, controls={"learning_rate": "locked"})
    try:
        s.widget.plot_options.smoothing.value = 0.6
        text = s.setup()
        assert text.startswith("nbgen-setup-1:") and "\n" not in text
        again = nbgen.show(setup=text, display=False)
        assert (again.kind, again.dataset.name) == ("gan", "ring")
        assert again.hyperparameters["learning_rate"] == 3e-4 and again.hyperparameters["epochs"] == 30
        assert again.widget.learning_rate.disabled and again.widget.plot_options.smoothing.value == 0.6
        again.close()
        # drawn data travel in the text, split as they were
        d = nbgen.show("gan", "draw", display=False)
        copy = nbgen.show(setup=d.setup(), display=False)
        assert (copy.dataset.x_train == d.dataset.x_train).all() and (copy.dataset.x_val == d.dataset.x_val).all()
        d.close()
        copy.close()
    finally:
        s.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "setup must be the text session.setup\\(\\) wrote"),
        ("nbgen-setup-9:abcd", "from another version of nbgen's setups \\('9'\\)"),
        ("nbgen-setup-1:bm90IHppcA==", "this text is damaged"),
    ],
)
def test_a_damaged_or_foreign_setup_is_refused_and_a_running_session_is_untouched(text, message):
    running = nbgen.Session("gan", "ring", epochs=1000)
    running.train(block=False)
    try:
        with pytest.raises(ValueError, match=message):
            nbgen.show(setup=text, display=False)
        assert running.running
    finally:
        running.stop()
